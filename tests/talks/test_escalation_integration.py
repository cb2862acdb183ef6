"""A real Celery worker on Redis escalates an overdue matter and sends the follow-up (run with
--integration: PostgreSQL, Redis and a worker in a thread)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from talks import tasks
from talks.models import Event, FollowUp, Notification, Topic
from tests.factories import VillageFactory, member
from tests.talks.escalation_helpers import official_over, overdue, within_deadlines
from tests.talks.factories import topic_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
S = Topic.Status


def _wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_escalates_an_overdue_matter_once_and_texts_the_official(celery_live_worker):
    village = VillageFactory(slug="youyi-int")
    author = member(village, username="author_int")
    official = official_over(village, username="official_int", phone="13900000007")
    topic = overdue(topic_in(S.RAISED, village=village, author=author))
    fresh = within_deadlines(topic_in(S.RAISED, village=village, author=author))
    tasks.escalate_overdue_topics.delay()
    assert _wait_for(lambda: Topic.objects.get(pk=topic.pk).escalated_at is not None)
    # The beat job again: still one escalation, one event, one message to the official.
    tasks.escalate_overdue_topics.delay()
    tasks.escalate_overdue_topics.delay()
    note = Notification.objects.get(user=official, kind=Notification.Kind.ESCALATED)
    # The SMS goes out from the outbox, on the worker too.
    assert _wait_for(lambda: Notification.objects.get(pk=note.pk).sms_sent_at is not None)
    time.sleep(1.0)
    assert Event.objects.filter(topic=topic, kind=Event.Kind.ESCALATED).count() == 1
    assert Notification.objects.filter(user=official, kind="escalated").count() == 1
    assert Topic.objects.get(pk=topic.pk).escalated_to_id == village.region_id
    assert Topic.objects.get(pk=fresh.pk).escalated_at is None


def test_a_worker_asks_whether_it_is_fixed(celery_live_worker):
    village = VillageFactory(slug="youyi-int2")
    author = member(village, username="author_int2", phone="13800000008")
    topic = topic_in(S.HANDLED, village=village, author=author)
    due = FollowUp.objects.create(
        village=village, topic=topic, ask_at=timezone.now() - timedelta(minutes=1)
    )
    later = FollowUp.objects.create(
        village=village,
        topic=topic_in(S.HANDLED, village=village, author=author),
        ask_at=timezone.now() + timedelta(days=3),
    )
    tasks.ask_follow_ups.delay()
    assert _wait_for(lambda: FollowUp.objects.get(pk=due.pk).asked_at is not None)
    tasks.ask_follow_ups.delay()
    note = Notification.objects.get(user=author, kind=Notification.Kind.FOLLOW_UP)
    assert _wait_for(lambda: Notification.objects.get(pk=note.pk).sms_sent_at is not None)
    time.sleep(1.0)
    assert Event.objects.filter(topic=topic, kind=Event.Kind.FOLLOW_UP).count() == 1
    assert FollowUp.objects.get(pk=later.pk).asked_at is None
