"""Beat entries of the publicity app (merged by villageaffairs/celery.py)."""

from celery.schedules import crontab

SCHEDULE = {
    # Daily (Asia/Shanghai): from the 10th, villages whose last month's accounts are not
    # published are marked overdue. Marking is idempotent, so a missed or doubled run is harmless.
    "publicity-mark-overdue-accounts": {
        "task": "publicity.tasks.mark_overdue_accounts",
        "schedule": crontab(hour=8, minute=5),
    },
}
