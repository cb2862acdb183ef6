"""Nothing is lost when Redis or the worker fails (tests/faults.py starts and breaks them).

Run with --integration on PostgreSQL.
"""

import signal
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from points import selectors
from points import services as points_services
from points.models import Claim, Rule
from talks import services as talks_services
from talks.models import Notification, Vote
from tests import faults
from tests.points.factories import RuleFactory
from tests.talks.factories import topic_in
from villageaffairs import outbox
from villageaffairs.models import Household, Outbox
from villageaffairs.sms import LogBackend

pytestmark = pytest.mark.integration

# The fault-injection fixtures (tests/faults.py), used by name below.
private_redis = faults.private_redis
on_private_redis = faults.on_private_redis
start_worker = faults.start_worker


def _household(user, village):
    return Household.objects.get(village=village, residents__user=user)


@pytest.fixture
def village(transactional_db, people):
    people.villager_here.phone = "+8613800000001"
    people.villager_here.save()
    return people


def test_writes_during_an_outage_succeed_and_the_sweep_completes_them_once(
    client, village, on_private_redis
):
    people = village
    household = _household(people.villager_here, people.here)
    claim = points_services.claim_submit(
        actor=people.villager_here,
        household=household,
        rule=RuleFactory(village=people.here, points=8),
    )
    raised = topic_in("raised", village=people.here, author=people.villager_here)
    discussed = topic_in("discussing", village=people.here, author=people.villager_here)
    client.force_login(people.cadre_here)
    # This village announces rule votes without delay, so the vote can open, pass and be
    # adopted within the test (the notice period has its own tests in tests/talks).
    from talks.models import TalksSettings

    TalksSettings.objects.update_or_create(
        village=people.here, defaults={"rule_vote_notice_days": 0}
    )

    on_private_redis.stop()
    started = time.monotonic()
    approve = client.post(
        reverse("points:review_decide", args=[people.here.slug, claim.pk]),
        {"decision": "approve"},
    )
    reply = client.post(
        reverse("talks:reply", args=[people.here.slug, raised.pk]), {"text": "灌溉期后维修。"}
    )
    opened = client.post(
        reverse("talks:vote_new", args=[people.here.slug, discussed.pk]),
        {
            "question": "婚前不办酒席，同意吗？",
            "electorate": "residents",
            "quorum": "none",
            "threshold": "majority",
            "closes_at": (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "adoption": "new_rule",
            "rule_category": Rule.Category.values[0],
            "rule_text": "婚前不办酒席",
            "rule_points": "0",
        },
    )
    assert (approve.status_code, reply.status_code, opened.status_code) == (302, 302, 302)
    vote = Vote.objects.get(topic=discussed)
    talks_services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    closed = client.post(
        reverse("talks:vote_close", args=[people.here.slug, discussed.pk, vote.pk])
    )
    assert closed.status_code == 302
    assert client.get(reverse("points:ranking", args=[people.here.slug])).status_code == 200
    health = client.get(reverse("healthz"))
    assert health.status_code == 200
    assert health.json()["checks"]["broker"] == "down"
    assert health.json()["checks"]["cache"] == "down"
    assert time.monotonic() - started < 20  # no request waited on the dead broker for long

    # Everything was saved, and what must follow is pending in the outbox.
    assert Claim.objects.get(pk=claim.pk).state == Claim.State.APPROVED
    assert selectors.household_standing(household).rank is None
    assert Outbox.objects.filter(done_at__isnull=True).count() >= 4
    assert LogBackend.outbox == []

    on_private_redis.start()
    outbox.sweep(now=faults.later())
    assert not Outbox.objects.filter(done_at__isnull=True).exists()
    assert selectors.household_standing(household).rank == 1
    assert Rule.objects.filter(village=people.here, text="婚前不办酒席").count() == 1
    vote.refresh_from_db()
    assert vote.adopted_at is not None
    sms_notes = Notification.objects.filter(kind__in=Notification.SMS_KINDS)
    assert sms_notes.exists() and not sms_notes.filter(sms_sent_at__isnull=True).exists()
    texts = [sent.template for sent in LogBackend.outbox if sent.phone == "+8613800000001"]
    assert sorted(texts) == ["topic_reply", "vote_opened"]  # the reply and the vote, once each

    # A second sweep (or beat running twice) changes nothing.
    sent = list(LogBackend.outbox)
    outbox.sweep(now=faults.later() + timedelta(hours=2))
    talks_services.votes_adopt_pending()
    outbox.sweep(now=faults.later() + timedelta(hours=4))
    assert LogBackend.outbox == sent
    assert Rule.objects.filter(village=people.here, text="婚前不办酒席").count() == 1


def test_a_hung_redis_does_not_hang_requests(client, village, on_private_redis):
    people = village
    household = _household(people.villager_here, people.here)
    claim = points_services.claim_submit(
        actor=people.villager_here, household=household, rule=RuleFactory(village=people.here)
    )
    client.force_login(people.cadre_here)
    on_private_redis.pause()  # accepts connections, never answers
    started = time.monotonic()
    page = client.get(reverse("points:ranking", args=[people.here.slug]))
    approve = client.post(
        reverse("points:review_decide", args=[people.here.slug, claim.pk]),
        {"decision": "approve"},
    )
    health = client.get(reverse("healthz"))
    elapsed = time.monotonic() - started
    assert (page.status_code, approve.status_code, health.status_code) == (200, 302, 200)
    assert health.json()["checks"]["cache"] == "down"
    assert health.json()["checks"]["broker"] == "down"
    assert elapsed < 15, elapsed
    assert Outbox.objects.filter(key=f"points.rankings:{people.here.pk}", done_at=None).exists()

    on_private_redis.resume()
    outbox.sweep(now=faults.later())
    assert selectors.household_standing(household).rank == 1


def test_a_worker_killed_mid_recompute_loses_nothing(village, start_worker):
    people = village
    household = _household(people.villager_here, people.here)
    points_services.award_direct(actor=people.cadre_here, household=household, points=5, reason="x")
    Outbox.objects.all().delete()  # only the slow recompute below
    worker = start_worker(VA_TEST_RECOMPUTE_SLEEP="60")
    outbox.enqueue(
        "tests.core.slow_tasks.slow_recompute", args=[people.here.pk], key="slow-recompute"
    )
    row = Outbox.objects.get(key="slow-recompute")
    assert faults.wait_for(lambda: Outbox.objects.get(pk=row.pk).attempts == 1), "never picked up"
    time.sleep(2)  # inside the recompute's transaction, asleep
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    row.refresh_from_db()
    assert row.done_at is None  # not lost: still pending, leased to the dead worker
    assert selectors.household_standing(household).rank is None  # its transaction rolled back
    assert outbox.sweep() == 0  # the lease is not over yet
    assert outbox.sweep(now=timezone.now() + outbox.LEASE + timedelta(seconds=1)) == 1
    row.refresh_from_db()
    assert row.done_at is not None and row.attempts == 2
    assert selectors.household_standing(household).rank == 1


def test_a_real_worker_runs_the_outbox_when_the_broker_is_up(village, start_worker):
    people = village
    start_worker()
    household = _household(people.villager_here, people.here)
    points_services.award_direct(actor=people.cadre_here, household=household, points=5, reason="x")
    assert faults.wait_for(lambda: selectors.household_standing(household).rank == 1, seconds=90)
    assert faults.wait_for(
        lambda: (
            Outbox.objects.filter(key=f"points.rankings:{people.here.pk}")
            .exclude(done_at=None)
            .exists()
        )
    )
