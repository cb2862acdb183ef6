"""The publicity app's printed notice: a month's accounts for the notice board (财务公开).

Only a published month is a notice. Insiders (cadres, the accountant, the finance group) may
print a month being recorded or checked too, marked as a draft on every page, to read it
through on paper before it is published.
"""

from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from publicity.models import Category, Direction, FinanceMonth, month_key
from publicity.selectors import book, is_insider, month_entries, month_figures, months
from villageaffairs.printing import Column, Notice, public_url

MONTHS_LISTED = 6


def yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def available(request) -> list[dict]:
    village = request.village
    insider = is_insider(request.village_perms)
    items = []
    for row in months(village, insider=insider, limit=MONTHS_LISTED):
        draft = not row.is_published
        items.append(
            {
                "title": _("Accounts of %(month)s") % {"month": row.key},
                "url": reverse("publicity:month_notice", args=[village.slug, row.key]),
                "note": row.get_status_display(),
                "draft": draft,
            }
        )
    return items


def month_accounts(village, month: date, *, insider: bool) -> bytes | None:
    """The month's statement, totals by category, every entry and the finance group's check;
    None when the viewer may not see the month (not published, or outside the books)."""
    the_book = book(village)
    row = (
        FinanceMonth.objects.filter(village=village, month=month)
        .select_related("checked_by", "published_by")
        .first()
    )
    published = row is not None and row.is_published
    if the_book is None or month < the_book.starts_on or not (published or insider):
        return None
    key = month_key(month)
    title = _("Accounts of %(month)s") % {"month": key}
    if not published:
        title = _("%(title)s · DRAFT, not published") % {"title": title}
    url = public_url(reverse("publicity:month", args=[village.slug, key]))
    figures = month_figures(village, month, book=the_book, row=row)
    notice = Notice(
        village_name=village.name,
        title=title,
        url=url,
        subtitle=_("Village collective income and expenses, %(count)d entries.")
        % {"count": figures.entry_count},
    )
    if not published:
        notice.paragraph(
            _("Draft for checking: not published, not for the notice board."), bold=True
        )
    notice.heading(_("Statement (yuan)"))
    notice.table(
        [Column(pgettext("line of a statement", "Item"), 0.6), Column(_("Amount"), 0.4, "right")],
        [
            (_("Opening balance"), yuan(figures.opening_balance)),
            (_("Income"), yuan(figures.income)),
            (_("Expenses"), yuan(figures.expense)),
            (_("Closing balance"), yuan(figures.closing_balance)),
        ],
    )
    if figures.by_category:
        notice.heading(_("By category (yuan)"))
        directions = dict(Direction.choices)
        notice.table(
            [
                Column(_("Income or expense"), 0.25),
                Column(_("Category"), 0.35),
                Column(_("Entries"), 0.15, "right"),
                Column(_("Amount"), 0.25, "right"),
            ],
            [
                (directions.get(direction, direction), label, count, yuan(total))
                for direction, label, total, count, *_rest in figures.by_category
            ],
        )
    notice.heading(_("Every entry (yuan)"))
    categories = dict(Category.choices)
    notes: list[str] = []  # printed whole under the table: a table cell would cut them short

    def rows():
        entries = (
            month_entries(village, month)
            .only("date", "voucher_no", "category", "counterparty", "note", "amount", "direction")
            .iterator(chunk_size=1000)
        )
        for e in entries:
            day = formats.date_format(e.date, "m-d")
            counterparty = e.counterparty
            if e.note:
                notes.append(f"[{len(notes) + 1}] {day} {e.counterparty}: {e.note}")
                counterparty = f"[{len(notes)}] {counterparty}"
            yield (
                day,
                e.voucher_no,
                categories.get(e.category, e.category),
                counterparty,
                yuan(e.amount) if e.direction == Direction.INCOME else "",
                yuan(e.amount) if e.direction == Direction.EXPENSE else "",
            )

    count = notice.table(
        [
            # Amounts up to 99,999,999.99 fit whole; a long label is shortened instead.
            Column(_("Date"), 0.09),
            Column(_("Voucher"), 0.13),
            Column(_("Category"), 0.17),
            Column(_("Paid to / received from"), 0.21),
            Column(_("Income"), 0.2, "right"),
            Column(_("Expenses"), 0.2, "right"),
        ],
        rows(),
    )
    if not count:
        notice.paragraph(_("No entries this month."))
    if notes:
        notice.heading(_("Notes to the entries"))
        for note in notes:
            notice.paragraph(note)
    notice.heading(_("Checked by the finance group"))
    if row is not None and row.checked_at is not None:
        notice.paragraph(
            _("Checked by %(name)s on %(when)s.")
            % {"name": row.checked_by, "when": _when(row.checked_at)}
        )
        if row.check_note:
            notice.paragraph(_("Note: %(note)s") % {"note": row.check_note})
    else:
        notice.paragraph(_("Not checked yet."))
    if published:
        notice.paragraph(
            _("Published by %(name)s on %(when)s.")
            % {"name": row.published_by, "when": _when(row.published_at)}
        )
    notice.spacer()
    notice.paragraph(
        _(
            "Questions about an entry: ask on the month's page (scan the QR code) or at the "
            "village committee office. The finance group and the committee answer."
        )
    )
    return notice.finish()


def _when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")
