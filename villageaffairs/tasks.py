"""Thin Celery wrappers: take IDs, call a service, safe to run twice."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Every task of the project: acknowledged after it ran (a worker that dies mid-task leaves the
# message to be redelivered), retried with back-off when the database or the broker is briefly
# away. Tasks are idempotent, so a retry or a redelivery is harmless.
RESILIENT = {
    "acks_late": True,
    "autoretry_for": (
        DatabaseOperationalError,
        InterfaceError,
        BrokerOperationalError,
        RedisConnectionError,
        RedisTimeoutError,
    ),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RESILIENT)
def clear_expired_sessions() -> int:
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def prune_unregistered_accounts() -> int:
    from villageaffairs.services import unregistered_accounts_prune

    return unregistered_accounts_prune()


@shared_task(**RESILIENT)
def outbox_run(outbox_id: int) -> bool:
    """Run one outbox row (see villageaffairs.outbox); the row is done only when it finished."""
    from villageaffairs import outbox

    return outbox.run(outbox_id)


@shared_task(**RESILIENT)
def outbox_sweep() -> int:
    """Every minute: run the outbox rows a broker or worker outage left pending."""
    from villageaffairs import outbox

    return outbox.sweep()


@shared_task(**RESILIENT)
def invitation_sms(invitation_id: int) -> bool:
    """Text the invited number its invitation (once; nothing if it is no longer open)."""
    from villageaffairs import officials

    return officials.invitation_sms(invitation_id=invitation_id)


@shared_task(**RESILIENT)
def stats_aggregate() -> int:
    """Nightly: the daily statistics of the last days and of every touched day, for every
    village, set based (villageaffairs.stats). Safe to run twice: it replaces whole days."""
    from villageaffairs import stats

    return stats.run()
