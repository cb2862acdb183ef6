"""A loan officer on a phone looks up Wen Peili's household and sees the reported 4.42%."""

import re

from playwright.sync_api import expect

from loans.models import Lookup
from tests.e2e.conftest import shot
from tests.factories import VillageFactory, member
from tests.loans.conftest import give_points
from tests.loans.factories import BranchFactory, consent_for, officer, policy
from villageaffairs.models import Role


def test_officer_looks_up_wen_peili_and_sees_4_42_percent(live_server, page, login):
    youyi = VillageFactory(name="友谊村", name_en="Youyi Village", slug="youyi")
    branch = BranchFactory(name="三水支行", villages=[youyi])
    policy(branch)
    cadre = member(youyi, Role.SECRETARY, username="shujun")
    wen = member(youyi, username="wenpeili", display_name="文培力")
    household = wen.resident.household
    give_points(household, 583, actor=cadre)
    consent_for(branch, household)
    login(officer(branch, username="sanshui_officer", display_name="王信贷"))

    page.goto(live_server.url + "/bank/")
    page.get_by_role("searchbox").fill("文培力")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=re.compile("文培力")).click()
    expect(page.get_by_text("4.42%").first).to_be_visible()
    expect(page.get_by_text("5.00% − 583 × 0.10 / 100 = 4.42%")).to_be_visible()
    expect(page.get_by_text("300,000").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert Lookup.objects.filter(household=household).count() == 1

    # The household sees the look on its own page.
    login(wen)
    page.goto(f"{live_server.url}/v/youyi/credit/")
    expect(page.get_by_text(re.compile("王信贷"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_households_found_are_on_the_first_screen(live_server, page, login):
    youyi = VillageFactory(name="友谊村", name_en="Youyi Village", slug="youyi")
    branch = BranchFactory(name="三水支行", villages=[youyi])
    policy(branch)
    for name in ("文培力", "文德富", "文秀英"):
        member(youyi, display_name=name)
    login(officer(branch, username="sanshui_officer", display_name="王信贷"))

    page.goto(live_server.url + "/bank/")
    page.get_by_role("searchbox").fill("文")
    page.get_by_role("button", name="查询").click()
    found = page.locator("#results .cards a").first
    expect(found).to_be_in_viewport()
    box = found.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "bank-lookup-results")
