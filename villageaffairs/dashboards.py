"""Reads of the region dashboards (/r/<region>/): the figures of a region's villages over a
period, and their trend by month, from the daily statistics (villageaffairs.stats).

A dashboard costs a constant number of queries whatever the number of villages: the region,
its subtree (one per level), the villages, the summed rows per village, the household counts,
the monthly sums of the trend and the child regions.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from villageaffairs import stats
from villageaffairs.models import STATS_BUCKETS, Household, MonthlyStats, Region, Village
from villageaffairs.regions import subtree_ids

PERIODS = {
    "month": pgettext_lazy("dashboard period", "This month"),
    "quarter": pgettext_lazy("dashboard period", "This quarter"),
    "year": pgettext_lazy("dashboard period", "This year"),
}
DEFAULT_PERIOD = "month"
TREND_MONTHS = 12


def period_param(params) -> str:
    value = params.get("period")
    return value if isinstance(value, str) and value in PERIODS else DEFAULT_PERIOD


def period_range(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month, quarter or year of ``today``, up to today."""
    if period == "year":
        return today.replace(month=1, day=1), today
    if period == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today
    return today.replace(day=1), today


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def region_by_slug(slug: str) -> Region | None:
    return Region.objects.filter(slug=slug).first()


def _empty() -> dict:
    return dict.fromkeys(stats.columns(), 0)


def _sums(queryset, group: str) -> dict:
    names = stats.columns()
    rows = queryset.values(group).annotate(**{f"s_{n}": Sum(n) for n in names}).order_by()
    return {row[group]: {n: row[f"s_{n}"] or 0 for n in names} for row in rows}


def add(total: dict, more: dict) -> None:
    for name, value in more.items():
        total[name] = total.get(name, 0) + value


def display(figure, value) -> str:
    if value is None:
        return "–"
    if figure.kind == "share":
        return f"{round(value * 100)}%"
    if figure.kind == "stars":
        return f"{value:.1f}"
    if figure.kind == "hours":
        low, high = stats.bucket_range(value)
        if high is None:
            return _("%(low)s h or more") % {"low": low}
        if low == 0:
            return _("under %(high)s h") % {"high": high}
        return _("%(low)s–%(high)s h") % {"low": low, "high": high}
    return str(value)


def csv_value(figure, value):
    if value is None:
        return ""
    if figure.kind == "share":
        return round(value * 100, 1)
    if figure.kind == "stars":
        return round(value, 2)
    if figure.kind == "hours":
        return display(figure, value)
    return value


@dataclass
class Cell:
    figure: object
    value: float | None
    text: str
    url: str = ""


@dataclass
class Line:
    village: Village
    households: int
    sums: dict
    cells: list[Cell] = field(default_factory=list)

    def value(self, key):
        for cell in self.cells:
            if cell.figure.key == key:
                return cell.value
        return None


def _cells(figures, sums, ctx):
    cells = []
    for figure in figures:
        value = figure.value(sums, ctx)
        cells.append(Cell(figure, value, display(figure, value)))
    return cells


SORT_NAME = "name"


def sort_param(params, figures) -> str:
    value = params.get("sort")
    if not isinstance(value, str):
        return SORT_NAME
    key = value[1:] if value.startswith("-") else value
    if key == SORT_NAME or key in {f.key for f in figures}:
        return value
    return SORT_NAME


def sort_lines(lines: list[Line], sort: str, figures) -> list[Line]:
    """Best first by the figure (``-key`` turns it round); villages without the figure last."""
    reverse = sort.startswith("-")
    key = sort.lstrip("-")
    by_name = sorted(lines, key=lambda line: (line.village.name, line.village.pk))
    if key == SORT_NAME:
        return list(reversed(by_name)) if reverse else by_name
    figure = next(f for f in figures if f.key == key)
    descending = figure.higher_is_better != reverse
    present = [line for line in by_name if line.value(key) is not None]
    missing = [line for line in by_name if line.value(key) is None]
    present.sort(key=lambda line: line.value(key), reverse=descending)
    return present + missing


@dataclass
class Dashboard:
    region: Region
    period: str
    start: datetime.date
    end: datetime.date
    figures: list
    lines: list[Line]
    total: Line
    trend: list
    children: list


def village_lines(villages, period, start, end, figures) -> tuple[list[Line], Line]:
    ids = [v.pk for v in villages]
    # The periods are whole calendar months (up to today): their monthly sums.
    sums = _sums(
        MonthlyStats.objects.filter(
            village_id__in=ids, month__gte=start.replace(day=1), month__lte=end
        ),
        "village_id",
    )
    households = households_by_village(ids, end)
    lines, total_sums, total_households = [], _empty(), 0
    for village in villages:
        village_sums = sums.get(village.pk) or _empty()
        count = households.get(village.pk, 0)
        ctx = {"period": period, "households": count}
        lines.append(Line(village, count, village_sums, _cells(figures, village_sums, ctx)))
        add(total_sums, village_sums)
        total_households += count
    ctx = {"period": period, "households": total_households}
    total = Line(None, total_households, total_sums, _cells(figures, total_sums, ctx))
    return lines, total


def _existing_at(day: datetime.date) -> Q:
    """Households the village had at the end of ``day``. Shares of households (points
    activity) divide by the households of the period, not today's: a village that grew since
    must not look less active in its past. Household rows have no departure date (a departure
    on the register unregisters residents and keeps the household), so those stay counted."""
    return Q(created_at__lt=stats.day_start(day + datetime.timedelta(days=1)))


def households_by_village(village_ids, end: datetime.date) -> dict[int, int]:
    """The households of each village at the end of a period (one query for all of them)."""
    return dict(
        Household.objects.filter(_existing_at(end), village_id__in=village_ids)
        .values("village_id")
        .annotate(n=Count("pk"))
        .values_list("village_id", "n")
        .order_by()
    )


def households_by_month(village_ids, months, today: datetime.date) -> dict[datetime.date, int]:
    """The households of the villages at the end of each month (or today), in one query."""
    ends = {
        month: min(today, add_months(month, 1) - datetime.timedelta(days=1)) for month in months
    }
    counts = Household.objects.filter(village_id__in=village_ids).aggregate(
        **{f"m{n}": Count("pk", filter=_existing_at(end)) for n, end in enumerate(ends.values())}
    )
    return {month: counts[f"m{n}"] or 0 for n, month in enumerate(ends)}


def trend(village_ids, today: datetime.date, figures) -> list[dict]:
    """The last TREND_MONTHS months (this one included): one chart per trend figure."""
    first = add_months(today.replace(day=1), -(TREND_MONTHS - 1))
    rows = _sums(
        MonthlyStats.objects.filter(village_id__in=village_ids, month__gte=first, month__lte=today),
        "month",
    )
    months = [add_months(first, n) for n in range(TREND_MONTHS)]
    by_month = {}
    for month, sums in rows.items():
        by_month[month] = sums
    charts = []
    households = households_by_month(village_ids, months, today)
    for figure in figures:
        if not figure.trend:
            continue
        points = []
        for month in months:
            ctx = {"period": "month", "households": households[month]}
            value = figure.value(by_month.get(month) or _empty(), ctx)
            points.append((month, value, display(figure, value)))
        charts.append(chart(figure, points))
    return charts


CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM = 312, 120, 14, 18


def _height_value(figure, value) -> float:
    if value is None:
        return 0.0
    if figure.kind == "hours":
        return float(value + 1)  # buckets double: the index is a log scale
    return float(value)


def chart(figure, points) -> dict:
    """Bar geometry of an inline SVG chart (drawn by the template, no script)."""
    heights = [_height_value(figure, value) for _m, value, _t in points]
    top = max([*heights, 1e-9])
    if figure.kind == "share":
        top = max(top, 1.0)
    if figure.kind == "hours":
        top = float(STATS_BUCKETS)
    slot = CHART_W / len(points)
    usable = CHART_H - CHART_TOP - CHART_BOTTOM
    bars = []
    for i, ((month, value, text), height) in enumerate(zip(points, heights, strict=True)):
        h = round(usable * height / top, 1) if top else 0
        x = round(i * slot + slot * 0.15, 1)
        bars.append(
            {
                "x": x,
                "y": round(CHART_TOP + usable - h, 1),
                "w": round(slot * 0.7, 1),
                "h": h,
                "label_x": round(i * slot + slot / 2, 1),
                "month": month,
                "text": text,
                "empty": value is None,
            }
        )
    return {
        "figure": figure,
        "bars": bars,
        "width": CHART_W,
        "height": CHART_H,
        "axis_y": CHART_H - CHART_BOTTOM,
        "label_y": CHART_H - 4,
    }


def dashboard(region: Region, period: str, sort: str, today: datetime.date | None = None):
    today = today or timezone.localdate()
    start, end = period_range(period, today)
    figures = stats.figures()
    region_ids = subtree_ids([region.pk])
    villages = list(
        Village.objects.filter(region_id__in=region_ids, is_active=True)
        .only("pk", "name", "name_en", "slug", "code")
        .order_by("name", "pk")
    )
    lines, total = village_lines(villages, period, start, end, figures)
    charts = trend([v.pk for v in villages], today, figures)
    children = list(Region.objects.filter(parent=region).exclude(slug=None).order_by("name"))
    return Dashboard(
        region=region,
        period=period,
        start=start,
        end=end,
        figures=figures,
        lines=sort_lines(lines, sort, figures),
        total=total,
        trend=charts,
        children=children,
    )


def village_dashboard(village: Village, period: str, today: datetime.date | None = None):
    today = today or timezone.localdate()
    start, end = period_range(period, today)
    figures = stats.figures()
    lines, _total = village_lines([village], period, start, end, figures)
    charts = trend([village.pk], today, figures)
    for cell in lines[0].cells:
        cell.url = cell.figure.url(village.slug) if cell.figure.url else ""
    return {"line": lines[0], "start": start, "end": end, "trend": charts, "figures": figures}


def region_index():
    """The provinces and the cities under them (two queries)."""
    provinces = list(Region.objects.filter(parent=None).exclude(slug=None).order_by("name"))
    cities = Region.objects.filter(parent__in=provinces).exclude(slug=None).order_by("name")
    below = {}
    for city in cities:
        below.setdefault(city.parent_id, []).append(city)
    return [(province, below.get(province.pk, [])) for province in provinces]
