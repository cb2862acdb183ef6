"""Thin Celery wrappers: take IDs, call a service, safe to run twice."""

from celery import shared_task

from points import services
from villageaffairs.tasks import RESILIENT


@shared_task(**RESILIENT)
def recompute_village_rankings(village_id: int) -> int:
    # Runs from the outbox (points.services.rankings_schedule); a second run is harmless.
    written = services.rankings_recompute(village_id=village_id)
    services.rankings_prune(village_id=village_id)
    return written


@shared_task(**RESILIENT)
def recompute_all_rankings() -> int:
    written = services.rankings_recompute()
    services.rankings_prune()
    return written
