"""The Celery app. Without a broker (settings.CELERY_TASK_ALWAYS_EAGER) tasks run in-process."""

import contextlib
import importlib
import os

from celery import Celery, signals
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villageaffairs.settings")

app = Celery("villageaffairs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _use_the_projects_logging(**kwargs):
    """Worker and beat log through settings.LOGGING (same format as Django and gunicorn).

    With a receiver on this signal Celery leaves the root logger alone (no hijack, no
    worker_log_format of its own).
    """
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def _send_the_request_id(headers=None, **kwargs):
    """A task carries the id of the request (or task) that enqueued it."""
    from villageaffairs.logging import get_request_id

    if headers is not None and "request_id" not in headers:
        headers["request_id"] = get_request_id()


@signals.task_prerun.connect
def _take_the_request_id(task=None, **kwargs):
    from villageaffairs.logging import new_request_id, set_request_id

    request_id = getattr(task.request, "request_id", None) if task is not None else None
    if request_id and request_id != "-":
        task.request._va_request_id_token = set_request_id(request_id)
    elif not task.request.is_eager:
        # Beat's jobs: an id of their own, so one run's lines can be told apart.
        task.request._va_request_id_token = set_request_id(new_request_id())


@signals.task_postrun.connect
def _drop_the_request_id(task=None, **kwargs):
    from villageaffairs.logging import reset_request_id

    token = getattr(task.request, "_va_request_id_token", None) if task is not None else None
    if token is not None:
        # Set in another context (a thread pool): nothing to restore.
        with contextlib.suppress(ValueError):
            reset_request_id(token)
        task.request._va_request_id_token = None


# The beat schedule, in code: the core's jobs here, each app's in ``<app>/schedule.py``
# (a dict named SCHEDULE), merged below.
BEAT_APPS = ("points", "talks", "loans", "publicity")
beat_schedule = {
    "clear-expired-sessions": {
        "task": "villageaffairs.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "prune-unregistered-accounts": {
        "task": "villageaffairs.tasks.prune_unregistered_accounts",
        "schedule": crontab(hour=3, minute=27),
    },
    # The dashboards' daily statistics, after midnight (Asia/Shanghai) for the day before.
    "stats-aggregate": {
        "task": "villageaffairs.tasks.stats_aggregate",
        "schedule": crontab(hour=1, minute=37),
    },
    # Every minute: run what a broker or worker outage left in the outbox; also the beat's
    # heartbeat that /healthz reports.
    "outbox-sweep": {
        "task": "villageaffairs.tasks.outbox_sweep",
        "schedule": 60.0,
    },
}
for _app in BEAT_APPS:
    try:
        beat_schedule.update(importlib.import_module(f"{_app}.schedule").SCHEDULE)
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.schedule":
            raise
app.conf.beat_schedule = beat_schedule
