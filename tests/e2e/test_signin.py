"""Signing in on a 360 px phone: the number first, the code from the SMS, and the landing."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, member
from villageaffairs.models import Role
from villageaffairs.sms import LogBackend


def _shot(page, name):
    shot(page, name)


def _code_for(phone):
    for sent in reversed(LogBackend.outbox):
        if sent.phone == phone and sent.template == "login_code":
            return sent.params["code"]
    raise AssertionError(f"no SMS to {phone}")


def test_villager_signs_in_by_phone_and_lands_on_the_household_page(live_server, page):
    village = VillageFactory(name="友谊村", slug="youyi")
    household = HouseholdFactory(village=village, name="谢启富")
    ResidentFactory(
        household=household,
        village=village,
        name="谢启富",
        phone="+8613800000011",
        phone_owner=True,
    )
    LogBackend.outbox.clear()

    page.goto(live_server.url + "/accounts/login/")
    phone = page.get_by_label("手机号")
    expect(phone).to_be_visible()
    expect(phone).to_have_attribute("inputmode", "tel")
    expect(page.get_by_label("密码")).to_have_count(0)
    _shot(page, "signin-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    phone.fill("138 0000 0011")
    page.get_by_role("button", name="发送验证码").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/code/confirm/"))
    expect(page.get_by_text("+86138****0011")).to_be_visible()
    code = page.get_by_label("验证码")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    # The resend button waits out its minute (the countdown needs JavaScript, the form not).
    expect(page.locator(".resend button")).to_be_disabled()
    expect(page.locator(".resend button")).to_contain_text("秒后可重新发送")
    _shot(page, "signin-code")
    code.fill(_code_for("+8613800000011"))
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(live_server.url + "/v/youyi/me/")
    expect(page.locator(".messages")).to_have_count(0)
    _shot(page, "signin-landed-villager")


def test_cadre_signs_in_with_password_and_lands_on_the_work_page(live_server, page):
    village = VillageFactory(name="友谊村", slug="youyi")
    member(village, Role.SECRETARY, username="shujun", display_name="舒俊")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name=re.compile("用密码登录")).click()
    page.get_by_label("用户名").fill("shujun")
    page.get_by_label("密码").fill("pw")
    _shot(page, "signin-password")
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(live_server.url + "/v/youyi/work/")
    expect(page.get_by_role("heading", name="等您处理的工作")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _shot(page, "cadre-work")
