"""Regions and villages by official division code: the import, the hierarchy, pinyin slugs."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests.factories import RegionFactory
from villageaffairs import divisions, services
from villageaffairs.models import AuditEntry, Region, Village

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


COUNTY = [
    ("区划代码", "名称", "级别", "上级代码"),
    ("510000000000", "四川省", "省", ""),
    ("510600000000", "德阳市", "市", "510000000000"),
    ("510681000000", "广汉市", "县", "510600000000"),
    ("510681104000", "三水镇", "镇", "510681000000"),
    ("510681104201", "友谊村", "村", "510681104000"),
    ("510681104202", "友爱村", "村", "510681104000"),
    ("510681105000", "连山镇", "镇", "510681000000"),
    ("510681105201", "友谊村", "村", "510681105000"),  # the same name in another town
]


def sheet(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(rows, **kwargs):
    return divisions.import_divisions(actor=None, raw=sheet(rows), name="d.csv", **kwargs)


def test_a_county_imports_with_its_hierarchy_and_pinyin_slugs():
    result = run(COUNTY)
    assert result.ok, result.errors
    assert result.created == 8
    village = Village.objects.get(code="510681104201")
    assert village.name == "友谊村"
    assert village.region.code == "510681104000"
    assert [r.name for r in village.region.path()] == ["四川省", "德阳市", "广汉市", "三水镇"]
    assert village.region_path.startswith("四川省 德阳市 广汉市 三水镇")
    assert village.slug == "youyicun"
    # The second 友谊村 gets its own slug instead of failing on the unique index.
    assert Village.objects.get(code="510681105201").slug == "youyicun-2"
    assert Village.objects.get(code="510681104202").slug == "youaicun"
    assert AuditEntry.objects.filter(action="region.import").count() == 5
    assert AuditEntry.objects.filter(action="village.create").count() == 3


def test_an_excel_sheet_with_english_headers_and_levels_imports():
    rows = [("code", "name", "level", "parent code")] + [
        (code, name, level, parent)
        for (code, name, _l, parent), level in zip(
            COUNTY[1:5], ["province", "city", "county", "town"], strict=True
        )
    ]
    result = divisions.import_divisions(actor=None, raw=xlsx(rows), name="d.xlsx")
    assert result.ok, result.errors
    assert Region.objects.get(code="510681104000").level == Region.Level.TOWN


def test_importing_the_same_sheet_again_changes_nothing_and_a_rename_updates():
    assert run(COUNTY).ok
    again = run(COUNTY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 8)
    renamed = [r if r[0] != "510681104000" else (r[0], "三水镇（新）", r[2], r[3]) for r in COUNTY]
    result = run(renamed)
    assert (result.created, result.updated) == (0, 1)
    assert Region.objects.get(code="510681104000").name == "三水镇（新）"
    assert Village.objects.get(code="510681104201").region.name == "三水镇（新）"


def test_an_uncoded_region_of_the_same_name_takes_its_code():
    province = RegionFactory(name="四川省", level=Region.Level.PROVINCE, parent=None)
    assert run(COUNTY[:3]).ok
    province.refresh_from_db()
    assert province.code == "510000000000"
    assert Region.objects.filter(name="四川省").count() == 1


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (("510681104203", "长乐村", "村", "510681000000"), "lies in a town"),  # village in county
        (("510681104203", "长乐村", "村", "510000000000"), "lies in a town"),  # in a province
        (("510681104203", "长乐村", "村", "999999999999"), "neither in the sheet nor stored"),
        (("510681104203", "长乐村", "村", ""), "needs a parent code"),
        (("51068110420", "长乐村", "村", "510681104000"), "not a 12-digit"),
        (("5106811042AB", "长乐村", "村", "510681104000"), "not a 12-digit"),
        (("510681104203", "长乐村", "大队", "510681104000"), "unknown level"),
        (("510681104203", "", "村", "510681104000"), "name is empty"),
        (("510681104201", "重复村", "村", "510681104000"), "also on row"),
        (("510681105202", "串门村", "村", "510681104000"), "does not begin with"),
        (("510681104000", "三水镇", "镇", "510681000000"), "also on row"),
        (("510681106100", "乱码镇", "镇", "510681000000"), "ends in 3 zeros"),
        (("510600000000", "省下无级", "省", "510000000000"), "also on row"),
        (("520000000000", "贵州省", "省", "510000000000"), "no parent region"),
        (("510681000201", "跳级村", "村", "510681000000"), "lies in a town"),
    ],
)
def test_a_bad_row_saves_nothing_and_names_the_row(bad_row, message):
    result = run([*COUNTY, bad_row])
    assert not result.ok
    assert any("Row 10" in str(e) and message in str(e) for e in result.errors), result.errors
    assert not Region.objects.exists()
    assert not Village.objects.exists()


def test_junk_files_are_refused_with_a_clear_error():
    for raw, name in [(b"", "d.csv"), (b"\x00\x01junk", "d.csv"), (b"PK\x03\x04junk", "d.xlsx")]:
        result = divisions.import_divisions(actor=None, raw=raw, name=name)
        assert not result.ok and result.errors
    result = run([("name", "level"), ("友谊村", "村")])
    assert "Columns missing" in str(result.errors[0])
    assert not Region.objects.exists()


def test_a_dry_run_reports_and_saves_nothing():
    result = run(COUNTY, dry_run=True)
    assert result.ok and result.created == 8
    assert not Region.objects.exists()


def test_the_command_exits_non_zero_on_any_error_and_saves_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(sheet([*COUNTY, ("510681104203", "长乐村", "村", "510681000000")]))
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("import_divisions", str(bad))
    assert not Village.objects.exists()
    good = tmp_path / "good.csv"
    good.write_bytes(sheet(COUNTY))
    out = io.StringIO()
    call_command("import_divisions", str(good), stdout=out)
    assert "8 created" in out.getvalue()
    assert Village.objects.count() == 3
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_divisions", str(tmp_path / "missing.csv"))


def test_the_model_refuses_a_village_under_a_province_and_a_town_under_a_province():
    province = RegionFactory(name="四川省", level=Region.Level.PROVINCE, parent=None)
    village = Village(name="错村", slug="cuocun", region=province)
    with pytest.raises(ValidationError) as caught:
        village.full_clean()
    assert "region" in caught.value.message_dict
    town = Region(name="某镇", level=Region.Level.TOWN, parent=province)
    with pytest.raises(ValidationError) as caught:
        town.full_clean()
    assert "parent" in caught.value.message_dict


def test_a_region_cannot_be_moved_inside_itself():
    county = RegionFactory(name="广汉市", level=Region.Level.COUNTY, parent=None)
    county.refresh_from_db()
    town = RegionFactory(name="三水镇", level=Region.Level.TOWN, parent=county)
    county.level = Region.Level.TOWN
    county.parent = town
    with pytest.raises(ValidationError):
        county.full_clean()


def test_villages_made_without_a_slug_get_a_unique_pinyin_one():
    town = RegionFactory(level=Region.Level.TOWN)
    first = services.village_create(actor=None, name="幸福村", region=town)
    second = services.village_create(actor=None, name="幸福村", region=town)
    third = services.village_create(actor=None, name="！！！", region=town)
    assert (first.slug, second.slug) == ("xingfucun", "xingfucun-2")
    assert third.slug == "village"


def test_the_admin_fills_an_empty_slug_from_pinyin_and_offers_only_towns(admin_client):
    town = RegionFactory(name="三水镇", level=Region.Level.TOWN)
    county = RegionFactory(name="广汉市", level=Region.Level.COUNTY, parent=None)
    page = admin_client.get("/admin/villageaffairs/village/add/")
    options = page.context["adminform"].form.fields["region"].queryset
    assert town in options and county not in options
    response = admin_client.post(
        "/admin/villageaffairs/village/add/",
        {"name": "和平村", "slug": "", "code": "", "region": town.pk, "is_active": "on"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Village.objects.get(name="和平村").slug == "hepingcun"
    response = admin_client.post(
        "/admin/villageaffairs/village/add/",
        {"name": "错村", "slug": "", "code": "", "region": county.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert not Village.objects.filter(name="错村").exists()


def test_errors_read_in_chinese_for_a_chinese_operator():
    from django.utils import translation

    with translation.override("zh-hans"):
        result = run([*COUNTY, ("510681104203", "长乐村", "村", "510681000000")])
    assert "第 10 行" in str(result.errors[0]), result.errors
