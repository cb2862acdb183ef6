"""What talks contributes to the daily statistics (villageaffairs.stats) and the dashboards.

Each figure is keyed on the day of its event: a matter raised on its raising day, the first
official reply (and its reply-time bucket) on the reply day, the first handling on the handling
day, a rating on the day it was given, a vote on the day it closed.
"""

import datetime

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from talks.models import Event, Participation, Rating, RollEntry, Topic, Vote
from villageaffairs import stats
from villageaffairs.stats import Figure

# Deadlines of matters raised before they were recorded (calendar days from raising).
DEFAULT_REPLY_DAYS = 3
DEFAULT_HANDLE_DAYS = 30


def handle_deadline():
    return Coalesce(
        F("handle_due_at"),
        ExpressionWrapper(
            F("created_at") + datetime.timedelta(days=DEFAULT_HANDLE_DAYS),
            output_field=DateTimeField(),
        ),
        output_field=DateTimeField(),
    )


def _grouped(queryset, field_name, start, end, **aggregates):
    return (
        queryset.filter(stats.between(field_name, start, end))
        .annotate(stats_day=stats.local_date(field_name))
        .values("village_id", "stats_day")
        .annotate(**aggregates)
        .order_by()
    )


def _rows(queryset):
    for row in queryset:
        village_id, day = row.pop("village_id"), row.pop("stats_day")
        yield village_id, day, row


def daily_rows(start: datetime.date, end: datetime.date):
    yield from _rows(_grouped(Topic.objects, "created_at", start, end, topics_raised=Count("pk")))
    yield from _rows(
        _grouped(
            Topic.objects,
            "first_reply_at",
            start,
            end,
            replied=Count("pk"),
            **stats.bucket_counts("reply", "created_at", "first_reply_at"),
        )
    )
    yield from _rows(
        _grouped(
            Topic.objects.annotate(deadline=handle_deadline()),
            "handled_at",
            start,
            end,
            handled=Count("pk"),
            handled_in_time=Count("pk", filter=Q(handled_at__lte=F("deadline"))),
            **stats.bucket_counts("handle", "created_at", "handled_at"),
        )
    )
    yield from _rows(
        _grouped(
            Rating.objects.filter(set_aside=False),
            "created_at",
            start,
            end,
            rating_sum=Sum("stars"),
            rating_count=Count("pk"),
        )
    )
    yield from _rows(
        _grouped(
            Event.objects.filter(kind__in=[Event.Kind.HANDLED, Event.Kind.REOPENED]),
            "created_at",
            start,
            end,
            handled_events=Count("pk", filter=Q(kind=Event.Kind.HANDLED)),
            reopened_events=Count("pk", filter=Q(kind=Event.Kind.REOPENED)),
        )
    )
    # Turnout: people who voted ÷ people on the roll, per closed vote (one row per vote).
    participations = (
        Participation.objects.filter(vote=OuterRef("pk"))
        .order_by()
        .values("vote")
        .annotate(n=Count("pk"))
        .values("n")
    )
    roll = (
        RollEntry.objects.filter(vote=OuterRef("pk"), removed_at=None)
        .order_by()
        .values("vote")
        .annotate(n=Count("pk"))
        .values("n")
    )
    votes = (
        Vote.objects.filter(stats.between("closed_at", start, end))
        .annotate(p=Subquery(participations), r=Subquery(roll))
        .values_list("village_id", "closed_at", "p", "r")
        .order_by()
    )
    for village_id, closed_at, voted, on_roll in votes:
        yield (
            village_id,
            stats.local_day(closed_at),
            {"votes_closed": 1, "vote_participations": voted or 0, "vote_roll": on_roll or 0},
        )


def _share(part, whole):
    return lambda s, ctx: (s[part] / s[whole]) if s.get(whole) else None


def _reply_median(s, ctx):
    return stats.median_bucket([s[c] for c in stats.REPLY_BUCKETS])


TALKS = pgettext_lazy("dashboard group", "Villagers talk")
PARTICIPATION = pgettext_lazy("dashboard group", "Participation")


def _talks_url(slug):
    return reverse("talks:list", args=[slug])


FIGURES = [
    Figure(
        "topics",
        _("Matters raised"),
        TALKS,
        lambda s, ctx: s["topics_raised"],
        url=_talks_url,
        trend=True,
    ),
    Figure(
        "reply_median",
        _("Median time to first reply"),
        TALKS,
        _reply_median,
        kind="hours",
        higher_is_better=False,
        url=_talks_url,
        trend=True,
    ),
    Figure(
        "handled_in_time",
        _("Handled within the deadline"),
        TALKS,
        _share("handled_in_time", "handled"),
        kind="share",
        url=_talks_url,
        trend=True,
    ),
    Figure(
        "rating",
        _("Average rating"),
        TALKS,
        _share("rating_sum", "rating_count"),
        kind="stars",
        url=_talks_url,
    ),
    Figure(
        "reopen_rate",
        _("Reopened as not fixed"),
        TALKS,
        _share("reopened_events", "handled_events"),
        kind="share",
        higher_is_better=False,
        url=_talks_url,
    ),
    Figure(
        "turnout",
        _("Vote turnout"),
        PARTICIPATION,
        _share("vote_participations", "vote_roll"),
        kind="share",
        url=_talks_url,
        trend=True,
    ),
]
