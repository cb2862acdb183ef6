"""Finance entries in and out of spreadsheets: the CSV export and the Excel/CSV import.

The export's columns are the import's columns, so a month exported and imported again gives the
same entries. Headers and choice values are accepted in Chinese or English (and as codes), since
accountants keep their own sheets in either.
"""

import io
import re
from datetime import date, datetime

import tablib
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from publicity.models import Category, Direction, FinanceEntry, category_direction
from publicity.money import parse_amount
from villageaffairs import csvexport
from villageaffairs.sheets import SheetError, read_rows

COLUMNS = [
    ("date", _("Date")),
    ("direction", _("Income or expense")),
    ("category", _("Category")),
    ("amount", _("Amount (yuan)")),
    ("counterparty", _("Paid to / received from")),
    ("voucher_no", _("Voucher number")),
    ("note", _("Note")),
]
REQUIRED = {"date", "direction", "category", "amount", "counterparty"}
MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
LANGUAGES = ("zh-hans", "en")


_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
# Headers accountants commonly use for the same columns.
ALIASES = {
    "摘要": "note",
    "说明": "note",
    "方向": "direction",
    "收支方向": "direction",
    "对方单位": "counterparty",
    "收款人": "counterparty",
    "凭证": "voucher_no",
    "凭证编号": "voucher_no",
    "科目": "category",
}


def _normal(text) -> str:
    """Case, spaces and any bracketed part ignored: "金额（元）" and "金额" are the same."""
    return _BRACKETS.sub("", str(text or "")).strip().lower()


def _localized(label_pairs) -> dict[str, str]:
    """{label in any language, or the code itself (normalised): code}"""
    lookup = {}
    for code, label in label_pairs:
        lookup[_normal(code)] = code
        for language in LANGUAGES:
            with translation.override(language):
                lookup[_normal(label)] = code
    return lookup


# --- export -------------------------------------------------------------------------------------


def entries_csv(entries) -> bytes:
    """UTF-8 with a byte-order mark: Excel then opens the Chinese text correctly. Cells that a
    spreadsheet would run as a formula are escaped (villageaffairs.csvexport)."""
    out = io.StringIO()
    writer = csvexport.writer(out)
    writer.writerow([str(label) for _code, label in COLUMNS])
    for e in entries:
        writer.writerow(
            [
                e.date.isoformat(),
                e.get_direction_display(),
                e.get_category_display(),
                f"{e.amount:.2f}",
                e.counterparty,
                e.voucher_no,
                e.note,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- import -------------------------------------------------------------------------------------


def read_sheet(upload) -> tablib.Dataset:
    """An uploaded .xlsx or .csv as a Dataset with the canonical column codes, or SheetError."""
    if upload.size > MAX_BYTES:
        raise SheetError(_("The sheet is larger than 2 MB. Split it by month."), code="too_big")
    rows = read_rows(upload.read(), upload.name or "")
    dataset = tablib.Dataset(headers=[str(h) for h in rows[0]])
    for r in rows[1:]:
        dataset.append(r)
    return canonical(dataset)


def canonical(dataset: tablib.Dataset) -> tablib.Dataset:
    headers = {**ALIASES, **_localized(COLUMNS)}
    codes = []
    for header in dataset.headers:
        code = headers.get(_normal(header))
        if code is None:
            raise SheetError(
                _("Unknown column “%(name)s”. The columns are: %(columns)s."),
                code="column",
                params={"name": str(header)[:30], "columns": "、".join(str(c[1]) for c in COLUMNS)},
            )
        codes.append(code)
    missing = REQUIRED - set(codes)
    if missing:
        labels = [str(label) for code, label in COLUMNS if code in missing]
        raise SheetError(
            _("Columns missing: %(columns)s."),
            code="missing",
            params={"columns": "、".join(labels)},
        )
    if len(dataset) == 0:
        raise SheetError(_("The sheet has no entries."), code="empty")
    if len(dataset) > MAX_ROWS:
        raise SheetError(
            _("At most %(n)d rows at a time."), code="too_many", params={"n": MAX_ROWS}
        )
    dataset.headers = codes
    return dataset


def dataset_to_csv(dataset: tablib.Dataset) -> str:
    return dataset.export("csv")


def dataset_from_csv(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


class AmountWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        try:
            return parse_amount(value)
        except ValidationError as exc:
            raise ValueError(exc.messages[0]) from None

    def render(self, value, obj=None, **kwargs):
        return f"{value:.2f}"


class ChoiceWidget(widgets.Widget):
    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        code = _localized(self.choices.choices).get(_normal(value))
        if code is None:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {
                    "value": str(value)[:30],
                    "choices": "、".join(str(label) for label in self.choices.labels),
                }
            )
        return code


class EntryDateWidget(widgets.Widget):
    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value or "").strip().split(" ")[0]
        for fmt in self.FORMATS:
            try:
                return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
            except ValueError:
                continue
        raise ValueError(_("“%(value)s” is not a date like 2026-03-15.") % {"value": text[:30]})


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return str(value if value is not None else "").strip()


class EntryResource(resources.ModelResource):
    """Creates entries only; every row is validated like the entry form does."""

    date = fields.Field(attribute="date", column_name="date", widget=EntryDateWidget())
    direction = fields.Field(
        attribute="direction", column_name="direction", widget=ChoiceWidget(Direction)
    )
    category = fields.Field(
        attribute="category", column_name="category", widget=ChoiceWidget(Category)
    )
    amount = fields.Field(attribute="amount", column_name="amount", widget=AmountWidget())
    counterparty = fields.Field(
        attribute="counterparty", column_name="counterparty", widget=TextWidget()
    )
    voucher_no = fields.Field(attribute="voucher_no", column_name="voucher_no", widget=TextWidget())
    note = fields.Field(attribute="note", column_name="note", widget=TextWidget())

    class Meta:
        model = FinanceEntry
        fields = ("date", "direction", "category", "amount", "counterparty", "voucher_no", "note")
        import_id_fields = ()
        force_init_instance = True
        clean_model_instances = True
        skip_diff = True
        use_transactions = True

    def __init__(self, *, village, actor, batch=None, check_date=None):
        super().__init__()
        self.village = village
        self.actor = actor
        self.batch = batch
        # check_date(day) -> error message or None; the same rule as the entry form.
        self.check_date = check_date

    def init_instance(self, row=None):
        return FinanceEntry(village=self.village, recorded_by=self.actor, import_batch=self.batch)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if "date" not in errors and self.check_date is not None:
            problem = self.check_date(instance.date)
            if problem:
                errors["date"] = [problem]
        if "counterparty" not in errors and not instance.counterparty:
            errors["counterparty"] = [_("Say who paid or was paid.")]
        if (
            "direction" not in errors
            and "category" not in errors
            and category_direction(instance.category) != instance.direction
        ):
            errors["category"] = [
                _("“%(category)s” is not a kind of %(direction)s.")
                % {
                    "category": instance.get_category_display(),
                    "direction": instance.get_direction_display(),
                }
            ]
        super().validate_instance(instance, errors, validate_unique=False)


def dates_of(dataset):
    """The dates of the rows that have a readable one."""
    widget = EntryDateWidget()
    for value in dataset["date"]:
        try:
            yield widget.clean(value)
        except ValueError:
            continue


def run_import(*, village, actor, dataset, batch=None, dry=True):
    """Run the resource over the sheet; with ``dry`` nothing is kept. Rows are checked against
    the books like the entry form (two queries for the whole sheet, not two per row)."""
    from publicity import selectors
    from publicity.models import FinanceMonth

    book = selectors.book(village)
    locked = set(
        FinanceMonth.objects.filter(village=village)
        .exclude(status=FinanceMonth.Status.OPEN)
        .values_list("month", flat=True)
    )

    def check_date(day):
        return selectors.date_problem(village, day, the_book=book, locked_months=locked)

    resource = EntryResource(village=village, actor=actor, batch=batch, check_date=check_date)
    return resource.import_data(
        dataset,
        dry_run=dry,
        raise_errors=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
    )
