"""What points contributes to the daily statistics (villageaffairs.stats) and the dashboards.

Households with any points activity: distinct households over a period are not a sum of
distinct households per day. The dashboards' periods are calendar months, quarters and years,
so each day stores how many households were active that day *for the first time in its month*,
*in its quarter* and *in its year* (a ledger entry that day, none earlier in that period). The
distinct households of a month, quarter or year are then the plain sum over its days, exactly,
and the table stays one row per village and day. It costs one grouped query per day
aggregated (all villages at once), each probing the ledger's (household, time) index.

Claims decided within 7 days are keyed on the day of the decision.
"""

import datetime

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from points.models import Claim, LedgerEntry
from villageaffairs import stats
from villageaffairs.stats import Figure

DECISION_DAYS = 7


def period_starts(day: datetime.date) -> dict[str, datetime.date]:
    quarter_month = (day.month - 1) // 3 * 3 + 1
    return {
        "month": day.replace(day=1),
        "quarter": day.replace(month=quarter_month, day=1),
        "year": day.replace(month=1, day=1),
    }


def _active_households(day: datetime.date):
    begins = stats.day_start(day)
    ends = stats.day_start(day + datetime.timedelta(days=1))
    aggregates = {}
    for period, first in period_starts(day).items():
        earlier = LedgerEntry.objects.filter(
            household=OuterRef("household"),
            created_at__gte=stats.day_start(first),
            created_at__lt=begins,
        )
        aggregates[f"active_new_{period}"] = Count(
            "household", distinct=True, filter=~Q(Exists(earlier))
        )
    rows = (
        LedgerEntry.objects.filter(created_at__gte=begins, created_at__lt=ends)
        .values("village_id")
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        yield row.pop("village_id"), day, row


def daily_rows(start: datetime.date, end: datetime.date):
    decided = (
        Claim.objects.filter(
            stats.between("decided_at", start, end),
            state__in=[Claim.State.APPROVED, Claim.State.REJECTED],
        )
        .annotate(
            stats_day=stats.local_date("decided_at"),
            due=ExpressionWrapper(
                F("created_at") + datetime.timedelta(days=DECISION_DAYS),
                output_field=DateTimeField(),
            ),
        )
        .values("village_id", "stats_day")
        .annotate(
            claims_decided=Count("pk"),
            claims_decided_in_time=Count("pk", filter=Q(decided_at__lte=F("due"))),
        )
        .order_by()
    )
    for row in decided:
        yield row.pop("village_id"), row.pop("stats_day"), row
    day = start
    while day <= end:
        yield from _active_households(day)
        day += datetime.timedelta(days=1)


def _active_share(s, ctx):
    households = ctx.get("households")
    if not households:
        return None
    return min(1.0, s[f"active_new_{ctx['period']}"] / households)


def _in_time(s, ctx):
    return s["claims_decided_in_time"] / s["claims_decided"] if s["claims_decided"] else None


POINTS = pgettext_lazy("dashboard group", "Points")


def _ranking_url(slug):
    return reverse("points:ranking", args=[slug])


FIGURES = [
    Figure(
        "active",
        _("Households with points activity"),
        POINTS,
        _active_share,
        kind="share",
        url=_ranking_url,
        trend=True,
    ),
    Figure(
        "claims_in_time",
        _("Claims decided within 7 days"),
        POINTS,
        _in_time,
        kind="share",
        url=lambda slug: reverse("points:rules", args=[slug]),
    ),
]
