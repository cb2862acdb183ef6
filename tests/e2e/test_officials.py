"""Issue 14 at a phone's size: the town official opens their page, reads Youyi's work page
read only, invites a cadre by number; the cadre signs in by SMS code and lands on the work page.
Pictures of each step go to test-artifacts/screens/."""

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.factories import RegionFactory, UserFactory, VillageFactory, pending_join_request
from villageaffairs.models import CadreInvitation, Region, RegionOfficial, Role


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_official_invites_a_cadre_who_signs_in_by_sms(live_server, page, login):
    from villageaffairs.sms import LogBackend

    county = RegionFactory(name="广汉市", name_en="Guanghan", level=Region.Level.COUNTY)
    town = RegionFactory(name="三水镇", name_en="Sanshui Town", parent=county)
    village = VillageFactory(name="友谊村", slug="youyi", region=town)
    VillageFactory(name="南丰村", slug="nanfeng", region=town)
    pending_join_request(village)
    official = UserFactory(username="sanshui", display_name="张镇长")
    RegionOfficial.objects.create(user=official, region=town, title="镇长")
    login(official)

    page.goto(live_server.url + "/officials/")
    expect(page.get_by_role("heading", name="我的辖区")).to_be_visible()
    expect(page.locator(".official-villages")).to_contain_text("友谊村")
    shot(page, "officials-1-home")
    _fits(page)

    page.locator(".official-village", has_text="友谊村").get_by_role("link", name="待办").click()
    expect(page.locator(".read-only-note")).to_be_visible()
    expect(page.locator(".join-pending")).to_be_visible()
    assert page.locator(".join-pending form").count() == 0
    shot(page, "officials-2-work-read-only")
    _fits(page)

    page.get_by_role("link", name="邀请村干部").click()
    page.get_by_label("手机号码").fill("12345")
    page.get_by_role("button", name="邀请").click()
    expect(page.get_by_role("alert")).to_be_visible()
    shot(page, "officials-3-invite-error")
    _fits(page)
    assert not CadreInvitation.objects.exists()
    page.get_by_label("手机号码").fill("138 0000 0053")
    page.get_by_label("职务").select_option(Role.SECRETARY)
    page.get_by_role("button", name="邀请").click()
    expect(page.locator(".invitation")).to_contain_text("+8613800000053")
    shot(page, "officials-4-invited")
    _fits(page)

    # The invited number signs in by SMS code and lands on the work page as the secretary.
    page.context.clear_cookies()
    LogBackend.outbox.clear()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号").fill("13800000053")
    page.get_by_role("button", name="发送验证码").click()
    sent = [s for s in LogBackend.outbox if s.template == "login_code"]
    page.get_by_label("验证码").fill(sent[-1].params["code"])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.url + "/v/youyi/work/")
    expect(page.locator(".join-pending form").first).to_be_visible()
    shot(page, "officials-5-cadre-lands")
    _fits(page)
    cadre = get_user_model().objects.get(phone="+8613800000053")
    assert cadre.village_roles.filter(village=village, role=Role.SECRETARY).exists()
