"""Thin Celery wrappers: take IDs, call a service, safe to run twice."""

import logging

from celery import shared_task

from points import services
from villageaffairs.tasks import RESILIENT

logger = logging.getLogger(__name__)


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


@shared_task(**RESILIENT)
def print_signs(job_id: int) -> bool:
    # Runs from the outbox (points.services.sign_print_request); a done job is not redone.
    # A passing outage (database, broker) is raised and retried; anything else fails the job
    # with its message, so that its page says so and offers to try again.
    try:
        return services.sign_print_run(job_id=job_id)
    except RESILIENT["autoretry_for"]:
        raise
    except Exception as exc:
        logger.exception("sign print %s failed", job_id)
        services.sign_print_fail(job_id=job_id, error=f"{exc.__class__.__name__}: {exc}")
        return False
