"""The outbox: work after a commit is recorded with the change and run at least once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from points import selectors, services
from talks.models import Notification
from tests.talks.factories import topic_in
from villageaffairs import outbox
from villageaffairs.celery import app
from villageaffairs.models import Heartbeat, Household, Outbox
from villageaffairs.sms import LogBackend

RANKING = "points.tasks.recompute_village_rankings"


@pytest.fixture(autouse=True)
def _broker_not_paused(monkeypatch):
    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)


@pytest.fixture
def broker_down(monkeypatch):
    """Every enqueue fails as it does with Redis down."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    failing = mock.Mock(side_effect=OperationalError("Error 111 connecting to redis"))
    monkeypatch.setattr("villageaffairs.tasks.outbox_run.apply_async", failing)
    return failing


def _award(people, points=5):
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    services.award_direct(actor=people.cadre_here, household=household, points=points, reason="x")
    return household


def test_the_row_is_written_with_the_change_and_rolled_back_with_it(people):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue(RANKING, args=[people.here.pk], key="k")
        assert Outbox.objects.filter(key="k").exists()
        raise RuntimeError
    assert not Outbox.objects.filter(key="k").exists()


def test_a_broker_outage_loses_nothing_and_the_sweep_runs_it(
    people, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        household = _award(people)
    assert broker_down.called  # tried, failed, swallowed
    row = Outbox.objects.get(key=f"points.rankings:{people.here.pk}")
    assert row.done_at is None
    assert selectors.household_standing(household).rank is None

    assert outbox.sweep(now=timezone.now() + timedelta(seconds=10)) == 1
    row.refresh_from_db()
    assert row.done_at is not None and row.attempts == 1
    assert selectors.household_standing(household).rank == 1
    assert outbox.sweep(now=timezone.now() + timedelta(seconds=10)) == 0  # once


def test_after_a_failed_enqueue_the_process_leaves_the_broker_alone_for_a_while(
    people, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue(RANKING, args=[people.here.pk], key="a")
        outbox.enqueue(RANKING, args=[people.here.pk], key="b")
    assert broker_down.call_count == 1
    assert Outbox.objects.filter(done_at__isnull=True).count() == 2


def test_a_row_runs_once_however_often_it_is_delivered(people):
    outbox.enqueue(RANKING, args=[people.here.pk], key="k")
    row = Outbox.objects.get(key="k")
    with mock.patch("points.services.rankings_recompute", return_value=1) as recompute:
        assert outbox.run(row.pk) is True
        assert outbox.run(row.pk) is False
        assert outbox.sweep() == 0
    assert recompute.call_count == 1


def test_asking_again_while_pending_coalesces_and_a_done_row_is_rearmed(people):
    outbox.enqueue(RANKING, args=[people.here.pk], key="k")
    outbox.enqueue(RANKING, args=[people.here.pk], key="k")
    assert Outbox.objects.count() == 1
    outbox.run(Outbox.objects.get().pk)
    assert Outbox.objects.get().done_at is not None
    outbox.enqueue(RANKING, args=[people.here.pk], key="k")
    row = Outbox.objects.get()
    assert row.done_at is None and row.attempts == 0


def test_asked_again_while_running_it_runs_once_more(people):
    outbox.enqueue(RANKING, args=[people.here.pk], key="k")
    row = Outbox.objects.get()

    def change_while_running(**kwargs):
        if recompute.call_count == 1:
            outbox.enqueue(RANKING, args=[people.here.pk], key="k")
        return 1

    with mock.patch(
        "points.services.rankings_recompute", side_effect=change_while_running
    ) as recompute:
        outbox.run(row.pk)
        # Eager tasks (SQLite tests) ran the second run at once; with a broker it was queued,
        # still pending: run it as its worker would.
        if recompute.call_count == 1:
            assert Outbox.objects.get().done_at is None
            outbox.run(row.pk)
    assert recompute.call_count == 2
    assert Outbox.objects.get().done_at is not None


def test_a_failure_is_recorded_and_retried_after_a_back_off(people):
    outbox.enqueue(RANKING, args=[people.here.pk], key="k")
    row = Outbox.objects.get()
    with mock.patch("points.services.rankings_recompute", side_effect=ValueError("boom")):
        assert outbox.run(row.pk) is False
    row.refresh_from_db()
    assert row.done_at is None and row.attempts == 1 and "boom" in row.last_error
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert outbox.sweep() == 0  # still backing off
    assert outbox.sweep(now=timezone.now() + timedelta(minutes=1)) == 1
    row.refresh_from_db()
    assert row.done_at is not None and row.last_error == ""


def test_a_worker_that_died_mid_task_is_rerun_after_its_lease(people):
    outbox.enqueue(RANKING, args=[people.here.pk], key="k")
    row = Outbox.objects.get()
    # What a worker killed mid-task leaves: claimed (leased), never finished.
    now = timezone.now()
    Outbox.objects.filter(pk=row.pk).update(next_attempt_at=now + outbox.LEASE, attempts=1)
    assert outbox.sweep(now=now + timedelta(seconds=30)) == 0
    assert outbox.sweep(now=now + outbox.LEASE + timedelta(seconds=1)) == 1
    assert Outbox.objects.get().attempts == 2


def test_the_sweep_writes_the_beat_heartbeat(db):
    outbox.sweep()
    assert Heartbeat.objects.get(name="beat").at > timezone.now() - timedelta(seconds=5)


def test_the_sweep_runs_every_minute_from_beat():
    entry = app.conf.beat_schedule["outbox-sweep"]
    assert entry["task"] == "villageaffairs.tasks.outbox_sweep"
    assert entry["schedule"] == 60.0


def test_tasks_are_acked_late_and_retried():
    from loans.tasks import application_notify
    from points.tasks import recompute_village_rankings
    from talks.tasks import adopt_vote, send_notification_sms
    from villageaffairs.tasks import outbox_run, outbox_sweep

    for task in (
        application_notify,
        recompute_village_rankings,
        adopt_vote,
        send_notification_sms,
        outbox_run,
        outbox_sweep,
    ):
        assert task.acks_late and task.retry_backoff and task.max_retries
        assert OperationalError in task.autoretry_for


def test_an_sms_that_failed_to_send_is_sent_later_once(people, django_capture_on_commit_callbacks):
    from talks import services as talks_services

    people.villager_here.phone = "13800000001"
    people.villager_here.save()
    topic = topic_in("raised", village=people.here, author=people.villager_here)
    LogBackend.outbox.clear()
    failing = mock.patch.object(LogBackend, "send", side_effect=ConnectionError("provider down"))
    with failing, django_capture_on_commit_callbacks(execute=True):
        talks_services.reply_post(actor=people.cadre_here, topic=topic, text="好的")
    note = Notification.objects.get(user=people.villager_here, kind=Notification.Kind.REPLY)
    assert note.sms_sent_at is None and note.sms_claimed_at is None  # released, not lost
    later = timezone.now() + timedelta(hours=2)
    assert outbox.sweep(now=later) == 1
    assert outbox.sweep(now=later + timedelta(hours=2)) == 0
    assert [sent.phone for sent in LogBackend.outbox] == ["+8613800000001"]
    note.refresh_from_db()
    assert note.sms_sent_at is not None


def test_an_sms_claimed_by_a_live_run_keeps_the_row_pending(people):
    from talks import services as talks_services

    topic = topic_in("raised", village=people.here, author=people.villager_here)
    talks_services.reply_post(actor=people.cadre_here, topic=topic, text="好的")
    note = Notification.objects.get(user=people.villager_here, kind=Notification.Kind.REPLY)
    Notification.objects.filter(pk=note.pk).update(sms_sent_at=None, sms_claimed_at=timezone.now())
    with pytest.raises(talks_services.SmsBusy):
        talks_services.notification_sms(notification_id=note.pk)
