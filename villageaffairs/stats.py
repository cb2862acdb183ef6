"""Daily per-village statistics (the lead replaces this stand-in with the real module)."""


def touch(*, village_id: int, days) -> None:
    """Mark the figures of ``village_id`` on ``days`` (dates) as stale, so the nightly job
    aggregates them again: called after a commit that changed a past day's figures (a
    reopened matter changes its raise day, its handling days and today)."""
    return None
