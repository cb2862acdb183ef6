"""Daily per-village statistics: the figures the region dashboards (/r/<region>/) show.

Each app contributes its figures in ``<app>/stats.py`` (the core never imports an app by name,
as with the village home sections):

- ``daily_rows(start, end)`` yields ``(village_id, day, {column: value})`` for the days
  ``start``..``end`` (local dates, Asia/Shanghai), for all villages at once, from grouped
  queries (one per figure, never one per village). The columns are those of
  ``villageaffairs.models.DailyStats``; several apps may add to the same (village, day).
- ``FIGURES``: the figures the dashboards show (``Figure`` below), computed from the summed
  columns of any set of rows.

``aggregate(days)`` recomputes whole days for every village and replaces their rows, so a run
is idempotent and a changed day is fixed by running it again. ``touch()`` marks a village's day
whose rows changed after it was aggregated (a reopened matter, accounts published late); the
nightly job (``run``) recomputes the last ``SETTLE_DAYS`` days and every touched day.
"""

from __future__ import annotations

import datetime
import importlib
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from villageaffairs.models import (
    STATS_BUCKET_EDGES_HOURS,
    STATS_BUCKETS,
    STATS_COLUMNS,
    DailyStats,
    MonthlyStats,
    StatsDirty,
)

STATS_APPS = ("talks", "publicity", "points")  # the dashboards show them in this order
# The nightly run recomputes yesterday and the days before it, so a missed night or a late
# correction that nobody touched still lands.
SETTLE_DAYS = 3
# A backfill works through a long range in chunks of days (one set of grouped queries each).
CHUNK_DAYS = 31

REPLY_BUCKETS = tuple(f"reply_b{i}" for i in range(STATS_BUCKETS))
HANDLE_BUCKETS = tuple(f"handle_b{i}" for i in range(STATS_BUCKETS))


def columns() -> list[str]:
    """Every figure column of DailyStats and MonthlyStats (all additive)."""
    return list(STATS_COLUMNS)


def tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz())


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, tz()).date()


def local_date(field_name: str) -> TruncDate:
    """The local (Asia/Shanghai) day of a datetime column, for GROUP BY on SQLite and PostgreSQL."""
    return TruncDate(field_name, tzinfo=tz())


def between(field_name: str, start: datetime.date, end: datetime.date) -> Q:
    """``field_name`` falls on one of the local days start..end (an indexable range)."""
    return Q(
        **{
            f"{field_name}__gte": day_start(start),
            f"{field_name}__lt": day_start(end + datetime.timedelta(days=1)),
        }
    )


def bucket_counts(prefix: str, since: str, until: str) -> dict:
    """Aggregates counting rows into the histogram buckets of ``until - since`` in hours:
    ``{"<prefix>_b0": Count(...), ...}`` (both are datetime columns)."""
    edges = [datetime.timedelta(hours=h) for h in STATS_BUCKET_EDGES_HOURS]
    aggregates = {}
    for i, low in enumerate(edges):
        condition = Q(**{f"{until}__isnull": False})
        if i > 0:
            condition &= Q(**{f"{until}__gte": F(since) + low})
        if i + 1 < len(edges):
            condition &= Q(**{f"{until}__lt": F(since) + edges[i + 1]})
        aggregates[f"{prefix}_b{i}"] = Count("pk", filter=condition)
    return aggregates


def bucket_of_hours(hours: float) -> int:
    index = 0
    for i, edge in enumerate(STATS_BUCKET_EDGES_HOURS):
        if hours >= edge:
            index = i
    return index


def median_bucket(counts: list[int]) -> int | None:
    """The bucket holding the median of a merged histogram (the lower median), or None."""
    total = sum(counts)
    if not total:
        return None
    rank = (total + 1) // 2
    running = 0
    for i, n in enumerate(counts):
        running += n
        if running >= rank:
            return i
    return len(counts) - 1


def bucket_range(index: int) -> tuple[int, int | None]:
    low = STATS_BUCKET_EDGES_HOURS[index]
    high = STATS_BUCKET_EDGES_HOURS[index + 1] if index + 1 < STATS_BUCKETS else None
    return low, high


# --- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One figure of the dashboards, computed from summed DailyStats columns.

    ``value(sums, ctx)`` returns a number or None (nothing to show); ``ctx`` carries the period
    (``"month"``, ``"quarter"`` or ``"year"``) and the village's household count. ``kind`` says
    how it is shown: ``count``, ``share`` (0..1), ``stars`` or ``hours`` (a bucket index).
    ``higher_is_better`` sets the order of ``?sort=``. ``url(village_slug)`` is the village
    page behind it."""

    key: str
    label: object  # a lazy translation
    group: object
    value: Callable[[dict, dict], float | None]
    kind: str = "count"
    higher_is_better: bool = True
    url: Callable[[str], str] | None = None
    trend: bool = False  # drawn as a 12-month chart
    columns: tuple[str, ...] = field(default_factory=tuple)


def _module(app: str):
    name = f"{app}.stats"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


def providers() -> list:
    from django.apps import apps

    found = []
    for app in STATS_APPS:
        if apps.is_installed(app):
            module = _module(app)
            if module is not None:
                found.append(module)
    return found


def figures() -> list[Figure]:
    return [figure for module in providers() for figure in getattr(module, "FIGURES", ())]


# --- writing --------------------------------------------------------------------------------


def touch(*, village_id: int, days: Iterable) -> None:
    """Mark a village's days (dates, or datetimes taken as local days) for the next run.
    Call it in the transaction that changes the rows behind those days."""
    marked = {local_day(d) if isinstance(d, datetime.datetime) else d for d in days}
    StatsDirty.objects.bulk_create(StatsDirty(village_id=village_id, day=d) for d in marked)


def _compute(start: datetime.date, end: datetime.date) -> dict[tuple[int, datetime.date], dict]:
    rows: dict[tuple[int, datetime.date], dict] = defaultdict(dict)
    for module in providers():
        for village_id, day, values in module.daily_rows(start, end):
            if not start <= day <= end:
                continue
            row = rows[(village_id, day)]
            for name, value in values.items():
                row[name] = row.get(name, 0) + (value or 0)
    return rows


def _runs(days: Iterable[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Sorted days as ranges of consecutive days, at most CHUNK_DAYS long."""
    runs: list[list[datetime.date]] = []
    for day in sorted(set(days)):
        if (
            runs
            and day - runs[-1][1] == datetime.timedelta(days=1)
            and (day - runs[-1][0]).days < CHUNK_DAYS
        ):
            runs[-1][1] = day
            continue
        runs.append([day, day])
    return [(a, b) for a, b in runs]


def aggregate(days: Iterable[datetime.date]) -> int:
    """Recompute the given days for every village and replace their rows. Returns the number
    of rows written. Idempotent: the same rows however often it runs."""
    written = 0
    names = columns()
    for start, end in _runs(days):
        computed = _compute(start, end)
        objects = [
            DailyStats(village_id=village_id, day=day, **values)
            for (village_id, day), values in computed.items()
            if any(values.values())
        ]
        with transaction.atomic():
            DailyStats.objects.filter(day__gte=start, day__lte=end).delete()
            # An upsert, so that two runs at once still leave one row per village and day.
            DailyStats.objects.bulk_create(
                objects,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["village", "day"],
                update_fields=names,
            )
            rollup(_months(start, end))
        written += len(objects)
    return written


def _months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def rollup(months: Iterable[datetime.date]) -> None:
    """Rewrite the MonthlyStats of the given months (their 1st) from the daily rows: one
    grouped query per month, for all villages."""
    names = columns()
    for month in months:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        sums = (
            DailyStats.objects.filter(day__gte=month, day__lt=following)
            .values("village_id")
            .annotate(**{f"s_{n}": Sum(n) for n in names})
            .order_by()
        )
        objects = [
            MonthlyStats(
                village_id=row["village_id"],
                month=month,
                **{n: row[f"s_{n}"] or 0 for n in names},
            )
            for row in sums
        ]
        with transaction.atomic():
            MonthlyStats.objects.filter(month=month).delete()
            MonthlyStats.objects.bulk_create(
                objects,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["village", "month"],
                update_fields=names,
            )


def run(*, today: datetime.date | None = None) -> int:
    """The nightly job: the last SETTLE_DAYS days up to yesterday, and every touched day."""
    today = today or timezone.localdate()
    days = {today - datetime.timedelta(days=n) for n in range(1, SETTLE_DAYS + 1)}
    dirty = list(StatsDirty.objects.values_list("pk", "day"))
    days |= {day for _pk, day in dirty if day < today}
    written = aggregate(days)
    # Only the marks read above: a touch that arrives during the run waits for the next one.
    StatsDirty.objects.filter(pk__in=[pk for pk, day in dirty if day < today]).delete()
    return written


def backfill(start: datetime.date, end: datetime.date) -> int:
    """Recompute every day from start to end (both included)."""
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    return aggregate(days)
