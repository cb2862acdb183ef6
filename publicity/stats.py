"""What publicity contributes to the daily statistics (villageaffairs.stats) and the dashboards.

A month's accounts are due on the 10th of the month after (``services.DUE_DAY``; the same rule
``overdue_mark`` applies). Each month a village owes is counted once, on its due day: published
by the end of that day (on time), published after it (late), or not published (missing). The
village owes a month when its books begin by then, or when it has no books and already existed
(as ``overdue_mark`` decides). Publishing late marks the due day for re-aggregation
(``month_publish`` calls ``villageaffairs.stats.touch``).
"""

import datetime

from django.db.models import Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from publicity.models import FinanceBook, FinanceMonth
from publicity.services import DUE_DAY, next_month, previous_month
from villageaffairs import stats
from villageaffairs.models import Village
from villageaffairs.stats import Figure


def due_day(month: datetime.date) -> datetime.date:
    """The day the accounts of ``month`` (its 1st) are due."""
    return next_month(month).replace(day=DUE_DAY)


def _due_days(start: datetime.date, end: datetime.date):
    day = start.replace(day=DUE_DAY)
    if day < start:
        day = next_month(day.replace(day=1)).replace(day=DUE_DAY)
    while day <= end:
        yield day
        day = next_month(day.replace(day=1)).replace(day=DUE_DAY)


def daily_rows(start: datetime.date, end: datetime.date):
    for day in _due_days(start, end):
        month = previous_month(day.replace(day=1))
        published = FinanceMonth.objects.filter(
            village=OuterRef("pk"), month=month, status=FinanceMonth.Status.PUBLISHED
        ).values("published_at")[:1]
        books = FinanceBook.objects.filter(village=OuterRef("pk"))
        owing = (
            Village.objects.filter(is_active=True)
            .filter(
                Q(finance_book__starts_on__lte=month)
                | Q(~Exists(books), created_at__lt=stats.day_start(next_month(month)))
            )
            .annotate(published_at=Subquery(published))
            .values_list("pk", "published_at")
        )
        deadline = stats.day_start(day + datetime.timedelta(days=1))
        for village_id, published_at in owing:
            if published_at is None:
                values = {"months_missing": 1}
            elif published_at < deadline:
                values = {"months_on_time": 1}
            else:
                values = {"months_late": 1}
            yield village_id, day, values


DISCLOSURE = pgettext_lazy("dashboard group", "Disclosure")


def _open_url(slug):
    return reverse("publicity:index", args=[slug])


FIGURES = [
    Figure(
        "accounts_on_time",
        _("Monthly accounts published on time"),
        DISCLOSURE,
        lambda s, ctx: s["months_on_time"],
        url=_open_url,
        trend=False,
    ),
    Figure(
        "accounts_late",
        _("Monthly accounts published late"),
        DISCLOSURE,
        lambda s, ctx: s["months_late"],
        higher_is_better=False,
        url=_open_url,
    ),
    Figure(
        "accounts_missing",
        _("Monthly accounts missing"),
        DISCLOSURE,
        lambda s, ctx: s["months_missing"],
        higher_is_better=False,
        url=_open_url,
    ),
]
