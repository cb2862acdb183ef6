"""Thin Celery wrappers: take IDs, call a service, safe to run twice."""

from celery import shared_task

from talks import services
from villageaffairs.tasks import RESILIENT


@shared_task(**RESILIENT)
def close_due_votes() -> int:
    closed = services.votes_close_due()
    services.votes_adopt_pending()
    return closed


@shared_task(**RESILIENT)
def adopt_vote(vote_id: int) -> int | None:
    rule = services.vote_adopt(vote_id=vote_id)
    return rule.pk if rule is not None else None


@shared_task(**RESILIENT)
def send_notification_sms(notification_ids: list[int]) -> int:
    """Text each notification once; if any failed, raise after trying them all (the outbox
    retries, and the ones already sent are skipped)."""
    sent, failed = 0, None
    for pk in notification_ids:
        try:
            sent += services.notification_sms(notification_id=pk)
        except Exception as exc:  # noqa: BLE001 - the others still get their text
            failed = exc
    if failed is not None:
        raise failed
    return sent


@shared_task(**RESILIENT)
def escalate_overdue_topics() -> int:
    """Escalate the matters past their reply or handling deadline to their town."""
    from talks import escalation

    return escalation.topics_escalate_due()


@shared_task(**RESILIENT)
def ask_follow_ups() -> int:
    """Ask the authors of matters handled a while ago whether they are fixed."""
    from talks import escalation

    return escalation.follow_ups_ask_due()
