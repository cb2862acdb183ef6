"""Thin Celery wrappers: take IDs, call a service, safe to run twice."""

from celery import shared_task
from django.core.cache import cache

from points import services


def queued_key(village_id: int) -> str:
    return f"points:ranking-queued:{village_id}"


@shared_task
def recompute_village_rankings(village_id: int) -> int:
    # Release the coalescing flag first: a change committed while this runs queues a new run.
    cache.delete(queued_key(village_id))
    written = services.rankings_recompute(village_id=village_id)
    services.rankings_prune(village_id=village_id)
    return written


@shared_task
def recompute_all_rankings() -> int:
    written = services.rankings_recompute()
    services.rankings_prune()
    return written
