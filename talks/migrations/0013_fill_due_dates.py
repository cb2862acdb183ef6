"""Existing matters get the default deadlines (3 days to reply, 30 to handle, calendar days),
and their last handling time from their first one. Handled matters count from the day they were
raised (the handling record); open ones from today, so that a deploy does not escalate every
old open matter at the beat job's first run."""

from datetime import datetime, time, timedelta

from django.db import migrations
from django.db.models import F
from django.utils import timezone


def _due(start, days):
    local = timezone.localtime(start).date() + timedelta(days=days + 1)
    return timezone.make_aware(datetime.combine(local, time.min))


def fill(apps, schema_editor):
    Topic = apps.get_model("talks", "Topic")
    Settings = apps.get_model("talks", "TalksSettings")
    Deadline = apps.get_model("talks", "CategoryDeadline")
    defaults = {s.village_id: (s.reply_days, s.handle_days) for s in Settings.objects.all()}
    own = {
        (d.village_id, d.category): (d.reply_days, d.handle_days) for d in Deadline.objects.all()
    }
    todo = Topic.objects.filter(reply_due_at__isnull=True).only(
        "pk", "village_id", "category", "created_at", "handled_at"
    )
    now = timezone.now()
    for topic in todo.iterator(chunk_size=2000):
        start = topic.created_at if topic.handled_at else max(topic.created_at, now)
        reply, handle = own.get(
            (topic.village_id, topic.category), defaults.get(topic.village_id, (3, 30))
        )
        Topic.objects.filter(pk=topic.pk).update(
            reply_due_at=_due(start, reply),
            handle_due_at=_due(start, handle),
        )
    Topic.objects.filter(last_handled_at__isnull=True, handled_at__isnull=False).update(
        last_handled_at=F("handled_at")
    )


class Migration(migrations.Migration):
    dependencies = [("talks", "0012_deadlines_followups")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
