"""The household register (户籍/花名册) from the Excel sheet a village keeps.

One row per person: household number, villager group, name, relation to the head, sex, date of
birth, mobile number. Headers are accepted in Chinese or English (README, "Household register
import"). Reading a sheet gives rows; ``plan`` compares them with the village's register and
says, per row, what is wrong, and otherwise what an import would do: households and residents
added, residents changed (field: old → new) and departures (registered residents missing from
the sheet). ``register_import`` (the write) plans again inside its transaction and saves nothing
if any row is wrong.

Rows are matched to residents by household number, name and date of birth. ID-card numbers are
neither imported nor stored: a column of them is not read, and a cell holding one is an error.
"""

import hashlib
import io
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from villageaffairs import audit, housenumbers, services
from villageaffairs.models import Household, Relation, Resident, Sex, Village
from villageaffairs.phones import normalize_phone

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000  # a village of 5,000 households; the biggest registers are far smaller
MAX_COLUMNS = 40
HEADER_SEARCH_ROWS = 10  # a title row or two ("友谊村户籍花名册") may sit above the headers
LANGUAGES = ("zh-hans", "en")

COLUMNS = [
    ("house_number", gettext_lazy("Household number")),
    ("group", gettext_lazy("Villager group")),
    ("name", pgettext_lazy("person", "Name")),
    ("relation", gettext_lazy("Relation to the head")),
    ("sex", pgettext_lazy("person", "Sex")),
    ("born_on", gettext_lazy("Date of birth")),
    ("phone", gettext_lazy("Mobile number")),
]
REQUIRED = ("house_number", "name", "relation", "born_on")
LABELS = dict(COLUMNS)

# Headers villages commonly use for the same columns (compared without case, spaces or brackets).
ALIASES = {
    "户号": "house_number",
    "户编号": "house_number",
    "门牌号": "house_number",
    "household number": "house_number",
    "household no.": "house_number",
    "house number": "house_number",
    "村民小组": "group",
    "小组": "group",
    "组": "group",
    "组别": "group",
    "所在组": "group",
    "group": "group",
    "villager group": "group",
    "姓名": "name",
    "name": "name",
    "与户主关系": "relation",
    "与户主的关系": "relation",
    "关系": "relation",
    "relation": "relation",
    "relationship": "relation",
    "relation to the head": "relation",
    "relation to head": "relation",
    "性别": "sex",
    "sex": "sex",
    "gender": "sex",
    "出生日期": "born_on",
    "出生年月日": "born_on",
    "出生年月": "born_on",
    "生日": "born_on",
    "birth date": "born_on",
    "date of birth": "born_on",
    "手机号": "phone",
    "手机号码": "phone",
    "手机": "phone",
    "联系电话": "phone",
    "电话": "phone",
    "phone": "phone",
    "mobile": "phone",
    "mobile number": "phone",
}
# Columns of ID-card numbers are never read.
ID_HEADERS = re.compile(r"身份证|身份号码|证件号|公民身份|id ?card|id ?number|identity", re.I)
ID_NUMBER = re.compile(r"[1-9]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])\d{2}\d{3}[\dXx]|\d{15}")

RELATIONS = {
    "户主": Relation.HEAD,
    "本人": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "妻": Relation.SPOUSE,
    "妻子": Relation.SPOUSE,
    "夫": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "子": Relation.SON,
    "儿子": Relation.SON,
    "长子": Relation.SON,
    "次子": Relation.SON,
    "女": Relation.DAUGHTER,
    "女儿": Relation.DAUGHTER,
    "长女": Relation.DAUGHTER,
    "次女": Relation.DAUGHTER,
    "父母": Relation.PARENT,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "父": Relation.PARENT,
    "母": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙子": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "兄弟姐妹": Relation.SIBLING,
    "兄": Relation.SIBLING,
    "弟": Relation.SIBLING,
    "姐": Relation.SIBLING,
    "妹": Relation.SIBLING,
    "儿媳": Relation.DAUGHTER_IN_LAW,
    "女婿": Relation.SON_IN_LAW,
    "其他": Relation.OTHER,
    "其它": Relation.OTHER,
}
SEXES = {"男": Sex.MALE, "女": Sex.FEMALE}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
EARLIEST_BIRTH = date(1890, 1, 1)

_BRACKETS = re.compile(r"[（(][^）)]*[）)]")


class SheetError(ValidationError):
    """The file as a whole cannot be read (not a workbook, too big, columns missing)."""


class RegisterImportError(Exception):
    """The import was refused: rows are wrong, or the register changed since the preview."""

    def __init__(self, message, plan=None):
        super().__init__(message)
        self.plan = plan


def _normal(text) -> str:
    """Case, spaces (full-width ones too) and bracketed parts ignored: "出生日期（年月日）" is
    "出生日期"."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"\s+", " ", _BRACKETS.sub("", text)).strip().lower()


def _name(text) -> str:
    """A person's name as written, without the spaces some sheets pad two-character names with."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def _choices(mapping, choices) -> dict:
    lookup = {_normal(k): v for k, v in mapping.items()}
    for code, label in choices:
        lookup[_normal(code)] = code
        for language in LANGUAGES:
            with translation.override(language):
                lookup[_normal(label)] = code
    return lookup


# --- reading ------------------------------------------------------------------------------------


@dataclass
class Row:
    number: int  # the row number Excel shows
    house_number: str = ""
    group: str = ""
    name: str = ""
    relation: str = ""
    sex: str = ""
    born_on: date | None = None
    phone: str = ""

    @property
    def household_key(self) -> str:
        return household_key(self.house_number)


@dataclass
class Problem:
    row: int  # 0: the sheet as a whole
    column: str
    message: str


@dataclass
class Sheet:
    rows: list[Row]
    problems: list[Problem]
    notices: list[str]
    columns: list[str]


def household_key(number: str) -> str:
    """One key for every spelling of a house number ("17", "017", "１７", "17号")."""
    spellings = housenumbers.spellings(number)
    if len(spellings) > 1:  # a plain number
        return spellings[1].lstrip("0") or "0"
    return housenumbers.clean(number)


def read_sheet(data: bytes) -> Sheet:
    """A workbook's first sheet as rows and per-cell problems, or SheetError."""
    if len(data) > MAX_BYTES:
        raise SheetError(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
            code="too_big",
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise SheetError(
            _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) first."),
            code="format",
        )
    if not data.startswith(b"PK\x03\x04"):
        raise SheetError(_("This file is not an Excel workbook (.xlsx)."), code="format")
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            rows = []
            for number, values in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
            ):
                if number > MAX_ROWS + HEADER_SEARCH_ROWS:
                    raise SheetError(
                        _("At most %(n)d rows at a time.") % {"n": MAX_ROWS}, code="too_many"
                    )
                if any(v not in (None, "") for v in values):
                    rows.append((number, list(values)))
        finally:
            book.close()
    except SheetError:
        raise
    except Exception:  # noqa: BLE001 - any broken workbook is the same to the user
        raise SheetError(
            _("This file is not an Excel workbook (.xlsx) we can read."), code="format"
        ) from None
    return _read_rows(rows)


def _header_row(rows) -> int:
    for index, (_number, values) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = {ALIASES.get(_normal(v)) for v in values} | {_column_code(v) for v in values}
        if len(known - {None}) >= 2:
            return index
    raise SheetError(
        _("No header row found. The columns are: %(columns)s.")
        % {"columns": "、".join(str(label) for _code, label in COLUMNS)},
        code="header",
    )


def _column_code(header):
    normal = _normal(header)
    if normal in ALIASES:
        return ALIASES[normal]
    for code, label in COLUMNS:
        for language in LANGUAGES:
            with translation.override(language):
                if _normal(label) == normal:
                    return code
    return None


def _read_rows(rows) -> Sheet:
    if not rows:
        raise SheetError(_("The sheet is empty."), code="empty")
    start = _header_row(rows)
    headers = rows[start][1]
    notices = []
    positions: dict[str, int] = {}
    for index, header in enumerate(headers):
        if header in (None, ""):
            continue
        text = str(header).strip()[:30]
        if ID_HEADERS.search(_normal(header)):
            notices.append(
                _(
                    "The column “%(name)s” was not read: ID-card numbers are neither "
                    "imported nor stored."
                )
                % {"name": text}
            )
            continue
        code = _column_code(header)
        if code is None:
            notices.append(
                _("The column “%(name)s” is not part of the register and was not read.")
                % {"name": text}
            )
        elif code in positions:
            raise SheetError(
                _("The column “%(name)s” appears twice.") % {"name": text}, code="column"
            )
        else:
            positions[code] = index
    missing = [str(LABELS[code]) for code in REQUIRED if code not in positions]
    if missing:
        raise SheetError(
            _("Columns missing: %(columns)s.") % {"columns": "、".join(missing)}, code="missing"
        )
    body = rows[start + 1 :]
    if not body:
        raise SheetError(_("The sheet has no people in it."), code="empty")
    if len(body) > MAX_ROWS:
        raise SheetError(_("At most %(n)d rows at a time.") % {"n": MAX_ROWS}, code="too_many")
    relations = _choices(RELATIONS, Relation.choices)
    sexes = _choices(SEXES, Sex.choices)
    parsed, problems = [], []
    for number, values in body:
        cells = {
            code: values[index] if index < len(values) else None
            for code, index in positions.items()
        }
        row, row_problems = _read_row(number, cells, relations, sexes)
        parsed.append(row)
        problems.extend(row_problems)
    return Sheet(rows=parsed, problems=problems, notices=notices, columns=list(positions))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _read_row(number, cells, relations, sexes) -> tuple[Row, list[Problem]]:
    row = Row(number=number)
    problems = []

    def problem(code, message):
        problems.append(Problem(row=number, column=str(LABELS[code]), message=message))

    for code, value in cells.items():
        text = _text(value)
        if ID_NUMBER.fullmatch(text):
            problem(code, _("This looks like an ID-card number; ID numbers are not stored."))
            continue
        if len(text) > 60:
            problem(code, _("Too long (at most 60 characters)."))
            continue
        if not text and not isinstance(value, date):
            if code in REQUIRED:
                problem(code, _("Empty: this column must be filled in on every row."))
            continue
        if code == "house_number":
            row.house_number = housenumbers.clean(text)
            if len(row.house_number) > housenumbers.MAX_LENGTH:
                problem(code, _("A household number has at most 20 characters."))
        elif code == "group":
            row.group = text[:30]
        elif code == "name":
            row.name = _name(text)
        elif code == "relation":
            row.relation = relations.get(_normal(text), "")
            if not row.relation:
                problem(
                    code,
                    _("“%(value)s” is not a relation on the register: %(choices)s.")
                    % {"value": text[:20], "choices": "、".join(RELATION_NAMES)},
                )
        elif code == "sex":
            row.sex = sexes.get(_normal(text), "")
            if not row.sex:
                problem(code, _("“%(value)s” is not 男 or 女.") % {"value": text[:20]})
        elif code == "born_on":
            row.born_on = _date(value)
            if row.born_on is None:
                problem(
                    code, _("“%(value)s” is not a date like 1965-03-12.") % {"value": text[:20]}
                )
        elif code == "phone":
            try:
                row.phone = normalize_phone(text)
            except ValidationError as error:
                problem(code, error.messages[0])
    return row, problems


RELATION_NAMES = ("户主", "配偶", "子", "女", "父母", "孙子女", "兄弟姐妹", "儿媳", "女婿", "其他")


def _date(value) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        text = _text(value).split(" ")[0]
        day = None
        for fmt in DATE_FORMATS:
            try:
                day = datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
                break
            except ValueError:
                continue
    if day is None or not (EARLIEST_BIRTH <= day <= timezone.localdate()):
        return None
    return day


# --- the plan -----------------------------------------------------------------------------------


@dataclass
class ResidentChange:
    resident: Resident
    row: Row
    # field name -> (old, new), as stored
    values: dict
    # (label, old shown, new shown)
    shown: list


@dataclass
class HouseholdPlan:
    key: str
    house_number: str
    household: Household | None
    group: str = ""
    rows: list = field(default_factory=list)
    head_row: Row | None = None


@dataclass
class Plan:
    village: Village
    rows: list[Row]
    problems: list[Problem]
    notices: list[str]
    households_added: list[HouseholdPlan] = field(default_factory=list)
    households_changed: list[tuple[HouseholdPlan, list]] = field(default_factory=list)
    residents_added: list[Row] = field(default_factory=list)
    residents_changed: list[ResidentChange] = field(default_factory=list)
    departures: list[Resident] = field(default_factory=list)
    unchanged: int = 0
    departures_applied: int = 0
    # internal: what apply() needs
    households: dict = field(default_factory=dict)
    matched: dict = field(default_factory=dict)  # row number -> Resident
    owners: dict = field(default_factory=dict)  # row number -> owns its number

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return bool(
            self.households_added
            or self.households_changed
            or self.residents_added
            or self.residents_changed
            or self.departures
        )

    def digest(self) -> str:
        """What the preview showed, so a confirmation applies exactly that."""
        content = {
            "add_h": [(h.house_number, h.group) for h in self.households_added],
            "chg_h": [(h.key, c) for h, c in self.households_changed],
            "add_r": [
                (r.number, r.house_number, r.name, str(r.born_on)) for r in self.residents_added
            ],
            "chg_r": [
                (c.resident.pk, sorted((k, str(v)) for k, v in c.values.items()))
                for c in self.residents_changed
            ],
            "dep": [r.pk for r in self.departures],
        }
        raw = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _shown(field_name, value) -> str:
    if value in (None, ""):
        return "—"
    if field_name == "relation":
        return str(Relation(value).label)
    if field_name == "sex":
        return str(Sex(value).label)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


FIELD_LABELS = {
    "phone": gettext_lazy("Mobile number"),
    "phone_owner": gettext_lazy("own number"),
    "born_on": gettext_lazy("Date of birth"),
    "relation": gettext_lazy("Relation to the head"),
    "sex": pgettext_lazy("person", "Sex"),
    "registered": gettext_lazy("registered in the village"),
    "villager_group": gettext_lazy("Villager group"),
    "head": gettext_lazy("head of household"),
}


def plan(village: Village, sheet: Sheet, *, lock: bool = False) -> Plan:
    """What importing ``sheet`` into ``village`` would do, and every problem of its rows.
    A constant number of queries, whatever the size of the sheet."""
    result = Plan(
        village=village, rows=sheet.rows, problems=list(sheet.problems), notices=sheet.notices
    )

    def problem(row, code, message):
        result.problems.append(Problem(row=row.number, column=str(LABELS[code]), message=message))

    households_qs = Household.objects.filter(village=village)
    residents_qs = Resident.objects.filter(village=village).order_by("pk")
    if lock:
        households_qs = households_qs.select_for_update()
        residents_qs = residents_qs.select_for_update()
    spelled: dict[str, list[Household]] = {}
    for household in households_qs:
        spelled.setdefault(household_key(household.house_number), []).append(household)
    # Two stored spellings of one number ("17" and "017"): the one the sheet writes, else the
    # first (as selectors.household_by_house_number does for a typed number).
    first_spelling = {
        row.household_key: row.house_number for row in reversed(sheet.rows) if row.house_number
    }
    existing: dict[str, Household] = {
        key: next((h for h in found if h.house_number == first_spelling.get(key)), found[0])
        for key, found in spelled.items()
    }
    by_household: dict[int, list[Resident]] = {}
    for resident in residents_qs:
        by_household.setdefault(resident.household_id, []).append(resident)

    # Households of the sheet, their group and their head.
    plans: dict[str, HouseholdPlan] = {}
    seen_people: dict[tuple, int] = {}
    for row in sheet.rows:
        if not row.house_number:
            continue
        key = row.household_key
        hp = plans.get(key)
        if hp is None:
            found = existing.get(key)
            hp = plans[key] = HouseholdPlan(key=key, house_number=row.house_number, household=found)
        hp.rows.append(row)
        if row.group:
            if hp.group and hp.group != row.group:
                problem(
                    row,
                    "group",
                    _("Household %(number)s is in group “%(group)s” on row %(row)d.")
                    % {"number": hp.house_number, "group": hp.group, "row": _group_row(hp, row)},
                )
            elif not hp.group:
                hp.group = row.group
        if row.relation == Relation.HEAD:
            if hp.head_row is not None:
                problem(
                    row,
                    "relation",
                    _("Household %(number)s already has a head on row %(row)d.")
                    % {"number": hp.house_number, "row": hp.head_row.number},
                )
            else:
                hp.head_row = row
        if row.name and row.born_on:
            person = (key, row.name, row.born_on)
            if person in seen_people:
                problem(
                    row,
                    "name",
                    _("The same person as on row %(row)d (household, name and date of birth).")
                    % {"row": seen_people[person]},
                )
            else:
                seen_people[person] = row.number
    unread = {(p.row, p.column) for p in sheet.problems}
    relation_label = str(LABELS["relation"])
    for hp in plans.values():
        # A relation that could not be read may be the head's: that error says enough.
        if hp.head_row is None and not any((r.number, relation_label) in unread for r in hp.rows):
            problem(
                hp.rows[0],
                "relation",
                _("Household %(number)s has no head (relation 户主).")
                % {"number": hp.house_number},
            )
    result.households = plans

    # Match rows to residents: household number, name and date of birth. A resident whose
    # date of birth the platform does not know yet matches on the name and year of birth.
    matched: dict[int, Resident] = {}
    taken: set[int] = set()
    for hp in plans.values():
        if hp.household is None:
            continue
        residents = by_household.get(hp.household.pk, [])
        for exact in (True, False):
            for row in hp.rows:
                if row.number in matched or not row.name or row.born_on is None:
                    continue
                for resident in residents:
                    if resident.pk in taken or _name(resident.name) != row.name:
                        continue
                    same = (
                        resident.born_on == row.born_on
                        if exact
                        else resident.born_on is None
                        and resident.year_of_birth in (None, row.born_on.year)
                    )
                    if not same:
                        continue
                    matched[row.number] = resident
                    taken.add(resident.pk)
                    break
    result.matched = matched

    # Phones: one number, one person. A family may share a number inside its household (it
    # signs in as the first of them on the sheet); never across households or villages.
    phone_rows: dict[str, list[Row]] = {}
    for row in sheet.rows:
        if row.phone:
            phone_rows.setdefault(row.phone, []).append(row)
    for rows in phone_rows.values():
        first = rows[0]
        for row in rows[1:]:
            if row.household_key != first.household_key:
                problem(
                    row,
                    "phone",
                    _(
                        "This number is also on row %(row)d (household %(number)s): a number "
                        "belongs to one person."
                    )
                    % {"row": first.number, "number": first.house_number},
                )
    elsewhere = set(
        Resident.objects.filter(phone__in=list(phone_rows))
        .exclude(village=village)
        .values_list("phone", flat=True)
    )
    # Numbers owned in this village that stay where they are: owned by a resident the sheet
    # does not name, or by one whose row leaves the number cell empty (it keeps its number).
    rows_of = {resident.pk: number for number, resident in matched.items()}
    rows_by_number = {row.number: row for row in sheet.rows}
    holders = {
        r.phone: r
        for rs in by_household.values()
        for r in rs
        if r.phone_owner
        and r.phone
        and (r.pk not in taken or not rows_by_number[rows_of[r.pk]].phone)
    }
    households_by_pk = {h.pk: h for h in existing.values()}
    for phone, rows in phone_rows.items():
        if phone in elsewhere:
            for row in rows:
                problem(row, "phone", _("This number belongs to a resident of another village."))
            continue
        holder = holders.get(phone)
        if holder is None:
            continue
        household = households_by_pk.get(holder.household_id)
        for row in rows:
            if (
                holder.pk in taken
                and household
                and row.household_key == household_key(household.house_number)
            ):
                continue  # shared inside the family; the holder keeps owning it
            problem(
                row,
                "phone",
                _("This number belongs to %(name)s of household %(number)s.")
                % {"name": holder.name, "number": household.house_number if household else "?"},
            )
    # Who owns each number: a resident who owns it already keeps it, otherwise the first row
    # with it; the others share it.
    owners: dict[int, bool] = {}
    for phone, rows in phone_rows.items():
        if phone in holders:
            owners.update(dict.fromkeys((row.number for row in rows), False))
            continue
        keeper = next(
            (
                row
                for row in rows
                if row.number in matched
                and matched[row.number].phone == phone
                and matched[row.number].phone_owner
            ),
            rows[0],
        )
        for row in rows:
            owners[row.number] = row is keeper
    result.owners = owners

    if not result.ok:
        result.problems.sort(key=lambda p: (p.row, p.column))
        return result

    # The changes.
    for hp in plans.values():
        if hp.household is None:
            result.households_added.append(hp)
            continue
        changes = []
        if hp.group and hp.group != hp.household.villager_group:
            changes.append(
                (str(FIELD_LABELS["villager_group"]), hp.household.villager_group or "—", hp.group)
            )
        head = matched.get(hp.head_row.number)
        if head is None or head.pk != hp.household.head_id:
            current = next(
                (r for r in by_household.get(hp.household.pk, []) if r.pk == hp.household.head_id),
                None,
            )
            changes.append(
                (str(FIELD_LABELS["head"]), current.name if current else "—", hp.head_row.name)
            )
        if changes:
            result.households_changed.append((hp, changes))
    for row in sheet.rows:
        resident = matched.get(row.number)
        if resident is None:
            result.residents_added.append(row)
            continue
        values = {}
        if row.born_on != resident.born_on:
            values["born_on"] = (resident.born_on, row.born_on)
        for name in ("relation", "sex"):
            new = getattr(row, name)
            if new and new != getattr(resident, name):
                values[name] = (getattr(resident, name), new)
        if row.phone:
            if row.phone != resident.phone:
                values["phone"] = (resident.phone, row.phone)
            if owners[row.number] != resident.phone_owner:
                values["phone_owner"] = (resident.phone_owner, owners[row.number])
        if not resident.registered:
            values["registered"] = (False, True)
        if values:
            shown = [
                (str(FIELD_LABELS[name]), _shown(name, old), _shown(name, new))
                for name, (old, new) in values.items()
            ]
            if "phone" in values and resident.user_id:
                # services.resident_update: a new number ends the old number's account link.
                shown.append((_("account"), _("linked"), _("unlinked: signs in again")))
            result.residents_changed.append(ResidentChange(resident, row, values, shown))
        else:
            result.unchanged += 1
    for residents in by_household.values():
        for resident in residents:
            if resident.registered and resident.pk not in taken:
                result.departures.append(resident)
    house_numbers = {h.pk: h.house_number for h in existing.values()}
    for resident in result.departures:
        resident.house_number = house_numbers.get(resident.household_id, "")
    return result


def _group_row(hp: HouseholdPlan, row: Row) -> int:
    return next((r.number for r in hp.rows if r.group == hp.group), row.number)


# --- the write ----------------------------------------------------------------------------------


@transaction.atomic
def register_import(
    *,
    actor,
    village: Village,
    sheet: Sheet,
    confirm_departures: bool = False,
    expected_digest: str | None = None,
) -> Plan:
    """Import the sheet into the village's register, all or nothing: planned again here (the
    village's households and residents locked), refused with RegisterImportError if any row is
    wrong or, given ``expected_digest``, if the plan is not the one the preview showed.
    Departures are applied (residents marked not registered, never deleted) only when
    confirmed; otherwise they stay listed."""
    result = plan(village, sheet, lock=True)
    if not result.ok:
        raise RegisterImportError(_("Nothing was imported: some rows have errors."), result)
    if expected_digest is not None and expected_digest != result.digest():
        raise RegisterImportError(
            _("The register changed since the preview. Check the new preview and confirm again."),
            result,
        )
    matched = dict(result.matched)
    households: dict[str, Household] = {}
    for hp in result.households.values():
        if hp.household is None:
            hp.household = services.household_create(
                actor=actor, village=village, house_number=hp.house_number, villager_group=hp.group
            )
        households[hp.key] = hp.household
    for hp, _changes in result.households_changed:
        household = hp.household
        if hp.group and hp.group != household.villager_group:
            old = household.villager_group
            household.villager_group = hp.group
            household.save(update_fields=["villager_group"])
            audit.record(
                actor=actor,
                action="household.change",
                obj=household,
                changes={"villager_group": (old, hp.group)},
            )
    # Numbers that move between residents are released first, so that no two residents own
    # one number for a moment (the database refuses it).
    moving = [
        c.resident.pk
        for c in result.residents_changed
        if "phone" in c.values or "phone_owner" in c.values
    ]
    Resident.objects.filter(pk__in=moving).update(phone_owner=False)
    for change in result.residents_changed:
        values = {name: new for name, (_old, new) in change.values.items()}
        if "born_on" in values:
            values["year_of_birth"] = values["born_on"].year
        services.resident_update(actor=actor, resident=change.resident, **values)
    for row in result.residents_added:
        matched[row.number] = services.resident_create(
            actor=actor,
            household=households[row.household_key],
            name=row.name,
            phone=row.phone,
            phone_owner=result.owners.get(row.number, False),
            born_on=row.born_on,
            relation=row.relation,
            sex=row.sex,
        )
    for hp in result.households.values():
        head = matched[hp.head_row.number]
        if hp.household.head_id != head.pk:
            services.household_set_head(actor=actor, household=hp.household, resident=head)
    departed = 0
    if confirm_departures:
        for resident in result.departures:
            services.resident_update(actor=actor, resident=resident, registered=False)
            departed += 1
    audit.record(
        actor=actor,
        action="register.import",
        obj=village,
        village=village,
        changes={
            "households_added": len(result.households_added),
            "households_changed": len(result.households_changed),
            "residents_added": len(result.residents_added),
            "residents_changed": len(result.residents_changed),
            "departures_listed": len(result.departures),
            "departures_applied": departed,
        },
    )
    result.departures_applied = departed
    return result


# --- an uploaded sheet between the preview and the confirmation ---------------------------------

UPLOAD_FOLDER = "private/register-imports"
TOKEN_SALT = "villageaffairs.register_import"  # noqa: S105 - a signing salt, not a secret
TOKEN_MAX_AGE = 3600  # an hour between upload and confirmation


def sheet_store(*, village: Village, data: bytes) -> str:
    """Keep an uploaded sheet on the server (never served) for its preview and confirmation;
    the returned token is signed and names the village, so it cannot be pointed at another
    village's file or forged. The confirmation reads and checks the file again."""
    folder = f"{UPLOAD_FOLDER}/{village.pk}"
    _discard_stale(folder)
    name = f"{folder}/{secrets.token_urlsafe(16)}.xlsx"
    stored = default_storage.save(name, ContentFile(data))
    return signing.dumps({"v": village.pk, "f": stored}, salt=TOKEN_SALT, compress=True)


def _discard_stale(folder: str) -> None:
    """Sheets previewed but never confirmed are not kept past their token's life."""
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    limit = timezone.now() - timedelta(seconds=TOKEN_MAX_AGE)
    for name in files:
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
        except FileNotFoundError:
            continue


def _stored_name(village: Village, token: str) -> str | None:
    try:
        value = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("v") != village.pk:
        return None
    name = value.get("f")
    prefix = f"{UPLOAD_FOLDER}/{village.pk}/"
    if not isinstance(name, str) or not name.startswith(prefix) or ".." in name:
        return None
    return name


def sheet_load(*, village: Village, token: str) -> bytes | None:
    """The stored sheet for a token of this village, or None (unknown, expired, another
    village's, or already imported)."""
    name = _stored_name(village, token)
    if name is None or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def sheet_discard(*, village: Village, token: str) -> None:
    name = _stored_name(village, token)
    if name is not None and default_storage.exists(name):
        default_storage.delete(name)


# --- forms of the cadre pages ---------------------------------------------------------------------


class UploadForm(forms.Form):
    sheet = forms.FileField(
        label=gettext_lazy("Household register (.xlsx)"),
        help_text=gettext_lazy(
            "One row per person. Columns: household number, villager group, name, relation to "
            "the head, sex, date of birth, mobile number. No ID-card numbers."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def clean_sheet(self):
        upload = self.cleaned_data["sheet"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}
            )
        self.data_bytes = upload.read()
        try:
            self.sheet = read_sheet(self.data_bytes)
        except SheetError as error:
            raise forms.ValidationError(error.messages) from None
        return upload


class ConfirmForm(forms.Form):
    digest = forms.CharField(max_length=64, widget=forms.HiddenInput)
    confirm_departures = forms.BooleanField(
        label=gettext_lazy("Also mark the residents above as no longer registered here"),
        required=False,
    )
