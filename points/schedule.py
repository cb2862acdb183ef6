"""Beat entries of the points app (merged by villageaffairs/celery.py)."""

from celery.schedules import crontab

SCHEDULE = {
    # Nightly, after midnight in Asia/Shanghai: the day's snapshot (movement arrows compare
    # with it) and this year's ranking rolls over on 1 January.
    "points-recompute-all-rankings": {
        "task": "points.tasks.recompute_all_rankings",
        "schedule": crontab(hour=0, minute=20),
    },
}
