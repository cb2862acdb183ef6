"""Issue 13's join request at a phone's size: a mobile number that is on no register signs in by
SMS code, asks to join Youyi as 谢明华 of household 017 (on the register, no account, no phone),
the cadre confirms on the work page, and the new villager claims points. Pictures of each step
go to test-artifacts/screens/."""

import re

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from points.models import Claim
from tests.e2e.conftest import shot
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, member
from tests.points.factories import RuleFactory
from villageaffairs.demo import JOINABLE
from villageaffairs.models import JoinRequest, Role


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_unknown_number_asks_to_join_the_cadre_confirms_and_the_villager_claims(
    live_server, page, login
):
    from villageaffairs.sms import LogBackend

    house_number, name, born_on = JOINABLE[0]  # the demo's 谢明华 of 017
    village = VillageFactory(name="友谊村", slug="youyi")
    home = HouseholdFactory(village=village, name="谢启富", house_number=house_number)
    member(village, household=home, username="xieqifu", display_name="谢启富")
    son = ResidentFactory(household=home, village=village, name=name, born_on=born_on)
    cadre = member(village, Role.CADRE, username="shujun", display_name="舒俊")
    RuleFactory(village=village, points=8, text="帮助邻居收稻子，不计报酬，邻居认可")
    LogBackend.outbox.clear()

    # An unknown number signs in: no village role, offered to ask to join.
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号").fill("13900000001")
    page.get_by_role("button", name="发送验证码").click()
    sent = [s for s in LogBackend.outbox if s.template == "login_code"]
    page.get_by_label("验证码").fill(sent[-1].params["code"])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.url + "/")
    shot(page, "join-1-landing", full_page=False)
    page.get_by_role("link", name="申请加入您的村").click()

    page.get_by_label("您的村").fill("友谊")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=re.compile("友谊村")).click()
    expect(page.get_by_role("heading", name="申请加入友谊村")).to_be_visible()
    # Wrong details: one plain answer, nothing saved.
    page.get_by_label("门牌号").fill("17")
    page.get_by_label("您的姓名").fill("谢大华")
    page.get_by_label("出生日期").fill(born_on.isoformat())
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("alert")).to_contain_text("没有找到此人")
    shot(page, "join-2-not-found")
    _fits(page)
    assert not JoinRequest.objects.exists()

    page.get_by_label("您的姓名").fill(name)
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".join-request")).to_contain_text("等待确认")
    shot(page, "join-3-waiting")
    _fits(page)
    newcomer = get_user_model().objects.get(phone="+8613900000001")
    assert JoinRequest.objects.get(user=newcomer).resident == son

    # The cadre confirms on the work page.
    page.context.clear_cookies()
    login(cadre)
    page.goto(live_server.url + "/v/youyi/work/")
    pending = page.locator(".join-pending")
    expect(pending).to_contain_text(name)
    expect(pending).to_contain_text(born_on.isoformat())
    shot(page, "join-4-cadre")
    _fits(page)
    pending.get_by_role("button", name="确认").click()
    expect(page.locator(".messages")).to_contain_text("已与该账号关联")
    expect(page.locator(".join-pending")).to_have_count(0)
    son.refresh_from_db()
    assert son.user == newcomer

    # The villager now has a household and claims points.
    page.context.clear_cookies()
    login(newcomer)
    page.goto(live_server.url + "/join/")
    expect(page.locator(".join-request")).to_contain_text("已确认")
    page.get_by_role("link", name="进入我的家庭").click()
    expect(page.get_by_role("heading", name="我的家庭")).to_be_visible()
    shot(page, "join-5-my-household", full_page=False)
    page.get_by_role("link", name="申报积分").first.click()
    page.get_by_label(re.compile("帮助邻居收稻子")).check()
    page.get_by_label("事情经过").fill("帮三组王大爷收了两天稻子。")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".pts-entries")).to_contain_text("待审核")
    shot(page, "join-6-claimed")
    _fits(page)
    assert Claim.objects.get(household=home).state == Claim.State.SUBMITTED
