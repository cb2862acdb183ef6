"""The Celery app. Without a broker (settings.CELERY_TASK_ALWAYS_EAGER) tasks run in-process."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villageaffairs.settings")

app = Celery("villageaffairs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule, in code. Apps add their periodic jobs here.
app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "villageaffairs.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
}
