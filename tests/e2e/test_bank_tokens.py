"""A branch manager on a phone makes a token for the credit system, sees it once, and the
household then sees the system's lookup on its credit page."""

import re

from django.test import Client
from playwright.sync_api import expect

from loans.models import BankToken
from tests.e2e.conftest import shot
from tests.factories import VillageFactory, member
from tests.loans.conftest import give_points
from tests.loans.factories import BranchFactory, consent_for, officer, policy
from villageaffairs.models import Role


def test_manager_makes_a_token_and_the_household_sees_the_systems_lookup(live_server, page, login):
    youyi = VillageFactory(name="友谊村", name_en="Youyi Village", slug="youyi")
    branch = BranchFactory(name="三水支行", villages=[youyi])
    policy(branch)
    cadre = member(youyi, Role.SECRETARY, username="shujun")
    wen = member(youyi, username="wenpeili", display_name="文培力")
    household = wen.resident.household
    give_points(household, 583, actor=cadre)
    consent_for(branch, household)
    login(officer(branch, role="manager", username="sanshui_manager"))

    page.goto(f"{live_server.url}/bank/{branch.pk}/tokens/")
    page.get_by_label("系统").fill("信贷系统")
    page.get_by_role("button", name="创建令牌").click()
    token = page.locator(".token-once code").inner_text()
    assert re.fullmatch(r"va_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    expect(page.get_by_text("只显示这一次", exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "bank-tokens-created")
    assert BankToken.objects.get().digest != token

    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_OFFICER_ID="GH-0071")
    response = api.get(f"/api/v1/bank/households/{household.code}/credit/?purpose=application")
    assert response.json()["rate"] == "4.42"

    page.goto(f"{live_server.url}/bank/{branch.pk}/tokens/")  # the token is not shown again
    assert token not in page.content()

    login(wen)
    page.goto(f"{live_server.url}/v/youyi/credit/")
    expect(page.get_by_text(re.compile("查询方：三水支行 信贷系统"))).to_be_visible()
    expect(page.get_by_text(re.compile("GH-0071"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "bank-tokens-household-sees")
