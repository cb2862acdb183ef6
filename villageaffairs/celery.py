"""The Celery app. Without a broker (settings.CELERY_TASK_ALWAYS_EAGER) tasks run in-process."""

import importlib
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villageaffairs.settings")

app = Celery("villageaffairs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

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
