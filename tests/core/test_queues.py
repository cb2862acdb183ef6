"""Celery queues split by kind: each task goes to its kind's queue, named after CELERY_QUEUE."""

import time

import pytest
from django.db import transaction

from tests.factories import VillageFactory
from villageaffairs import outbox, queues
from villageaffairs.celery import app
from villageaffairs.models import Outbox

# Every task of the project and its kind (None: the default queue).
EXPECTED = {
    "points.tasks.recompute_village_rankings": "rankings",
    "points.tasks.recompute_all_rankings": "rankings",
    "points.tasks.print_signs": None,
    "talks.tasks.send_notification_sms": "notifications",
    "loans.tasks.application_notify": "notifications",
    "talks.tasks.close_due_votes": "votes",
    "talks.tasks.adopt_vote": "votes",
    "publicity.tasks.mark_overdue_accounts": None,
    "villageaffairs.tasks.clear_expired_sessions": None,
    "villageaffairs.tasks.prune_unregistered_accounts": None,
    "villageaffairs.tasks.outbox_run": None,
    "villageaffairs.tasks.outbox_sweep": None,
}
PROJECT = ("villageaffairs.", "points.", "talks.", "loans.", "publicity.")


def _routed_queue(name):
    """The queue Celery's own router picks for a task sent by name."""
    return app.amqp.router.route({}, name, (), {})["queue"].name


def _project_tasks():
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if name.startswith(PROJECT))


def test_each_task_routes_to_the_queue_of_its_kind(settings):
    base = settings.CELERY_TASK_DEFAULT_QUEUE
    tasks = _project_tasks()
    assert set(EXPECTED) <= set(tasks)
    for name in tasks:
        kind = EXPECTED.get(name, queues.kind_of(name))
        expected = f"{base}.{kind}" if kind else base
        assert _routed_queue(name) == expected, name


def test_statistics_tasks_go_to_the_statistics_queue_wherever_they_live(settings):
    base = settings.CELERY_TASK_DEFAULT_QUEUE
    assert _routed_queue("villageaffairs.tasks.statistics_aggregate") == f"{base}.statistics"
    assert _routed_queue("villageaffairs.tasks.daily_statistics") == f"{base}.statistics"
    assert _routed_queue("villageaffairs.tasks.something_else") == base


def test_queue_names_are_prefixed_by_the_celery_queue_setting(settings):
    settings.CELERY_TASK_DEFAULT_QUEUE = "isolated_ci"
    assert queues.queue_for("points.tasks.recompute_all_rankings") == "isolated_ci.rankings"
    assert queues.queue_for("villageaffairs.tasks.outbox_sweep") == "isolated_ci"
    assert queues.all_queues("isolated_ci") == [
        "isolated_ci",
        "isolated_ci.rankings",
        "isolated_ci.notifications",
        "isolated_ci.votes",
        "isolated_ci.statistics",
    ]


def test_a_worker_started_without_q_consumes_every_queue(settings):
    declared = set(app.amqp.queues)
    assert declared == set(queues.all_queues(settings.CELERY_TASK_DEFAULT_QUEUE))


def test_the_outbox_sends_a_row_to_the_queue_of_the_task_it_runs(monkeypatch, settings):
    """outbox_run itself is generic: its message must carry the queue of the row's task."""
    sent = []
    monkeypatch.setattr(
        "villageaffairs.tasks.outbox_run.apply_async",
        lambda args, **options: sent.append((args, options)),
    )
    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)
    assert outbox.send(7, task_name="talks.tasks.adopt_vote")
    assert outbox.send(8, task_name="points.tasks.print_signs")
    base = settings.CELERY_TASK_DEFAULT_QUEUE
    assert [o["queue"] for _, o in sent] == [f"{base}.votes", base]


def _wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def restore_consumed_queues(settings):
    yield
    # A worker started with queues= narrows the app's consumed queues; widen them again.
    app.amqp.queues.select(queues.all_queues(settings.CELERY_TASK_DEFAULT_QUEUE))


@pytest.mark.integration
def test_a_rankings_row_runs_on_a_rankings_worker_and_not_on_another(
    transactional_db, settings, restore_consumed_queues, monkeypatch
):
    """On the real broker: the default worker leaves a rankings row alone; a worker of the
    rankings queue runs it."""
    if not settings.CELERY_BROKER_URL:
        pytest.skip("no broker configured (REDIS_URL)")
    from celery.contrib.testing.worker import start_worker

    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)
    base = settings.CELERY_TASK_DEFAULT_QUEUE
    village = VillageFactory()
    key = f"test.queues:{village.pk}"

    def done():
        return Outbox.objects.filter(key=key, done_at__isnull=False).exists()

    with start_worker(
        app, perform_ping_check=False, loglevel="WARNING", shutdown_timeout=20, queues=[base]
    ):
        with transaction.atomic():
            outbox.enqueue("points.tasks.recompute_village_rankings", args=[village.pk], key=key)
        time.sleep(2)
        assert not done()
    with start_worker(
        app,
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=20,
        queues=[f"{base}.rankings"],
    ):
        assert _wait_for(done)
