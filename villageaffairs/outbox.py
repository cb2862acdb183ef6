"""The outbox: work that must follow a commit survives a broker or worker outage.

A service calls ``enqueue(task_name, args=…, key=…)`` inside its transaction. That writes (or
re-arms) one ``Outbox`` row in the same transaction and, after the commit, tries to hand the row
to a worker (``villageaffairs.tasks.outbox_run``). A broker error there is logged and swallowed:
the request succeeds, and the beat sweep (every minute) runs what is still pending.

A run claims its row with a conditional UPDATE that also sets a short lease, runs the named
task in-process and marks the row done only when the task has finished. A worker killed
mid-task therefore leaves the row pending, and the sweep runs it again once the lease is over,
long before the broker would redeliver the message. Tasks must be idempotent (they are: a
ranking recompute, claims by conditional UPDATE).

Services name tasks by their Celery name and never import ``tasks`` modules; the task registry
resolves the name when the row runs. Sign-in codes never go through here: they are sent
synchronously, and a late code is useless.
"""

import logging
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, DateTimeField, F, PositiveIntegerField, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string

from villageaffairs.models import Heartbeat, Outbox

logger = logging.getLogger("villageaffairs.outbox")

# A running attempt owns its row this long; after that the sweep may run it again.
LEASE = timedelta(minutes=2)
# Failures back off exponentially up to BACKOFF_MAX; after MAX_ATTEMPTS the row waits for an
# operator (it stays pending, with its last error, in the outbox table).
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 20
# Done rows are kept this long (for the admin), then purged by the sweep.
KEEP_DONE = timedelta(days=30)
# After a failed enqueue this process stops trying the broker for a while: a hung broker
# would otherwise cost every request a timeout. The sweep runs what was skipped.
BROKER_PAUSE_SECONDS = 10.0
# One sweep stops starting new rows after this long, so sweeps do not pile up.
SWEEP_BUDGET_SECONDS = 45.0

_broker_paused_until = 0.0


def _eager() -> bool:
    from villageaffairs.celery import app

    return bool(app.conf.task_always_eager)


def enqueue(task_name: str, *, args=(), key: str, countdown: int = 0) -> None:
    """Record that ``task_name(*args)`` must run after this transaction commits.

    ``key`` deduplicates: while a row with this key is pending, asking again only notes that
    the work was asked for again (so a run in progress runs once more); a done row is re-armed.
    """
    if _eager():
        countdown = 0  # eager runs happen now; a future due time would make them skip
    now = timezone.now()
    due = now + timedelta(seconds=countdown)
    args = list(args)
    with transaction.atomic():  # a savepoint: a concurrent insert of the key is retried as a get
        row, created = Outbox.objects.get_or_create(
            key=key,
            defaults={"task": task_name, "args": args, "next_attempt_at": due, "created_at": now},
        )
    if not created:
        Outbox.objects.filter(pk=row.pk).update(
            task=task_name,
            args=args,
            version=F("version") + 1,
            next_attempt_at=Case(
                When(done_at__isnull=False, then=Value(due)),
                default=F("next_attempt_at"),
                output_field=DateTimeField(),
            ),
            attempts=Case(
                When(done_at__isnull=False, then=Value(0)),
                default=F("attempts"),
                output_field=PositiveIntegerField(),
            ),
            done_at=None,
        )
    # A pending row is already on its way (queued, running or swept); only a new or re-armed
    # row needs a message. This also coalesces bursts, such as a batch of approvals.
    if created or row.done_at is not None:
        pk = row.pk
        transaction.on_commit(lambda: send(pk, countdown=countdown, task_name=task_name))


def send(outbox_id: int, *, countdown: int = 0, task_name: str = "") -> bool:
    """Best effort: ask a worker to run the row. Never raises; False if the broker failed.

    The message goes to the queue of the task the row runs (villageaffairs/queues.py), so that
    a rankings worker runs the rankings rows.
    """
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        return False
    from villageaffairs.queues import queue_for
    from villageaffairs.tasks import outbox_run

    try:
        outbox_run.apply_async(
            (outbox_id,), countdown=countdown or None, queue=queue_for(task_name or outbox_run.name)
        )
    except Exception:  # noqa: BLE001 - any broker failure: the row stays pending for the sweep
        if not _eager():
            _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "outbox %s: could not enqueue, the sweep will run it", outbox_id, exc_info=True
        )
        return False
    return True


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF_MAX, timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)))


def _task(name: str):
    """The Celery task of that name. Outside a worker the apps' task modules may not be
    imported yet, and a task's name is its import path."""
    from celery import Task

    task = import_string(name)
    if not isinstance(task, Task):
        raise TypeError(f"{name} is not a Celery task")
    return task


def run(outbox_id: int, *, now: datetime | None = None) -> bool:
    """Run one pending row if it is due and nobody holds it. True if its task finished."""
    now = now or timezone.now()
    claimed = Outbox.objects.filter(
        pk=outbox_id, done_at__isnull=True, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if claimed != 1:
        return False
    row = Outbox.objects.get(pk=outbox_id)
    try:
        _task(row.task)(*row.args)
    except Exception as exc:  # noqa: BLE001 - recorded on the row and retried with back-off
        logger.exception("outbox %s (%s) failed, attempt %d", row.pk, row.task, row.attempts)
        Outbox.objects.filter(pk=row.pk, done_at__isnull=True).update(
            next_attempt_at=timezone.now() + _backoff(row.attempts),
            last_error=f"{exc.__class__.__name__}: {exc}"[:500],
        )
        return False
    finished = Outbox.objects.filter(pk=row.pk, version=row.version).update(
        done_at=timezone.now(), last_error=""
    )
    if not finished:
        # Asked for again while it ran (a new change to rank): run once more, now.
        Outbox.objects.filter(pk=row.pk, done_at__isnull=True).update(
            next_attempt_at=timezone.now()
        )
        send(row.pk, task_name=row.task)
    return True


def sweep(*, now: datetime | None = None, limit: int = 1000) -> int:
    """The beat job: run every pending row that is due. Returns how many finished.

    Rows are due when their enqueue never reached a worker, when their worker died (the lease
    is over) or when their back-off after a failure is over. Safe on two workers at once: each
    row is claimed by one run.
    """
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(name="beat", defaults={"at": timezone.now()})
    started = time.monotonic()
    ids = list(
        Outbox.objects.filter(
            done_at__isnull=True, next_attempt_at__lte=now, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    finished = 0
    for pk in ids:
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
        finished += run(pk, now=now)
    Outbox.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    return finished
