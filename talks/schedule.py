"""Beat entries of the talks app (merged by villageaffairs/celery.py)."""

SCHEDULE = {
    # Every minute: a vote closes at most a minute after its time (closing is idempotent).
    "talks-close-due-votes": {
        "task": "talks.tasks.close_due_votes",
        "schedule": 60.0,
    },
}
