"""A real Celery worker on Redis closes a due vote (run with --integration)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from talks import tasks
from talks.models import Event, Vote
from tests.talks.factories import TopicFactory, VoteFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_closes_a_due_vote(celery_live_worker):
    topic = TopicFactory()
    vote = VoteFactory(
        topic=topic,
        opens_at=timezone.now() - timedelta(days=5),
        closes_at=timezone.now() - timedelta(seconds=1),
    )
    not_due = VoteFactory(topic=TopicFactory(village=topic.village))
    tasks.close_due_votes.delay()
    assert _wait_for(lambda: Vote.objects.get(pk=vote.pk).closed_at is not None)
    vote.refresh_from_db()
    assert vote.passed is False and vote.ballots_cast == 0  # no ballots: not passed
    # The job again (as beat would, a minute later): still one published result.
    tasks.close_due_votes.delay()
    tasks.close_due_votes.delay()
    time.sleep(1.0)
    assert Event.objects.filter(topic=topic, kind=Event.Kind.VOTE_CLOSED).count() == 1
    assert Vote.objects.get(pk=vote.pk).closed_at == vote.closed_at
    assert Vote.objects.get(pk=not_due.pk).closed_at is None
