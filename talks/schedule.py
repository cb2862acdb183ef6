"""Beat entries of the talks app (merged by villageaffairs/celery.py)."""

SCHEDULE = {
    # Every minute: a vote closes at most a minute after its time (closing is idempotent).
    "talks-close-due-votes": {
        "task": "talks.tasks.close_due_votes",
        "schedule": 60.0,
    },
    # Deadlines are whole days: a run every ten minutes escalates within minutes of one.
    "talks-escalate-overdue": {
        "task": "talks.tasks.escalate_overdue_topics",
        "schedule": 600.0,
    },
    "talks-ask-follow-ups": {
        "task": "talks.tasks.ask_follow_ups",
        "schedule": 600.0,
    },
}
