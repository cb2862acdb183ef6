"""Reads of the publicity app. Every page's query count is constant in the size of the books."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from publicity.models import (
    ZERO,
    Category,
    Direction,
    Disclosure,
    EntryImport,
    FinanceBook,
    FinanceEntry,
    FinanceMonth,
    OverdueNotice,
    Question,
    month_key,
)
from villageaffairs import bounds

ENTRIES_PER_PAGE = 50
ITEMS_PER_PAGE = 20
INSIDER_FLAGS = frozenset({"publicity.publish", "publicity.finance", "publicity.check_finance"})
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date | None:
    """ "2026-03" → date(2026, 3, 1); None for anything that is not a calendar month."""
    match = _MONTH.match(text or "")
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def is_insider(perms) -> bool:
    return bool(INSIDER_FLAGS & set(perms))


def book(village) -> FinanceBook | None:
    return FinanceBook.objects.filter(village=village).first()


def unchecked_months_before(village, book: FinanceBook, month: date) -> list[date]:
    """Months of the book before ``month`` that the finance group has not checked yet."""
    locked = set(
        FinanceMonth.objects.filter(village=village, month__gte=book.starts_on, month__lt=month)
        .exclude(status=FinanceMonth.Status.OPEN)
        .values_list("month", flat=True)
    )
    # From the book's first month, but never before the years a form accepts: a start typed
    # into the admin as year 1 must not make every finance page walk 24,000 months.
    missing, cursor = [], max(book.starts_on, date(bounds.YEARS[0], 1, 1))
    while cursor < month:
        if cursor not in locked:
            missing.append(cursor)
        cursor = add_months(cursor, 1)
    return missing


def date_problem(village, day: date, *, the_book=None, locked_months=None) -> str | None:
    """Why an entry cannot be dated ``day`` (or None). Used by the form, the import and writes."""
    the_book = the_book if the_book is not None else book(village)
    if the_book is None:
        return _("Open the books first: say from which month and with what balance.")
    if day > timezone.localdate():
        return _("The date is in the future.")
    if day < the_book.starts_on:
        return _("The books start in %(month)s; this date is earlier.") % {
            "month": month_key(the_book.starts_on)
        }
    month = day.replace(day=1)
    if locked_months is None:
        locked = FinanceMonth.objects.filter(village=village, month=month).exclude(status="open")
        is_locked = locked.exists()
    else:
        is_locked = month in locked_months
    if is_locked:
        return _(
            "%(month)s has been checked by the finance group and can no longer change. "
            "Record a correction in the current month."
        ) % {"month": month_key(month)}
    return None


@dataclass
class Figures:
    opening_balance: Decimal
    income: Decimal
    expense: Decimal
    entry_count: int
    by_category: list = field(default_factory=list)  # [(direction, label, total, count)]

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance + self.income - self.expense


def month_figures(village, month: date, *, book: FinanceBook, row: FinanceMonth | None = None):
    """Opening balance, totals by category and closing balance of one month (two queries at
    most). A checked month's opening balance is the frozen one; an open month's is computed."""
    totals = (
        FinanceEntry.objects.filter(village=village, date__gte=month, date__lt=add_months(month, 1))
        .values("direction", "category")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by()
    )
    labels = dict(Category.choices)
    order = {code: i for i, code in enumerate(Category.values)}
    by_category = sorted(
        (
            (
                t["direction"],
                labels.get(t["category"], t["category"]),
                t["total"],
                t["n"],
                t["category"],
            )
            for t in totals
        ),
        key=lambda t: order.get(t[4], 99),
    )
    income = sum((t[2] for t in by_category if t[0] == Direction.INCOME), ZERO)
    expense = sum((t[2] for t in by_category if t[0] == Direction.EXPENSE), ZERO)
    count = sum(t[3] for t in by_category)
    if row is not None and row.is_locked and row.opening_balance is not None:
        opening = row.opening_balance
    else:
        before = FinanceEntry.objects.filter(
            village=village, date__gte=book.starts_on, date__lt=month
        ).aggregate(
            income=Sum("amount", filter=Q(direction=Direction.INCOME)),
            expense=Sum("amount", filter=Q(direction=Direction.EXPENSE)),
        )
        opening = book.opening_balance + (before["income"] or ZERO) - (before["expense"] or ZERO)
    return Figures(
        opening_balance=opening,
        income=income,
        expense=expense,
        entry_count=count,
        by_category=[t[:4] for t in by_category],
    )


# --- the chart ----------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 360, 210
PLOT_LEFT, PLOT_TOP, PLOT_HEIGHT = 46, 30, 150
NICE = (1, 2, 2.5, 5, 10)


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10^k that is ≥ value (the chart's top line)."""
    if value <= 0:
        return Decimal(100)
    exponent = len(str(int(value))) - 1
    base = Decimal(10) ** exponent
    for step in NICE:
        top = Decimal(str(step)) * base
        if top >= value:
            return top
    return Decimal(10) * base


@dataclass
class Bar:
    kind: str  # "income" or "expense"
    value: Decimal
    x: float
    y: float
    width: float
    height: float


@dataclass
class ChartMonth:
    month: date
    key: str
    published: bool
    income: Decimal
    expense: Decimal
    label_x: float
    bars: list


@dataclass
class Chart:
    months: list
    top: Decimal
    in_ten_thousands: bool
    gridlines: list  # [(y, label value)]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    plot_left: int = PLOT_LEFT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_TOP + PLOT_HEIGHT

    @property
    def has_data(self) -> bool:
        return any(m.published for m in self.months)


def chart(village, end: date) -> Chart:
    """Published income and expense of the 12 months ending with ``end`` (one query)."""
    start = add_months(end, -11)
    rows = {
        r.month: r
        for r in FinanceMonth.objects.filter(
            village=village,
            month__gte=start,
            month__lte=end,
            status=FinanceMonth.Status.PUBLISHED,
        ).only("month", "income", "expense")
    }
    peak = max([max(r.income, r.expense) for r in rows.values()] or [ZERO])
    top = nice_ceiling(peak)
    slot = (CHART_WIDTH - PLOT_LEFT - 4) / 12
    bar_width = round(slot * 0.36, 1)
    months = []
    for i in range(12):
        month = add_months(start, i)
        row = rows.get(month)
        x = PLOT_LEFT + i * slot
        bars = []
        if row is not None:
            for j, (kind, value) in enumerate((("income", row.income), ("expense", row.expense))):
                height = round(float(value / top) * PLOT_HEIGHT, 1)
                bars.append(
                    Bar(
                        kind=kind,
                        value=value,
                        x=round(x + slot * 0.12 + j * bar_width, 1),
                        y=round(PLOT_TOP + PLOT_HEIGHT - height, 1),
                        width=bar_width,
                        height=height,
                    )
                )
        months.append(
            ChartMonth(
                month=month,
                key=month_key(month),
                published=row is not None,
                income=row.income if row else ZERO,
                expense=row.expense if row else ZERO,
                label_x=round(x + slot / 2, 1),
                bars=bars,
            )
        )
    in_ten_thousands = top >= 10000
    unit = Decimal(10000) if in_ten_thousands else Decimal(1)
    gridlines = []
    for fraction in (Decimal(0), Decimal("0.5"), Decimal(1)):
        y = round(PLOT_TOP + PLOT_HEIGHT - float(fraction) * PLOT_HEIGHT, 1)
        gridlines.append((y, (top * fraction / unit).normalize()))
    return Chart(months=months, top=top, in_ten_thousands=in_ten_thousands, gridlines=gridlines)


# --- pages --------------------------------------------------------------------------------------


@dataclass
class Statement:
    month: date
    key: str
    row: FinanceMonth | None
    book: FinanceBook | None
    figures: Figures | None
    entries: object  # a Page of entries
    chart: Chart
    questions: list
    previous_key: str
    next_key: str | None

    @property
    def published(self) -> bool:
        return self.row is not None and self.row.is_published

    @property
    def in_books(self) -> bool:
        return self.book is not None and self.month >= self.book.starts_on


def month_visible(the_book, row, month: date, *, insider: bool) -> bool:
    """A month in the books may be read by insiders; by anyone else once it is published."""
    visible = the_book is not None and month >= the_book.starts_on
    return visible and (insider or (row is not None and row.is_published))


def published_months(village):
    """The months anyone may read: published, within the books (the open data API's list)."""
    rows = FinanceMonth.objects.filter(village=village, status=FinanceMonth.Status.PUBLISHED)
    return rows.filter(
        month__gte=Subquery(FinanceBook.objects.filter(village=village).values("starts_on")[:1])
    )


def statement(village, month: date, *, insider: bool, page=None, today: date) -> Statement:
    """The month's statement. Visitors see only a published month; insiders (cadres, the
    accountant, the finance group) also see a month being recorded or checked."""
    the_book = book(village)
    row = (
        FinanceMonth.objects.filter(village=village, month=month)
        .select_related("checked_by", "published_by", "returned_by")
        .first()
    )
    visible = month_visible(the_book, row, month, insider=insider)
    figures, entries, questions = None, None, []
    if visible:
        figures = month_figures(village, month, book=the_book, row=row)
        qs = FinanceEntry.objects.filter(
            village=village, date__gte=month, date__lt=add_months(month, 1)
        ).order_by("date", "pk")
        # The count is known from the totals: no COUNT(*) over the month again.
        paginator = Paginator(qs, ENTRIES_PER_PAGE)
        paginator.count = figures.entry_count
        entries = paginator.get_page(page)
        if row is not None:
            questions = list(
                Question.objects.filter(village=village, month=row)
                .select_related("author", "answered_by", "entry")
                .order_by("created_at", "pk")
            )
    following = add_months(month, 1)
    return Statement(
        month=month,
        key=month_key(month),
        row=row,
        book=the_book,
        figures=figures,
        entries=entries,
        chart=chart(village, month),
        questions=questions,
        previous_key=month_key(add_months(month, -1)),
        next_key=month_key(following) if following <= today.replace(day=1) else None,
    )


def month_entries(village, month: date):
    return FinanceEntry.objects.filter(
        village=village, date__gte=month, date__lt=add_months(month, 1)
    ).order_by("date", "pk")


def months(village, *, insider: bool, limit=24):
    qs = FinanceMonth.objects.filter(village=village)
    if not insider:
        qs = qs.filter(status=FinanceMonth.Status.PUBLISHED)
    return list(qs.order_by("-month")[:limit])


def disclosure_rows(village, *, kind: str = "", insider: bool = False):
    """The village's disclosures a viewer may see: visitors only the published ones."""
    qs = Disclosure.objects.filter(village=village)
    if not insider:
        qs = qs.filter(status=Disclosure.Status.PUBLISHED)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def disclosures(village, *, kind: str = "", insider: bool = False, page=None):
    qs = (
        disclosure_rows(village, kind=kind, insider=insider)
        .only(
            "pk",
            "village_id",
            "kind",
            "title",
            "status",
            "period_start",
            "period_end",
            "published_at",
            "amended_at",
            "created_at",
        )
        .order_by("status", "-published_at", "-pk")
    )
    return Paginator(qs, ITEMS_PER_PAGE).get_page(page)


def disclosure(village, pk: int, *, insider: bool) -> Disclosure | None:
    qs = Disclosure.objects.filter(village=village, pk=pk).select_related("author")
    if not insider:
        qs = qs.filter(status=Disclosure.Status.PUBLISHED)
    return qs.prefetch_related(
        "attachments",
        "revisions",
        Prefetch(
            "questions",
            queryset=Question.objects.select_related("author", "answered_by").order_by(
                "created_at", "pk"
            ),
        ),
    ).first()


def entry(village, pk: int) -> FinanceEntry | None:
    return FinanceEntry.objects.filter(village=village, pk=pk).first()


def question(village, pk: int) -> Question | None:
    return Question.objects.filter(village=village, pk=pk).first()


def entry_import(village, pk: int) -> EntryImport | None:
    return EntryImport.objects.filter(village=village, pk=pk).first()


PREVIEW_ROWS = 50
PREVIEW_ERRORS = 200


def import_preview(village, actor, batch: EntryImport) -> dict:
    """A dry run of the sheet: per-row errors, a sample of rows, the totals it would add."""
    from publicity import sheets

    dataset = sheets.dataset_from_csv(batch.data)
    result = sheets.run_import(village=village, actor=actor, dataset=dataset, dry=True)
    errors = {}
    for invalid in result.invalid_rows:
        errors[invalid.number] = [
            (name, message) for name, messages in invalid.error_dict.items() for message in messages
        ]
    for number, row_errors in result.row_errors():
        errors.setdefault(number, []).extend((None, str(e.error)) for e in row_errors)
    headers = dataset.headers
    columns = [(code, label) for code, label in sheets.COLUMNS if code in headers]
    rows = []
    for number, values in enumerate(dataset, 1):
        if number in errors or len(rows) < PREVIEW_ROWS:
            rows.append(
                {
                    "number": number + 1,
                    "cells": [dict(zip(headers, values, strict=False)).get(c) for c, _l in columns],
                    "errors": errors.get(number, []),
                }
            )
        if len(rows) >= PREVIEW_ROWS + PREVIEW_ERRORS:
            break
    return {
        "rows": rows,
        "columns": columns,
        "error_count": len(errors),
        "total_rows": len(dataset),
        "shown_all": len(rows) == len(dataset),
    }


def overdue_notices(village) -> list[OverdueNotice]:
    return list(OverdueNotice.objects.filter(village=village, cleared_at=None).order_by("month"))


def sent_back_months(village) -> list[FinanceMonth]:
    """Months the finance group sent back and has not checked since: the accountant's to do."""
    return list(
        FinanceMonth.objects.filter(
            village=village, status=FinanceMonth.Status.OPEN, returned_at__isnull=False
        )
        .select_related("returned_by")
        .order_by("month")
    )


def overdue_villages(page=None):
    qs = (
        OverdueNotice.objects.filter(cleared_at=None, village__is_active=True)
        .select_related("village")
        .order_by("month", "village__name")
    )
    return Paginator(qs, 50).get_page(page)


def unanswered_count(village) -> int:
    return Question.objects.filter(village=village, answered_at=None).count()


def village_home_context(request) -> dict:
    """The village home's blackboard: the latest items, the latest month, and for cadres any
    overdue accounts (two queries, one more for cadres)."""
    village = request.village
    latest = list(
        Disclosure.objects.filter(village=village, status=Disclosure.Status.PUBLISHED)
        .only("pk", "village_id", "kind", "title", "published_at", "amended_at")
        .order_by("-published_at", "-pk")[:3]
    )
    month = (
        FinanceMonth.objects.filter(village=village, status=FinanceMonth.Status.PUBLISHED)
        .order_by("-month")
        .first()
    )
    perms = getattr(request, "village_perms", frozenset())
    overdue = overdue_notices(village) if "publicity.publish" in perms else []
    return {"open_latest": latest, "open_month": month, "open_overdue": overdue}


def cadre_work_items(village) -> list[dict]:
    """The cadre work page's disclosure section: months checked but not yet published, months
    the finance group sent back, overdue months, drafts and unanswered questions."""
    checked = FinanceMonth.objects.filter(
        village=village, status=FinanceMonth.Status.CHECKED
    ).count()
    sent_back = FinanceMonth.objects.filter(
        village=village, status=FinanceMonth.Status.OPEN, returned_at__isnull=False
    ).count()
    drafts = Disclosure.objects.filter(village=village, status=Disclosure.Status.DRAFT).count()
    overdue = OverdueNotice.objects.filter(village=village, cleared_at=None).count()
    index = reverse("publicity:index", kwargs={"village_slug": village.slug})
    book = reverse("publicity:book", kwargs={"village_slug": village.slug})
    return [
        {
            "label": _("Monthly accounts checked, to publish"),
            "count": checked,
            "url": book,
        },
        {
            "label": _("Monthly accounts sent back by the finance group, to correct"),
            "count": sent_back,
            "url": index,
        },
        {"label": _("Monthly accounts overdue"), "count": overdue, "url": book},
        {"label": _("Disclosure drafts"), "count": drafts, "url": index},
        {"label": _("Questions to answer"), "count": unanswered_count(village), "url": index},
    ]
