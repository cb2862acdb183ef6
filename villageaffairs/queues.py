"""Celery queues split by kind, so that workers can be scaled apart (README, "Scaling").

Every queue name starts with ``CELERY_QUEUE`` (``villageaffairs`` unless set): the default
queue is ``villageaffairs`` itself and the kinds are ``villageaffairs.rankings`` and so on. Tests
and CI set ``CELERY_QUEUE`` to keep their workers apart from anyone else's on the same Redis.

A worker started without ``-Q`` consumes every queue (settings.CELERY_TASK_QUEUES lists them
all); production runs one worker service per kind (docker-compose.yml).

This module is read by the settings, so it imports nothing from Django at the top.
"""

from fnmatch import fnmatchcase

RANKINGS = "rankings"
NOTIFICATIONS = "notifications"
VOTES = "votes"
STATISTICS = "statistics"
KINDS = (RANKINGS, NOTIFICATIONS, VOTES, STATISTICS)

# Each task's kind, by its Celery name. Tasks not listed (sessions, the outbox sweep, sign
# printing, overdue accounts) run on the default queue.
TASK_KINDS = {
    "points.tasks.recompute_village_rankings": RANKINGS,
    "points.tasks.recompute_all_rankings": RANKINGS,
    "talks.tasks.send_notification_sms": NOTIFICATIONS,
    "loans.tasks.application_notify": NOTIFICATIONS,
    "talks.tasks.close_due_votes": VOTES,
    "talks.tasks.adopt_vote": VOTES,
}
# The daily statistics and the regions' figures: any task named for them, wherever it lives.
KIND_PATTERNS = (("*statistic*", STATISTICS),)


def kind_of(task_name: str) -> str | None:
    """The kind of a task, or None for the default queue."""
    if task_name in TASK_KINDS:
        return TASK_KINDS[task_name]
    for pattern, kind in KIND_PATTERNS:
        if fnmatchcase(task_name, pattern):
            return kind
    return None


def queue_name(base: str, kind: str | None = None) -> str:
    return f"{base}.{kind}" if kind else base


def all_queues(base: str) -> list[str]:
    """The default queue and one per kind: what a worker must consume to run everything."""
    return [queue_name(base), *(queue_name(base, kind) for kind in KINDS)]


def celery_task_queues(base: str) -> dict[str, dict[str, str]]:
    """settings.CELERY_TASK_QUEUES: every queue, each on its own direct exchange."""
    return {name: {"exchange": name, "routing_key": name} for name in all_queues(base)}


def queue_for(task_name: str) -> str:
    from django.conf import settings

    return queue_name(settings.CELERY_TASK_DEFAULT_QUEUE, kind_of(task_name))


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery's router (settings.CELERY_TASK_ROUTES). ``outbox_run`` is sent by the outbox
    with the queue of the task it runs (villageaffairs.outbox.send), which wins over this."""
    return {"queue": queue_for(name)}
