"""Reply and handling deadlines of a village's matters, in calendar days.

A village sets defaults (``TalksSettings.reply_days`` / ``handle_days``) and may give a category
its own (``CategoryDeadline``). A deadline of n days falls at the end of the n-th calendar day
after the day the matter was raised, in the village's time (Asia/Shanghai): a matter raised on
Monday at 15:00 with 3 days to reply is due by Thursday midnight. Weekends and holidays count.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from talks.models import CategoryDeadline, TalksSettings, Topic

DEFAULT_REPLY_DAYS = 3
DEFAULT_HANDLE_DAYS = 30
DEFAULT_FOLLOW_UP_DAYS = 14


def _settings(village) -> TalksSettings:
    found = TalksSettings.objects.filter(village=village).first()
    return found or TalksSettings(village=village)


def deadlines_for(village) -> dict[str, tuple[int, int]]:
    """Each category's (reply days, handling days) in this village."""
    s = _settings(village)
    result = dict.fromkeys(Topic.Category.values, (s.reply_days, s.handle_days))
    for category, reply, handle in CategoryDeadline.objects.filter(village=village).values_list(
        "category", "reply_days", "handle_days"
    ):
        result[category] = (reply, handle)
    return result


def follow_up_days(village) -> int:
    return _settings(village).follow_up_days


def due_after(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th calendar day after ``start``'s day (local time)."""
    local = timezone.localtime(start).date() + timedelta(days=days + 1)
    return timezone.make_aware(datetime.combine(local, time.min))


def due_fields(village, category: str, raised_at: datetime) -> dict:
    """The due dates of a matter raised at ``raised_at``, as Topic fields."""
    reply, handle = deadlines_for(village).get(category, (DEFAULT_REPLY_DAYS, DEFAULT_HANDLE_DAYS))
    return {
        "reply_due_at": due_after(raised_at, reply),
        "handle_due_at": due_after(raised_at, handle),
    }
