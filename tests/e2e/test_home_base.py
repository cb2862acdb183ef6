"""The villager's phone at 360 px: after signing in, My household is the home base, the claim
button is on the first screen, five tabs sit at the bottom, and nothing scrolls sideways."""

import os
import re

from playwright.sync_api import expect

from points import services
from tests.e2e.conftest import PHONE, SCREENS, shot
from tests.factories import HouseholdFactory, VillageFactory, member
from tests.points.factories import RuleFactory
from tests.talks.factories import TopicFactory
from villageaffairs.models import Household


def test_a_villager_lands_on_the_home_base_with_the_claim_button_on_the_first_screen(
    live_server, page, login
):
    village = VillageFactory(name="友谊村", name_en="Youyi Village", slug="youyi")
    xie = HouseholdFactory(village=village, name="谢启富", house_number="017")
    villager = member(village, household=xie, username="xie", display_name="谢启富")
    services.award_direct(actor=None, household=xie, points=483, reason="家庭成员应征入伍")
    HouseholdFactory(village=village, name="黄家")
    services.award_direct(
        actor=None,
        household=Household.objects.get(village=village, name="黄家"),
        points=583,
        reason="参加治安巡逻",
    )
    services.rankings_recompute(village_id=village.pk)
    rule = RuleFactory(village=village, points=8, text="帮助邻居收稻子")
    services.claim_submit(actor=villager, household=xie, rule=rule)
    TopicFactory(village=village, author=villager, title="村口水渠漏水")

    login(villager)
    page.goto(live_server.url + "/accounts/login/")  # signed in: sent to the landing
    expect(page).to_have_url(live_server.url + "/v/youyi/me/")
    expect(page.get_by_role("heading", name="我的家庭")).to_be_visible()
    expect(page.locator(".pts-score")).to_have_text("483")
    expect(page.locator(".pts-rank")).to_have_text("第 2 名")

    # The claim button is on the first screen, above the tabs, without scrolling.
    claim = page.get_by_role("link", name="申报积分").first
    expect(claim).to_be_visible()
    box = claim.bounding_box()
    tabs = page.locator("nav.tabs")
    tabs_box = tabs.bounding_box()
    assert box["height"] >= 44 and box["y"] + box["height"] <= tabs_box["y"]
    assert tabs_box["y"] + tabs_box["height"] <= PHONE["height"] + 1
    expect(page.get_by_role("link", name="说事").first).to_be_visible()

    # Five tabs of at least 44 px, the current one marked; one header row.
    links = tabs.get_by_role("link")
    expect(links).to_have_text(["首页", "积分", "说事", "公开", "我的"])
    for i in range(5):
        tab = links.nth(i).bounding_box()
        assert tab["height"] >= 44 and tab["width"] >= 44
    expect(tabs.locator('[aria-current="page"]')).to_have_text("我的")
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 64
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "me-home")
    page.screenshot(path=os.path.join(SCREENS, "me-home-first-screen.png"))  # what a phone shows

    # At the bottom of the page the tabs cover nothing: the sign-out button clears them.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    signout = page.get_by_role("button", name="退出登录").bounding_box()
    assert signout["y"] + signout["height"] <= tabs.bounding_box()["y"]

    # The tabs are plain links: the points tab leads to the ranking, and is marked there.
    links.nth(1).click()
    expect(page).to_have_url(re.compile(r"/v/youyi/ranking/$"))
    expect(page.locator('nav.tabs [aria-current="page"]')).to_have_text("积分")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "me-ranking")
