"""At a phone's size: a cadre uploads the household register with a bad row, sees the error by
row and column, uploads the corrected sheet, checks the preview and imports it."""

import io
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.factories import VillageFactory, member
from villageaffairs.models import Household, Resident, Role

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "register-sample.xlsx"


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _with_a_bad_relation(path: Path) -> Path:
    book = openpyxl.load_workbook(SAMPLE)
    book.active["D3"] = "舅舅"  # row 3: 钱秀英's relation
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_a_cadre_imports_the_register_on_a_phone(live_server, page, login, tmp_path):
    village = VillageFactory(name="新村", slug="xincun")
    secretary = member(village, Role.SECRETARY, username="xincun_secretary", display_name="舒俊")
    login(secretary)
    page.goto(f"{live_server.url}/v/xincun/households/")
    page.get_by_role("link", name="从 Excel 导入户籍花名册").click()
    page.set_input_files("input[name=sheet]", str(_with_a_bad_relation(tmp_path / "bad.xlsx")))
    _fits(page)
    page.locator("form.op-form button[type=submit]").click()
    expect(page.locator(".op-warn")).to_contain_text("不会导入任何内容")
    expect(page.locator("tr.op-bad").first).to_contain_text("3")
    expect(page.locator("tr.op-bad").first).to_contain_text("与户主关系")
    expect(page.locator("tr.op-bad").first).to_contain_text("舅舅")
    expect(page.locator("form.op-form")).to_have_count(0)  # nothing to confirm
    _fits(page)
    shot(page, "register-import-errors")
    assert not Household.objects.filter(village=village, house_number="001").exists()

    page.get_by_role("link", name="重新上传").click()
    page.set_input_files("input[name=sheet]", str(SAMPLE))
    page.locator("form.op-form button[type=submit]").click()
    expect(page.locator(".op-ok")).to_contain_text("15")
    expect(page.get_by_text("新增 4 户")).to_be_visible()
    _fits(page)
    shot(page, "register-import-preview")
    page.locator("form.op-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("花名册已导入")
    assert Resident.objects.filter(village=village, registered=True).count() == 16  # + secretary
    assert Household.objects.get(village=village, house_number="003").head.name == "王建华"
