"""Writes of the publicity app: keyword-only, one transaction each, audited.

The books are kept in order: entries may change only in an open month; the finance group checks
a month only when every earlier month of the book is checked, and checking freezes the month's
figures; the group may instead send the month back to the accountant with a note (it is open
again); a month is published only after it was checked.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from publicity import selectors
from publicity.models import (
    Attachment,
    Disclosure,
    DisclosureRevision,
    EntryImport,
    FinanceBook,
    FinanceEntry,
    FinanceMonth,
    OverdueNotice,
    Question,
    category_direction,
    month_key,
)
from villageaffairs import audit, stats
from villageaffairs.models import Village

DUE_DAY = 10  # last month's accounts are due on the 10th


class PublicityError(ValidationError):
    """A refused write; the message says why and what to do."""


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def previous_month(month: date) -> date:
    return first_of_month(month - timedelta(days=1))


def next_month(month: date) -> date:
    return first_of_month(month + timedelta(days=32))


# --- disclosures --------------------------------------------------------------------------------


def _check_period(period_start, period_end):
    if period_end < period_start:
        raise PublicityError({"period_end": _("The period ends before it starts.")})


def _attach(disclosure, attachments):
    for item in attachments or []:
        row = Attachment(
            village=disclosure.village,
            disclosure=disclosure,
            kind=item.kind,
            name=item.name,
            size=item.size,
        )
        row.file.save(item.file.name, item.file, save=False)
        if item.thumbnail is not None:
            row.thumbnail.save(item.thumbnail.name, item.thumbnail, save=False)
        row.save()


@transaction.atomic
def disclosure_create(
    *, actor, village: Village, kind, title, text, period_start, period_end, attachments=()
) -> Disclosure:
    _check_period(period_start, period_end)
    disclosure = Disclosure.objects.create(
        village=village,
        kind=kind,
        title=title,
        text=text,
        period_start=period_start,
        period_end=period_end,
        author=actor,
    )
    _attach(disclosure, attachments)
    audit.record(actor=actor, action="disclosure.create", obj=disclosure)
    return disclosure


@transaction.atomic
def disclosure_update(
    *,
    actor,
    disclosure: Disclosure,
    title,
    text,
    period_start,
    period_end,
    reason="",
    attachments=(),
) -> Disclosure:
    """Change an item. A published item keeps its earlier text as a visible revision."""
    _check_period(period_start, period_end)
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    before = {
        "title": disclosure.title,
        "text": disclosure.text,
        "period_start": disclosure.period_start,
        "period_end": disclosure.period_end,
    }
    changed = before != {
        "title": title,
        "text": text,
        "period_start": period_start,
        "period_end": period_end,
    }
    if disclosure.is_published and changed:
        reason = (reason or "").strip()
        if not reason:
            raise PublicityError(
                {"reason": _("Say why a published item is changed: villagers will see it.")}
            )
        now = timezone.now()
        DisclosureRevision.objects.create(
            village=disclosure.village,
            disclosure=disclosure,
            reason=reason,
            editor=actor,
            **before,
        )
        disclosure.amended_at = now
    disclosure.title, disclosure.text = title, text
    disclosure.period_start, disclosure.period_end = period_start, period_end
    disclosure.save()
    _attach(disclosure, attachments)
    audit.record(
        actor=actor,
        action="disclosure.amend" if disclosure.is_published else "disclosure.change",
        obj=disclosure,
        changes=audit.diff(disclosure, list(before), before),
    )
    return disclosure


@transaction.atomic
def disclosure_publish(*, actor, disclosure: Disclosure) -> Disclosure:
    updated = Disclosure.objects.filter(pk=disclosure.pk, status=Disclosure.Status.DRAFT).update(
        status=Disclosure.Status.PUBLISHED, published_at=timezone.now()
    )
    disclosure.refresh_from_db()
    if updated:
        audit.record(actor=actor, action="disclosure.publish", obj=disclosure)
    return disclosure


# --- the books ----------------------------------------------------------------------------------


@transaction.atomic
def book_open(*, actor, village: Village, starts_on: date, opening_balance: Decimal) -> FinanceBook:
    """Start (or, while no month is checked yet, correct) where the village's books begin."""
    starts_on = first_of_month(starts_on)
    if starts_on > first_of_month(timezone.localdate()):
        raise PublicityError({"starts_on": _("The books cannot start in a future month.")})
    book = FinanceBook.objects.select_for_update().filter(village=village).first()
    if FinanceMonth.objects.filter(village=village).exclude(status="open").exists():
        raise PublicityError(
            _("A month has already been checked: the start of the books can no longer change.")
        )
    if FinanceEntry.objects.filter(village=village, date__lt=starts_on).exists():
        raise PublicityError(
            {"starts_on": _("There are entries before this month. Start the books earlier.")}
        )
    if book is None:
        book = FinanceBook.objects.create(
            village=village, starts_on=starts_on, opening_balance=opening_balance
        )
        action = "finance_book.open"
    else:
        book.starts_on, book.opening_balance = starts_on, opening_balance
        book.save()
        action = "finance_book.change"
    audit.record(
        actor=actor,
        action=action,
        obj=book,
        changes={"starts_on": month_key(starts_on), "opening_balance": str(opening_balance)},
    )
    return book


def _locked_month(village, month: date) -> FinanceMonth:
    """The month row, created if missing, locked for this transaction (serialises entry writes
    with the finance group's check of the same month)."""
    FinanceMonth.objects.get_or_create(village=village, month=month)
    return FinanceMonth.objects.select_for_update().get(village=village, month=month)


def _check_entry(village, *, date, direction, category):
    problem = selectors.date_problem(village, date)
    if problem:
        raise PublicityError({"date": problem})
    if category_direction(category) != direction:
        raise PublicityError({"category": _("This category does not match income or expense.")})


@transaction.atomic
def entry_record(
    *,
    actor,
    village: Village,
    date,
    direction,
    category,
    amount: Decimal,
    counterparty,
    voucher_no="",
    note="",
    receipt=None,
) -> FinanceEntry:
    _locked_month(village, first_of_month(date))
    _check_entry(village, date=date, direction=direction, category=category)
    entry = FinanceEntry(
        village=village,
        date=date,
        direction=direction,
        category=category,
        amount=amount,
        counterparty=counterparty,
        voucher_no=voucher_no,
        note=note,
        recorded_by=actor,
    )
    _set_receipt(entry, receipt)
    entry.full_clean()
    entry.save()
    audit.record(
        actor=actor,
        action="finance_entry.record",
        obj=entry,
        changes={"amount": str(amount), "direction": direction, "category": category},
    )
    return entry


def _set_receipt(entry, receipt):
    if receipt is not None:
        entry.receipt.save(receipt.image.name, receipt.image, save=False)
        entry.receipt_thumbnail.save(receipt.thumbnail.name, receipt.thumbnail, save=False)


FIELDS = ("date", "direction", "category", "amount", "counterparty", "voucher_no", "note")


@transaction.atomic
def entry_update(*, actor, entry: FinanceEntry, receipt=None, **values) -> FinanceEntry:
    village = entry.village
    # Both the month it leaves and the month it enters must be open.
    months = sorted({first_of_month(entry.date), first_of_month(values.get("date", entry.date))})
    for month in months:
        _locked_month(village, month)
    entry = FinanceEntry.objects.select_for_update().get(pk=entry.pk, village=village)
    problem = selectors.date_problem(village, entry.date)
    if problem:
        raise PublicityError(problem)
    before = {f: getattr(entry, f) for f in FIELDS}
    for field, value in values.items():
        if field in FIELDS:
            setattr(entry, field, value)
    _check_entry(village, date=entry.date, direction=entry.direction, category=entry.category)
    _set_receipt(entry, receipt)
    entry.full_clean()
    entry.save()
    audit.record(
        actor=actor,
        action="finance_entry.change",
        obj=entry,
        changes=audit.diff(entry, FIELDS, before),
    )
    return entry


@transaction.atomic
def entry_delete(*, actor, entry: FinanceEntry) -> None:
    village = entry.village
    _locked_month(village, first_of_month(entry.date))
    problem = selectors.date_problem(village, entry.date)
    if problem:
        raise PublicityError(problem)
    audit.record(
        actor=actor,
        action="finance_entry.delete",
        obj=entry,
        changes={f: str(getattr(entry, f)) for f in FIELDS},
    )
    entry.delete()


@transaction.atomic
def entries_import(*, actor, batch: EntryImport) -> int:
    """Import every row of a previewed sheet, or none: any bad row rolls the whole sheet back."""
    from publicity import sheets

    batch = EntryImport.objects.select_for_update().get(pk=batch.pk)
    if batch.imported_at is not None:
        raise PublicityError(_("This sheet has already been imported."))
    village = batch.village
    dataset = sheets.dataset_from_csv(batch.data)
    for month in sorted({first_of_month(d) for d in sheets.dates_of(dataset)}):
        _locked_month(village, month)
    result = sheets.run_import(
        village=village, actor=actor, dataset=dataset, batch=batch, dry=False
    )
    if result.has_errors() or result.has_validation_errors():
        transaction.set_rollback(True)
        raise PublicityError(
            _(
                "Nothing was imported: %(n)d rows have errors. "
                "Correct the sheet and upload it again."
            )
            % {"n": len(result.invalid_rows) + len(result.row_errors())}
        )
    count = FinanceEntry.objects.filter(import_batch=batch).count()
    batch.imported_at = timezone.now()
    batch.save(update_fields=["imported_at"])
    audit.record(
        actor=actor,
        action="finance_entry.import",
        obj=batch,
        village=village,
        changes={"rows": count},
    )
    return count


@transaction.atomic
def import_upload(*, actor, village, filename, dataset) -> EntryImport:
    from publicity import sheets

    batch = EntryImport.objects.create(
        village=village,
        filename=filename[:120],
        data=sheets.dataset_to_csv(dataset),
        row_count=len(dataset),
        uploaded_by=actor,
    )
    audit.record(actor=actor, action="entry_import.upload", obj=batch, village=village)
    return batch


# --- months -------------------------------------------------------------------------------------


@transaction.atomic
def month_check(*, actor, village: Village, month: date, note="") -> FinanceMonth:
    """The villager finance group has checked the month: freeze its figures."""
    month = first_of_month(month)
    book = selectors.book(village)
    if book is None or month < book.starts_on:
        raise PublicityError(_("This month is not in the village's books."))
    if month > first_of_month(timezone.localdate()):
        raise PublicityError(_("A month can be checked only once it has begun."))
    row = _locked_month(village, month)
    if row.status != FinanceMonth.Status.OPEN:
        raise PublicityError(_("This month has already been checked."))
    earlier = selectors.unchecked_months_before(village, book, month)
    if earlier:
        raise PublicityError(
            _("Check the earlier months first: %(months)s.")
            % {"months": ", ".join(month_key(m) for m in earlier[:6])}
        )
    figures = selectors.month_figures(village, month, book=book)
    row.opening_balance = figures.opening_balance
    row.income = figures.income
    row.expense = figures.expense
    row.closing_balance = figures.closing_balance
    row.entry_count = figures.entry_count
    row.status = FinanceMonth.Status.CHECKED
    row.checked_by, row.checked_at, row.check_note = actor, timezone.now(), note[:300]
    row.save()
    audit.record(
        actor=actor,
        action="finance_month.check",
        obj=row,
        changes={
            "opening_balance": str(row.opening_balance),
            "income": str(row.income),
            "expense": str(row.expense),
            "closing_balance": str(row.closing_balance),
        },
    )
    return row


@transaction.atomic
def month_send_back(*, actor, village: Village, month: date, note) -> FinanceMonth:
    """The finance group sends a month back to the accountant with a note saying what to
    correct. The month is open again (entries may change, its frozen figures are dropped) until
    the group checks it again. A published month cannot be sent back: it is corrected in the
    current month, in the open."""
    note = (note or "").strip()
    if not note:
        raise PublicityError(
            {"note": _("Write what the accountant must correct: they will see your note.")}
        )
    month = first_of_month(month)
    book = selectors.book(village)
    if book is None or month < book.starts_on:
        raise PublicityError(_("This month is not in the village's books."))
    if month > first_of_month(timezone.localdate()):
        raise PublicityError(_("A month can be sent back only once it has begun."))
    row = _locked_month(village, month)
    if row.status == FinanceMonth.Status.PUBLISHED:
        raise PublicityError(
            _(
                "%(month)s is already published and can no longer be sent back. "
                "Record a correction in the current month."
            )
            % {"month": month_key(month)}
        )
    # A later month checked from this one's closing balance must go back first.
    later = list(
        FinanceMonth.objects.filter(village=village, month__gt=month)
        .exclude(status=FinanceMonth.Status.OPEN)
        .order_by("month")
        .values_list("month", flat=True)[:6]
    )
    if later:
        raise PublicityError(
            _("Later months are already checked: send back %(months)s first.")
            % {"months": ", ".join(month_key(m) for m in later)}
        )
    before = row.status
    row.status = FinanceMonth.Status.OPEN
    row.opening_balance = row.income = row.expense = row.closing_balance = None
    row.entry_count = 0
    row.checked_by, row.checked_at, row.check_note = None, None, ""
    row.return_note, row.returned_by, row.returned_at = note[:300], actor, timezone.now()
    row.save()
    audit.record(
        actor=actor,
        action="finance_month.send_back",
        obj=row,
        changes={"status": (before, row.status), "note": row.return_note},
    )
    return row


@transaction.atomic
def month_publish(*, actor, village: Village, month: date) -> FinanceMonth:
    """Publish a month's accounts. Refused until the finance group has checked them."""
    month = first_of_month(month)
    row = _locked_month(village, month)
    if row.status == FinanceMonth.Status.OPEN:
        raise PublicityError(
            _("The finance group has not checked %(month)s yet: it cannot be published.")
            % {"month": month_key(month)}
        )
    if row.status == FinanceMonth.Status.PUBLISHED:
        return row
    now = timezone.now()
    row.status = FinanceMonth.Status.PUBLISHED
    row.published_by, row.published_at = actor, now
    row.save(update_fields=["status", "published_by", "published_at"])
    OverdueNotice.objects.filter(village=village, month=month, cleared_at=None).update(
        cleared_at=now
    )
    due = next_month(month).replace(day=DUE_DAY)
    if timezone.localdate(now) > due:
        # Counted as missing on its due day: the dashboards now count it as late.
        stats.touch(village_id=village.pk, days=[due])
    audit.record(actor=actor, action="finance_month.publish", obj=row)
    return row


# --- questions ----------------------------------------------------------------------------------


@transaction.atomic
def question_ask(
    *, actor, village: Village, text, disclosure=None, month: date | None = None, entry=None
) -> Question:
    text = (text or "").strip()
    if not text:
        raise PublicityError({"text": _("Write your question.")})
    month_row = None
    if entry is not None:
        month = first_of_month(entry.date)
    if month is not None:
        month_row = FinanceMonth.objects.filter(village=village, month=month).first()
        if month_row is None or not month_row.is_published:
            raise PublicityError(_("These accounts are not published yet."))
    elif disclosure is None or not disclosure.is_published:
        raise PublicityError(_("This item is not published yet."))
    question = Question.objects.create(
        village=village,
        disclosure=disclosure,
        month=month_row,
        entry=entry,
        author=actor,
        text=text[:1000],
    )
    audit.record(actor=actor, action="question.ask", obj=question)
    return question


@transaction.atomic
def question_answer(*, actor, question: Question, answer) -> Question:
    answer = (answer or "").strip()
    if not answer:
        raise PublicityError({"answer": _("Write the answer.")})
    question = Question.objects.select_for_update().get(pk=question.pk)
    before = question.answer
    question.answer = answer[:2000]
    question.answered_by = actor
    question.answered_at = timezone.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    audit.record(
        actor=actor, action="question.answer", obj=question, changes={"answer": (before, answer)}
    )
    return question


# --- timeliness ---------------------------------------------------------------------------------


def overdue_mark(*, today: date | None = None) -> int:
    """From the 10th, mark every village whose last month's accounts are not published.
    Safe to run twice (one notice per village and month)."""
    today = today or timezone.localdate()
    if today.day < DUE_DAY:
        return 0
    last = previous_month(first_of_month(today))
    published = FinanceMonth.objects.filter(month=last, status=FinanceMonth.Status.PUBLISHED)
    # A village whose books begin by last month, and one with no books at all that already
    # existed last month (it never published, so it is late too; a village created this month
    # owes nothing yet).
    this_month_start = timezone.make_aware(datetime.combine(first_of_month(today), time.min))
    books = FinanceBook.objects.filter(village=OuterRef("pk"))
    late = (
        Village.objects.filter(is_active=True)
        .filter(
            Q(finance_book__starts_on__lte=last)
            | Q(~Exists(books), created_at__lt=this_month_start)
        )
        .exclude(Exists(published.filter(village=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        before = OverdueNotice.objects.filter(month=last).count()
        OverdueNotice.objects.bulk_create(
            [OverdueNotice(village_id=v, month=last) for v in late], ignore_conflicts=True
        )
        return OverdueNotice.objects.filter(month=last).count() - before
