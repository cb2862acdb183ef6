"""Thin Celery wrappers: call a service, safe to run twice."""

from celery import shared_task

from publicity import services
from villageaffairs.tasks import RESILIENT


@shared_task(**RESILIENT)
def mark_overdue_accounts() -> int:
    return services.overdue_mark()
