import re

from playwright.sync_api import expect

from points import services
from tests.factories import HouseholdFactory, VillageFactory, member
from villageaffairs.models import Household


def test_scanning_a_courtyard_sign_shows_score_and_rank_on_a_phone(live_server, page, login):
    village = VillageFactory(name="友谊村", name_en="Youyi Village", slug="youyi")
    xie = HouseholdFactory(village=village, name="谢启富", house_number="017")
    for points in (583, 300, 100):
        HouseholdFactory(village=village)
        services.award_direct(
            actor=None,
            household=Household.objects.filter(village=village).order_by("-pk").first(),
            points=points,
            reason="参加治安巡逻",
        )
    services.award_direct(actor=None, household=xie, points=483, reason="家庭成员应征入伍")
    services.rankings_recompute(village_id=village.pk)

    # A phone camera opens the URL of the QR code.
    page.goto(f"{live_server.url}/h/{xie.code}/")
    expect(page.get_by_role("heading", name=re.compile("谢启富"))).to_be_visible()
    expect(page.locator(".pts-score")).to_have_text("483")
    expect(page.locator(".pts-rank")).to_have_text("第 2 名")
    expect(page.get_by_text("★★★★★")).to_be_visible()
    expect(page.get_by_text("家庭成员应征入伍")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # From the sign to the village ranking, with one's own household highlighted.
    villager = member(village, household=xie)
    login(villager)
    page.get_by_role("link", name="查看全村排名").click()
    expect(page).to_have_url(re.compile(r"/v/youyi/ranking/$"))
    mine = page.locator("tr.pts-mine")
    expect(mine).to_contain_text("017")
    expect(mine).to_contain_text("483")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
