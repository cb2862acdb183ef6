"""Regions and villages keyed by the official statistical division codes (统计用区划代码).

A code has 12 digits: province (2), city (2), county (2), town (3), village (3). A region's
code is its prefix followed by zeros, and a child's code begins with its parent's prefix:
Sichuan 510000000000 > Deyang 510600000000 > Guanghan 510681000000 > a town 510681104000 >
a village 510681104201. The hierarchy is strict: a village lies in a town, a town in a county,
a county in a city, a city in a province.

An operator imports a county's divisions from a sheet (code, name, level, parent code): every
row is checked first, and nothing is saved if any row is wrong. A second import of the same
sheet changes nothing; a renamed or moved division is updated by its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villageaffairs import audit
from villageaffairs.models import Region, Village
from villageaffairs.sheets import SheetError, read_rows

LEVELS = ("province", "city", "county", "town", "village")
PREFIX = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
LEVEL_NAMES = {
    "province": gettext_lazy("province"),
    "city": gettext_lazy("city"),
    "county": gettext_lazy("county"),
    "town": gettext_lazy("town"),
    "village": gettext_lazy("village"),
}
# What a sheet may say in its level column.
LEVEL_WORDS = {
    "province": "province",
    "省": "province",
    "省级": "province",
    "自治区": "province",
    "直辖市": "province",
    "city": "city",
    "市": "city",
    "地级": "city",
    "地级市": "city",
    "州": "city",
    "county": "county",
    "县": "county",
    "区": "county",
    "县级": "county",
    "县级市": "county",
    "town": "town",
    "乡": "town",
    "镇": "town",
    "街道": "town",
    "乡镇": "town",
    "乡级": "town",
    "village": "village",
    "村": "village",
    "社区": "village",
    "村级": "village",
}
COLUMNS = {
    "code": ("code", "division code", "区划代码", "统计用区划代码", "代码"),
    "name": ("name", "名称", "名字"),
    "level": ("level", "级别", "层级"),
    "parent": ("parent code", "parent", "上级代码", "上级区划代码", "上级"),
    "name_en": ("english name", "name_en", "英文名", "英文名称"),
}
REQUIRED = ("code", "name", "level")
MAX_ROWS = 20_000  # a large county has a few thousand villages
MAX_BYTES = 5 * 1024 * 1024
_CODE = re.compile(r"^\d{12}$")


def level_above(level: str) -> str | None:
    index = LEVELS.index(level)
    return LEVELS[index - 1] if index else None


def hierarchy_problem(*, level: str, code: str, parent_level: str | None, parent_code: str):
    """Why a division of ``level`` cannot sit under that parent, or None."""
    above = level_above(level) if level in LEVELS else None
    if above is None:
        if parent_level is not None:
            return _("A province has no parent region.")
    elif parent_level != above:
        return _("A %(level)s lies in a %(above)s.") % {
            "level": LEVEL_NAMES[level],
            "above": LEVEL_NAMES[above],
        }
    if code:
        if not _CODE.match(code):
            return _("A division code is 12 digits.")
        if set(code[PREFIX[level] :]) - {"0"}:
            return _("The code of a %(level)s ends in %(zeros)d zeros.") % {
                "level": LEVEL_NAMES[level],
                "zeros": 12 - PREFIX[level],
            }
        if level != "province" and code[: PREFIX[level]].endswith(
            "0" * (PREFIX[level] - PREFIX[above])
        ):
            return _("The code %(code)s has no digits of its own at the %(level)s level.") % {
                "code": code,
                "level": LEVEL_NAMES[level],
            }
        if above and parent_code and code[: PREFIX[above]] != parent_code[: PREFIX[above]]:
            return _("The code %(code)s does not begin with its parent's %(prefix)s.") % {
                "code": code,
                "prefix": parent_code[: PREFIX[above]],
            }
    return None


# -- slugs --------------------------------------------------------------------------------------


def slug_base(name: str, name_en: str = "", fallback: str = "village") -> str:
    """A URL slug in pinyin for a Chinese name: 友谊村 -> youyicun."""
    from pypinyin import lazy_pinyin

    text = name_en or "".join(lazy_pinyin(name, errors="ignore"))
    return slugify(text)[:50].strip("-") or fallback


def unique_village_slug(name: str, name_en: str = "", *, exclude_pk=None) -> str:
    return _unique_slug(Village, slug_base(name, name_en), exclude_pk)


def unique_region_slug(name: str, name_en: str = "", *, exclude_pk=None) -> str:
    return _unique_slug(Region, slug_base(name, name_en, fallback="region"), exclude_pk)


def _unique_slug(model, base: str, exclude_pk) -> str:
    taken = set(
        model.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


# -- import -------------------------------------------------------------------------------------


@dataclass
class DivisionRow:
    line: int
    code: str
    name: str
    level: str
    parent: str
    name_en: str = ""


@dataclass
class ImportResult:
    rows: list[DivisionRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _normal(header) -> str:
    return re.sub(r"\s+", " ", str(header)).strip().lower()


def parse_sheet(raw: bytes, name: str = "") -> ImportResult:
    """Read and check every row; ``errors`` lists each problem with its row number."""
    result = ImportResult()
    if len(raw) > MAX_BYTES:
        result.errors.append(_("The sheet is larger than 5 MB."))
        return result
    try:
        rows = read_rows(raw, name)
    except SheetError as exc:
        result.errors.extend(exc.messages)
        return result
    lookup = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    index = {}
    for i, header in enumerate(rows[0]):
        key = lookup.get(_normal(header))
        if key is not None and key not in index:
            index[key] = i
    missing = [key for key in REQUIRED if key not in index]
    if missing:
        result.errors.append(
            _(
                "Columns missing: %(columns)s. The columns are: 区划代码 (code), 名称 (name), "
                "级别 (level), 上级代码 (parent code)."
            )
            % {"columns": ", ".join(missing)}
        )
        return result
    if len(rows) - 1 > MAX_ROWS:
        result.errors.append(_("At most %(n)d rows at a time.") % {"n": MAX_ROWS})
        return result

    def cell(row, key) -> str:
        return str(row[index[key]]).strip() if key in index else ""

    for line, row in enumerate(rows[1:], start=2):
        level_word = cell(row, "level")
        result.rows.append(
            DivisionRow(
                line=line,
                code=cell(row, "code").removesuffix(".0"),
                name=cell(row, "name")[:60],
                level=LEVEL_WORDS.get(level_word.lower(), ""),
                parent=cell(row, "parent").removesuffix(".0"),
                name_en=cell(row, "name_en")[:80],
            )
        )
        if not result.rows[-1].level:
            result.errors.append(
                _("Row %(line)d: unknown level “%(level)s”.")
                % {"line": line, "level": level_word[:20]}
            )
    _check(result)
    return result


def _check(result: ImportResult) -> None:
    """The hierarchy, against the sheet's own rows and the divisions already stored."""
    by_code: dict[str, DivisionRow] = {}
    for row in result.rows:
        if not row.name:
            result.errors.append(_("Row %(line)d: the name is empty.") % {"line": row.line})
        if not _CODE.match(row.code):
            result.errors.append(
                _("Row %(line)d: “%(code)s” is not a 12-digit division code.")
                % {"line": row.line, "code": row.code[:20]}
            )
            continue
        if row.code in by_code:
            result.errors.append(
                _("Row %(line)d: the code %(code)s is also on row %(other)d.")
                % {"line": row.line, "code": row.code, "other": by_code[row.code].line}
            )
            continue
        by_code[row.code] = row
    codes = [r.parent for r in result.rows if r.parent]
    stored = {r.code: r.level for r in Region.objects.filter(code__in=codes)}
    stored_villages = set(Village.objects.filter(code__in=codes).values_list("code", flat=True))
    for row in result.rows:
        if not row.level or row.code not in by_code or by_code[row.code] is not row:
            continue
        parent_level = None
        if row.parent:
            if row.parent in by_code:
                parent_level = by_code[row.parent].level
            elif row.parent in stored:
                parent_level = stored[row.parent]
            elif row.parent in stored_villages:
                parent_level = "village"
            else:
                result.errors.append(
                    _("Row %(line)d: the parent code %(code)s is neither in the sheet nor stored.")
                    % {"line": row.line, "code": row.parent[:20]}
                )
                continue
        elif row.level != "province":
            result.errors.append(
                _("Row %(line)d: a %(level)s needs a parent code.")
                % {"line": row.line, "level": LEVEL_NAMES[row.level]}
            )
            continue
        problem = hierarchy_problem(
            level=row.level, code=row.code, parent_level=parent_level, parent_code=row.parent
        )
        if problem:
            result.errors.append(
                _("Row %(line)d: %(problem)s") % {"line": row.line, "problem": problem}
            )
    _check_kinds(result)


def _check_kinds(result: ImportResult) -> None:
    """A code stored as a region cannot become a village, nor the other way round."""
    region_codes = {r.code for r in result.rows if r.level != "village"}
    village_codes = {r.code for r in result.rows if r.level == "village"}
    clash = set(Village.objects.filter(code__in=region_codes).values_list("code", flat=True))
    clash |= set(Region.objects.filter(code__in=village_codes).values_list("code", flat=True))
    for row in result.rows:
        if row.code in clash:
            result.errors.append(
                _("Row %(line)d: the code %(code)s is stored at another level.")
                % {"line": row.line, "code": row.code}
            )


def import_divisions(*, actor, raw: bytes, name: str = "", dry_run: bool = False) -> ImportResult:
    """Check the sheet, then create or update every division by its code, parents first, in
    one transaction. Nothing is written when any row is wrong, or on a dry run."""
    result = parse_sheet(raw, name)
    if not result.ok or dry_run:
        if result.ok:
            _count(result)
        return result
    try:
        with transaction.atomic():
            _apply(actor, result)
    except IntegrityError:  # e.g. a new code for a name its parent already has
        result.created = result.updated = result.unchanged = 0
        result.errors.append(
            _("Two divisions under one parent would have the same name; nothing was saved.")
        )
    return result


def _count(result: ImportResult) -> None:
    regions = set(
        Region.objects.filter(code__in=[r.code for r in result.rows]).values_list("code", flat=True)
    )
    villages = set(
        Village.objects.filter(code__in=[r.code for r in result.rows]).values_list(
            "code", flat=True
        )
    )
    known = regions | villages
    result.created = sum(1 for r in result.rows if r.code not in known)


def _apply(actor, result: ImportResult) -> None:
    from villageaffairs.services import region_path_text, village_create

    regions = {
        r.code: r for r in Region.objects.filter(code__isnull=False).select_related("parent")
    }
    for level in LEVELS[:-1]:
        for row in (r for r in result.rows if r.level == level):
            parent = regions.get(row.parent) if row.parent else None
            region = regions.get(row.code)
            claimed = False
            if region is None:  # an uncoded region of that name and parent takes the code
                region = Region.objects.filter(
                    parent=parent, name=row.name, code__isnull=True
                ).first()
                claimed = region is not None
            if region is None:
                region = Region(code=row.code)
                result.created += 1
            elif not claimed and (
                region.name,
                region.name_en,
                region.parent_id,
                region.level,
                region.code,
            ) == (
                row.name,
                row.name_en or region.name_en,
                parent.pk if parent else None,
                level,
                row.code,
            ):
                result.unchanged += 1
                regions[row.code] = region
                continue
            else:
                result.updated += 1
            region.code, region.name, region.level, region.parent = (
                row.code,
                row.name,
                level,
                parent,
            )
            region.name_en = row.name_en or region.name_en
            region.save()
            audit.record(
                actor=actor,
                action="region.import",
                obj=region,
                changes={"code": row.code, "name": row.name},
            )
            regions[row.code] = region
    for row in (r for r in result.rows if r.level == "village"):
        town = regions[row.parent]
        village = Village.objects.filter(code=row.code).first()
        if village is None:
            village = Village.objects.filter(region=town, name=row.name, code__isnull=True).first()
        if village is None:
            village = village_create(actor=actor, name=row.name, name_en=row.name_en, region=town)
            village.code = row.code
            village.save(update_fields=["code"])
            result.created += 1
            continue
        before = (village.name, village.region_id, village.code)
        village.name, village.region, village.code = row.name, town, row.code
        village.name_en = row.name_en or village.name_en
        if before == (village.name, village.region_id, village.code):
            result.unchanged += 1
            continue
        village.region_path = region_path_text(town)
        village.save()
        audit.record(
            actor=actor,
            action="village.import",
            obj=village,
            village=village,
            changes={"code": row.code, "name": row.name},
        )
        result.updated += 1
