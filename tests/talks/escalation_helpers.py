"""Builders of the escalation and follow-up tests: a town official, an escalated topic, an
asked follow-up."""

from datetime import timedelta

from django.utils import timezone

from talks.models import FollowUp, Topic
from tests.factories import UserFactory
from villageaffairs.models import RegionOfficial


def official_over(village, username="official", **kwargs):
    """An official of the village's town (created here: the demo's are another helper's)."""
    user = UserFactory(username=username, **kwargs)
    RegionOfficial.objects.create(user=user, region=village.region, title="副镇长")
    return user


def overdue(topic: Topic, *, reply=True, handle=False) -> Topic:
    """Put the topic past its reply (and/or handling) deadline."""
    past, future = timezone.now() - timedelta(hours=1), timezone.now() + timedelta(days=20)
    fields = {
        "reply_due_at": past if reply else future,
        "handle_due_at": past if handle else future,
    }
    Topic.objects.filter(pk=topic.pk).update(**fields)
    topic.refresh_from_db()
    return topic


def within_deadlines(topic: Topic) -> Topic:
    return overdue(topic, reply=False, handle=False)


def escalated(topic: Topic) -> Topic:
    Topic.objects.filter(pk=topic.pk).update(
        escalated_to=topic.village.region, escalated_at=timezone.now() - timedelta(hours=1)
    )
    topic.refresh_from_db()
    return topic


def asked(topic: Topic, **kwargs) -> FollowUp:
    now = timezone.now()
    fields = {
        "ask_at": now - timedelta(days=1),
        "asked_at": now - timedelta(hours=1),
        "expires_at": now + timedelta(days=30),
    }
    fields.update(kwargs)
    return FollowUp.objects.create(village=topic.village, topic=topic, **fields)
