"""Thin Celery wrappers: take IDs, call a service, safe to run twice."""

from celery import shared_task

from talks import services


@shared_task
def close_due_votes() -> int:
    return services.votes_close_due()


@shared_task
def adopt_vote(vote_id: int) -> int | None:
    rule = services.vote_adopt(vote_id=vote_id)
    return rule.pk if rule is not None else None


@shared_task
def send_notification_sms(notification_ids: list[int]) -> int:
    return sum(services.notification_sms(notification_id=pk) for pk in notification_ids)
