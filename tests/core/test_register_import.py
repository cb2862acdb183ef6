"""The household register imported from a village's Excel sheet (villageaffairs.register_import):
the preview's errors and changes, all-or-nothing writes, re-imports with departures, the
command, the cadre pages and the admin entry point."""

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory
from villageaffairs import register_import
from villageaffairs.models import AuditEntry, Household, Relation, Resident, Sex
from villageaffairs.views import PREVIEW_LIMIT

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "register-sample.xlsx"
HEADERS = ["户号", "村民小组", "姓名", "与户主关系", "性别", "出生日期", "手机号"]
GOOD = [
    ["001", "一组", "赵德明", "户主", "男", date(1958, 4, 12), "139 0000 0101"],
    ["001", "一组", "钱秀英", "配偶", "女", date(1960, 9, 3), ""],
    ["001", "一组", "赵小军", "子", "男", "1985-01-20", "13900000102"],
    ["002", "二组", "李国强", "户主", "男", "1966/2/17", "139 0000 0201"],
    ["002", "二组", "周桂兰", "配偶", "女", "1968年7月25日", "139 0000 0201"],
]


def xlsx(rows, headers=HEADERS, title=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plan_for(village, rows, **kwargs):
    return register_import.plan(village, register_import.read_sheet(xlsx(rows, **kwargs)))


def do_import(village, rows, actor=None, **kwargs):
    sheet = register_import.read_sheet(xlsx(rows))
    return register_import.register_import(actor=actor, village=village, sheet=sheet, **kwargs)


def errors(result):
    return [(p.row, p.column, p.message) for p in result.problems]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def village(db):
    return VillageFactory(name="新村", slug="xincun")


# --- a good sheet -------------------------------------------------------------------------------


def test_a_good_sheet_is_previewed_without_saving(village):
    result = plan_for(village, GOOD)
    assert result.ok, errors(result)
    assert [h.house_number for h in result.households_added] == ["001", "002"]
    assert len(result.residents_added) == 5
    assert result.departures == []
    assert not Household.objects.filter(village=village).exists()


def test_a_good_sheet_imports_households_heads_members_and_numbers(village):
    do_import(village, GOOD)
    one = Household.objects.get(village=village, house_number="001")
    assert one.villager_group == "一组"
    assert one.head.name == "赵德明" and one.name == "赵德明"
    son = Resident.objects.get(village=village, name="赵小军")
    assert son.household == one
    assert son.relation == Relation.SON and son.sex == Sex.MALE
    assert son.born_on == date(1985, 1, 20) and son.year_of_birth == 1985
    assert son.phone == "+8613900000102" and son.phone_owner
    assert Resident.objects.get(name="钱秀英").phone == ""
    # A family shares a number: the first of them on the sheet owns it (signs in with it).
    li, zhou = Resident.objects.get(name="李国强"), Resident.objects.get(name="周桂兰")
    assert li.phone == zhou.phone == "+8613900000201"
    assert li.phone_owner and not zhou.phone_owner
    assert AuditEntry.objects.filter(village=village, action="register.import").count() == 1
    assert AuditEntry.objects.filter(village=village, action="resident.create").count() == 5


def test_the_sample_sheet_imports_cleanly_into_a_new_village(village):
    sheet = register_import.read_sheet(SAMPLE.read_bytes())
    result = register_import.register_import(actor=None, village=village, sheet=sheet)
    assert result.ok
    assert Household.objects.filter(village=village).count() == 4
    assert Resident.objects.filter(village=village).count() == 15
    assert all(h.head_id for h in Household.objects.filter(village=village))


def test_english_headers_and_a_title_row_are_read(village):
    headers = ["Household number", "Group", "Name", "Relation", "Sex", "Date of birth", "Phone"]
    rows = [["7", "1", "Wang", "head", "male", "1970-01-01", ""]]
    result = plan_for(village, rows, headers=headers, title="新村户籍花名册")
    assert result.ok, errors(result)
    assert result.rows[0].relation == Relation.HEAD and result.rows[0].number == 3


def test_an_id_card_column_is_not_read_and_an_id_number_in_a_cell_is_refused(village):
    rows = [[*row, "11010519491231002X"] for row in GOOD]
    result = plan_for(village, rows, headers=[*HEADERS, "身份证号"])
    assert result.ok
    assert any("身份证号" in notice for notice in result.notices)
    do_import(village, GOOD)  # nothing of an ID number reaches the database
    bad = [["003", "一组", "张三", "户主", "男", "1970-01-01", "11010519491231002X"]]
    result = plan_for(village, bad)
    assert errors(result) == [(2, "Mobile number", result.problems[0].message)]
    assert "ID-card" in result.problems[0].message
    in_a_date = [["003", "一组", "张三", "户主", "男", "11010519491231002X", ""]]
    assert [(r, c) for r, c, _m in errors(plan_for(village, in_a_date))] == [(2, "Date of birth")]
    assert "11010519491231002X" not in str(errors(plan_for(village, in_a_date)))


# --- bad rows: a clear error, nothing saved ------------------------------------------------------


def _one_error(village, rows):
    result = plan_for(village, rows)
    assert not result.ok
    with pytest.raises(register_import.RegisterImportError):
        do_import(village, rows)
    assert not Household.objects.filter(village=village).exists()
    assert not Resident.objects.filter(village=village).exists()
    return errors(result)


def test_one_bad_row_saves_nothing(village):
    rows = [*GOOD, ["003", "二组", "王建华", "户主", "男", "1972-13-01", ""]]
    assert _one_error(village, rows) == [
        (7, "Date of birth", "“1972-13-01” is not a date like 1965-03-12.")
    ]


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (
            ["003", "二组", "王建华", "舅舅", "男", "1972-01-01", ""],
            "Relation to the head",
            "not a relation",
        ),
        (["003", "二组", "王建华", "户主", "男", "2999-01-01", ""], "Date of birth", "not a date"),
        (["003", "二组", "王建华", "户主", "男", "去年", ""], "Date of birth", "not a date"),
        (["003", "二组", "王建华", "户主", "男", "1972-01-01", "12345"], "Mobile number", "mobile"),
        (["003", "二组", "王建华", "户主", "未知", "1972-01-01", ""], "Sex", "男"),
        (["003", "二组", "", "户主", "男", "1972-01-01", ""], "Name", "Empty"),
        (["", "二组", "王建华", "户主", "男", "1972-01-01", ""], "Household number", "Empty"),
        (["003", "二组", "王" * 61, "户主", "男", "1972-01-01", ""], "Name", "Too long"),
    ],
)
def test_each_bad_cell_is_named_by_row_and_column(village, row, column, fragment):
    found = _one_error(village, [*GOOD, row])
    assert [(r, c) for r, c, _m in found] == [(7, column)]
    assert fragment in found[0][2]


def test_a_duplicate_person_row(village):
    found = _one_error(village, [*GOOD, GOOD[2]])
    assert found == [(7, "Name", found[0][2])]
    assert "row 4" in found[0][2]


def test_a_household_with_two_heads_or_none(village):
    two = [*GOOD, ["002", "二组", "李二", "户主", "男", "1970-01-01", ""]]
    assert [(r, c) for r, c, _m in _one_error(village, two)] == [(7, "Relation to the head")]
    none = [*GOOD, ["003", "二组", "王浩", "子", "男", "2001-08-09", ""]]
    found = _one_error(village, none)
    assert [(r, c) for r, c, _m in found] == [(7, "Relation to the head")]
    assert "no head" in found[0][2]


def test_a_household_number_in_two_groups(village):
    rows = [*GOOD, ["2", "三组", "李梅", "女", "女", "1995-03-14", ""]]  # "2" is household 002
    found = _one_error(village, rows)
    assert [(r, c) for r, c, _m in found] == [(7, "Villager group")]
    assert "二组" in found[0][2]


def test_a_number_on_two_households(village):
    rows = [*GOOD, ["003", "二组", "王建华", "户主", "男", "1972-01-01", "13900000101"]]
    found = _one_error(village, rows)
    assert [(r, c) for r, c, _m in found] == [(7, "Mobile number")]


def test_a_number_of_another_villages_resident(village):
    ResidentFactory(phone="+8613900000101", phone_owner=True)  # in a village of its own
    found = _one_error(village, GOOD)
    assert found == [(2, "Mobile number", "This number belongs to a resident of another village.")]


def test_junk_files_and_sheets_are_refused():
    with pytest.raises(register_import.SheetError):
        register_import.read_sheet(b"not a workbook at all")
    with pytest.raises(register_import.SheetError):
        register_import.read_sheet(b"PK\x03\x04 broken zip")
    with pytest.raises(register_import.SheetError, match="xls"):
        register_import.read_sheet(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(register_import.SheetError, match="header"):
        register_import.read_sheet(xlsx([["x", "y"]], headers=["甲", "乙"]))
    with pytest.raises(register_import.SheetError, match="Date of birth"):
        register_import.read_sheet(xlsx([["1", "赵", "户主"]], headers=["户号", "姓名", "关系"]))
    with pytest.raises(register_import.SheetError, match="MB"):
        register_import.read_sheet(b"PK\x03\x04" + b"\0" * register_import.MAX_BYTES)


# --- a second import: changes, additions and departures -----------------------------------------


def test_a_reimport_updates_adds_and_lists_departures_until_confirmed(village):
    do_import(village, GOOD)
    son = Resident.objects.get(name="赵小军")
    second = [
        GOOD[0],
        GOOD[1],
        ["1", "一组", "赵小军", "子", "男", "1985-01-20", "139 0000 0999"],  # new number
        GOOD[3],
        ["002", "二组", "李小宝", "子", "男", "2020-05-05", ""],  # born since
    ]  # 周桂兰 is gone
    result = plan_for(village, second)
    assert result.ok, errors(result)
    assert [c.resident for c in result.residents_changed] == [son]
    assert result.residents_changed[0].shown == [
        ("Mobile number", "+8613900000102", "+8613900000999")
    ]
    assert [r.name for r in result.residents_added] == ["李小宝"]
    assert [r.name for r in result.departures] == ["周桂兰"]
    assert result.unchanged == 3

    do_import(village, second)
    son.refresh_from_db()
    assert son.phone == "+8613900000999" and son.phone_owner
    assert Resident.objects.get(name="李小宝").household.house_number == "002"
    zhou = Resident.objects.get(name="周桂兰")
    assert zhou.registered  # listed, not applied
    again = plan_for(village, second)
    assert [r.name for r in again.departures] == ["周桂兰"]
    assert not again.residents_added and not again.residents_changed

    do_import(village, second, confirm_departures=True)
    zhou.refresh_from_db()
    assert not zhou.registered  # marked, never deleted
    assert plan_for(village, second).departures == []
    # Back on the register: the same person again.
    back = plan_for(village, GOOD[:2] + second[2:] + [GOOD[4]])
    assert [c.resident.name for c in back.residents_changed] == ["周桂兰"]


def test_a_resident_the_platform_knows_by_year_only_is_matched_and_given_the_date(village):
    home = HouseholdFactory(village=village, house_number="001")
    old = ResidentFactory(household=home, name="赵德明", year_of_birth=1958)
    result = plan_for(village, GOOD[:3])
    assert result.ok
    assert [c.resident for c in result.residents_changed] == [old]
    assert result.households_changed[0][1] == [
        ("Villager group", "—", "一组"),
        ("head of household", "—", "赵德明"),
    ]
    do_import(village, GOOD[:3])
    old.refresh_from_db()
    assert old.born_on == date(1958, 4, 12) and old.relation == Relation.HEAD
    home.refresh_from_db()
    assert home.head == old and home.villager_group == "一组"


def test_a_number_moving_between_two_residents_is_imported(village):
    do_import(village, GOOD)
    swapped = [list(row) for row in GOOD]
    swapped[0][6], swapped[2][6] = swapped[2][6], swapped[0][6]
    do_import(village, swapped)
    assert Resident.objects.get(name="赵德明").phone == "+8613900000102"
    assert Resident.objects.get(name="赵小军").phone == "+8613900000101"


def test_a_number_kept_by_a_departing_resident_is_refused(village):
    do_import(village, GOOD)
    rows = [
        GOOD[0],
        GOOD[1],
        GOOD[3],
        ["002", "二组", "李梅", "女", "女", "1995-03-14", "13900000102"],
    ]
    found = errors(plan_for(village, rows))
    assert [(r, c) for r, c, _m in found] == [(5, "Mobile number")]
    assert "赵小军" in found[0][2]


def test_a_preview_that_no_longer_holds_is_not_applied(village):
    sheet = register_import.read_sheet(xlsx(GOOD))
    digest = register_import.plan(village, sheet).digest()
    HouseholdFactory(village=village, house_number="002")  # someone added it meanwhile
    with pytest.raises(register_import.RegisterImportError, match="changed"):
        register_import.register_import(
            actor=None, village=village, sheet=sheet, expected_digest=digest
        )
    assert not Resident.objects.filter(village=village).exists()


def test_planning_takes_the_same_queries_for_a_small_and_a_big_sheet(
    village, django_assert_max_num_queries
):
    do_import(village, GOOD)
    small = register_import.read_sheet(xlsx(GOOD))
    big_rows = GOOD + [
        [f"{n:03d}", "三组", f"村民{n}", "户主", "男", "1970-01-01", ""] for n in range(3, 60)
    ]
    big = register_import.read_sheet(xlsx(big_rows))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        register_import.plan(village, small)
    with django_assert_max_num_queries(len(one.captured_queries)):
        register_import.plan(village, big)


# --- the command ---------------------------------------------------------------------------------


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_register", *args, stdout=out, stderr=err)
    except CommandError as error:  # manage.py prints it and exits with status 1
        return 1, out.getvalue() + err.getvalue() + str(error)
    return 0, out.getvalue() + err.getvalue()


def test_the_command_imports_the_sample_and_reports(village, tmp_path):
    code, output = _run(village.slug, str(SAMPLE), "--dry-run")
    assert code == 0
    assert not Resident.objects.filter(village=village).exists()
    assert "15" in output
    code, output = _run(village.slug, str(SAMPLE))
    assert code == 0
    assert Resident.objects.filter(village=village).count() == 15


def test_the_command_exits_non_zero_on_any_error_and_saves_nothing(village, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([*GOOD, ["003", "二组", "王建华", "舅舅", "男", "1972-01-01", ""]]))
    code, output = _run(village.slug, str(bad))
    assert code == 1
    assert "7" in output and "舅舅" in output
    assert not Resident.objects.filter(village=village).exists()
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"junk")
    assert _run(village.slug, str(junk))[0] == 1
    assert _run("no-such-village", str(SAMPLE))[0] == 1


def test_the_command_applies_departures_only_when_told(village, tmp_path):
    do_import(village, GOOD)
    second = tmp_path / "second.xlsx"
    second.write_bytes(xlsx(GOOD[:4]))
    code, output = _run(village.slug, str(second))
    assert code == 0 and "周桂兰" in output
    assert Resident.objects.get(name="周桂兰").registered
    code, _output = _run(village.slug, str(second), "--confirm-departures")
    assert code == 0
    assert not Resident.objects.get(name="周桂兰").registered


# --- the cadre pages -----------------------------------------------------------------------------


def _upload(client, village, data, name="register.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("household_import", args=[village.slug]),
        {"sheet": SimpleUploadedFile(name, data)},
    )


def test_a_cadre_uploads_previews_and_confirms(client, people):
    client.force_login(people.cadre_here)
    response = _upload(client, people.here, xlsx(GOOD))
    assert response.status_code == 302
    preview = response["Location"]
    page = client.get(preview)
    assert page.status_code == 200
    text = page.content.decode()
    assert "赵小军" in text and "001" in text
    assert not Resident.objects.filter(village=people.here, name="赵小军").exists()
    # The cadre's and the villager's own households are not on the sheet: listed, kept.
    departing = {r.name for r in page.context["result"].departures}
    assert str(people.cadre_here) in departing

    done = client.post(preview, {"digest": page.context["form"].initial["digest"]})
    assert done.status_code == 302
    assert done["Location"] == reverse("household_register", args=[people.here.slug])
    assert Resident.objects.filter(village=people.here, name="赵小军").exists()
    assert Resident.objects.get(user=people.cadre_here).registered
    entry = AuditEntry.objects.get(village=people.here, action="register.import")
    assert entry.actor == people.cadre_here
    # The server's copy is gone: the same confirmation cannot run twice.
    assert client.get(preview).status_code == 404


def test_departures_are_applied_only_when_ticked(client, people):
    client.force_login(people.cadre_here)
    preview = _upload(client, people.here, xlsx(GOOD))["Location"]
    digest = client.get(preview).context["form"].initial["digest"]
    client.post(preview, {"digest": digest, "confirm_departures": "on"})
    cadre = Resident.objects.get(user=people.cadre_here)
    assert not cadre.registered
    assert cadre.user == people.cadre_here  # nothing deleted, the account kept
    assert Household.objects.filter(pk=cadre.household_id).exists()


def test_a_sheet_with_errors_shows_them_and_cannot_be_confirmed(client, people):
    client.force_login(people.cadre_here)
    bad = [*GOOD, ["003", "二组", "王建华", "舅舅", "男", "1972-01-01", ""]]
    preview = _upload(client, people.here, xlsx(bad))["Location"]
    page = client.get(preview)
    assert page.status_code == 200
    assert "舅舅" in page.content.decode()
    assert 'name="digest"' not in page.content.decode()
    digest = page.context["result"].digest()
    assert client.post(preview, {"digest": digest}).status_code == 400
    assert not Resident.objects.filter(village=people.here, name="赵德明").exists()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"%PDF-1.4 not a sheet", "register.xlsx"),
        (b"a,b,c\n1,2,3\n", "register.csv"),
        (b"PK\x03\x04corrupt", "register.xlsx"),
        (b"PK\x03\x04" + b"\0" * register_import.MAX_BYTES, "big.xlsx"),
    ],
)
def test_a_file_that_is_no_register_is_refused_on_the_form(client, people, data, name):
    client.force_login(people.cadre_here)
    response = _upload(client, people.here, data, name)
    assert response.status_code == 400
    assert response.context["form"].errors["sheet"]
    assert not Household.objects.filter(village=people.here, house_number="001").exists()


def test_another_villages_sheet_is_not_found(client, people):
    token = register_import.sheet_store(village=people.elsewhere, data=xlsx(GOOD))
    client.force_login(people.cadre_here)
    url = reverse("household_import_preview", args=[people.here.slug, token])
    assert client.get(url).status_code == 404
    client.force_login(people.cadre_elsewhere)
    here = register_import.sheet_store(village=people.here, data=xlsx(GOOD))
    assert (
        client.get(reverse("household_import_preview", args=[people.here.slug, here])).status_code
        == 404
    )
    forged = reverse("household_import_preview", args=[people.here.slug, "e30:forged:token"])
    client.force_login(people.cadre_here)
    assert client.get(forged).status_code == 404


def test_a_villager_cannot_import(client, people):
    client.force_login(people.villager_here)
    assert _upload(client, people.here, xlsx(GOOD)).status_code == 404
    assert not Household.objects.filter(village=people.here, house_number="001").exists()


def test_the_preview_takes_the_same_queries_for_a_small_and_a_big_sheet(
    client, people, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people.cadre_here)
    small = _upload(client, people.here, xlsx(GOOD))["Location"]
    big_rows = GOOD + [
        [f"{n:03d}", "三组", f"村民{n}", "户主", "男", "1970-01-01", ""] for n in range(3, 80)
    ]
    big = _upload(client, people.here, xlsx(big_rows))["Location"]
    with CaptureQueriesContext(connection) as one:
        assert client.get(small).status_code == 200
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(big)
    assert page.status_code == 200
    # Long lists are cut at the page's limit, and say so.
    body = page.content.decode()
    assert body.count("<li>第 ") == PREVIEW_LIMIT  # of 82 residents added
    assert body.count(f"这里显示前 {PREVIEW_LIMIT} 项") == 2  # households and residents added


# --- the admin entry point -----------------------------------------------------------------------


def test_the_admin_action_and_link_lead_to_the_cadres_village(client, people):
    client.force_login(people.cadre_here)
    household = Household.objects.get(residents__user=people.cadre_here)
    response = client.post(
        reverse("admin:villageaffairs_household_changelist"),
        {"action": "import_register", "_selected_action": [household.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("household_import", args=[people.here.slug])
    changelist = client.get(reverse("admin:villageaffairs_household_changelist"))
    link = reverse("admin:villageaffairs_household_import")
    assert link in changelist.content.decode()
    assert client.get(link)["Location"] == reverse("household_import", args=[people.here.slug])


def test_the_admin_entry_point_keeps_to_the_villages_one_manages(client, people):
    link = reverse("admin:villageaffairs_household_import")
    client.force_login(people.cadre_here)
    other = client.get(link, {"village__id__exact": people.elsewhere.pk})
    assert other["Location"] == reverse("household_import", args=[people.here.slug])
    client.force_login(people.operator)
    assert client.get(link)["Location"] == reverse("admin:villageaffairs_household_changelist")
    chosen = client.get(link, {"village__id__exact": people.elsewhere.pk})
    assert chosen["Location"] == reverse("household_import", args=[people.elsewhere.slug])


def test_a_new_number_for_a_resident_with_an_account_says_the_account_is_unlinked(village):
    from tests.factories import UserFactory

    do_import(village, GOOD)
    son = Resident.objects.get(name="赵小军")
    son.user = UserFactory(phone="+8613900000102")
    son.save(update_fields=["user"])
    rows = [list(row) for row in GOOD]
    rows[2][6] = "139 0000 0999"
    change = plan_for(village, rows).residents_changed[0]
    assert change.shown[-1] == ("account", "linked", "unlinked: signs in again")
    do_import(village, rows)
    son.refresh_from_db()
    assert son.user is None and son.phone == "+8613900000999"


def test_the_sheets_spelling_of_a_house_number_finds_its_household(village):
    HouseholdFactory(village=village, house_number="1")
    written = HouseholdFactory(village=village, house_number="001")
    result = plan_for(village, GOOD[:3])
    assert result.ok
    assert result.households["1"].household == written
