"""At a phone's size: the cadre's action on a matter and the points forms ask before they act,
and a refusal is seen at the top of the page.
A picture of each step is kept in test-artifacts/screens/."""

import re

from playwright.sync_api import expect

from points.models import Claim, LedgerEntry
from talks.models import Event, Topic
from tests.e2e.conftest import shot
from tests.factories import HouseholdFactory, VillageFactory, member
from tests.points.factories import RuleFactory
from tests.talks.factories import topic_in
from villageaffairs.models import Role

LONG = "积极参加村里组织的义务劳动、环境整治、垃圾分类和志愿服务活动，并有村民小组长签字证明"


def _shot(page, name, full_page=True):
    shot(page, name, full_page=full_page)


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_cadre_closes_a_matter_only_with_a_note_and_a_confirmation(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    author = member(village, username="wenpeili", display_name="文培力")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    topic = topic_in(Topic.Status.DISCUSSING, village=village, author=author, title="三组水渠塌了")
    login(secretary)
    page.goto(f"{live_server.url}/v/youyi/talks/{topic.pk}/")
    form = page.locator("form.tk-manage")
    expect(form.locator("select[name=action]")).to_have_value("")  # nothing chosen for them
    form.scroll_into_view_if_needed()
    _shot(page, "talks-manage-form", full_page=False)

    # Declined without a note: refused, announced at the top, what was chosen is kept.
    form.locator("select[name=action]").select_option("decline")
    form.locator("input[name=confirm]").check()
    form.locator("button[type=submit]").click()
    summary = page.locator("#error-summary[role=alert]")
    expect(summary).to_be_in_viewport()
    expect(page.locator("form.tk-manage select[name=action]")).to_have_value("decline")
    _fits(page)
    _shot(page, "talks-manage-refused-top", full_page=False)
    summary.locator("a").first.click()
    expect(page.locator("form.tk-manage [name=reason]")).to_be_in_viewport()
    _shot(page, "talks-manage-refused-field", full_page=False)
    assert Topic.objects.get(pk=topic.pk).status == Topic.Status.DISCUSSING
    assert not Event.objects.filter(topic=topic).exists()

    page.fill("form.tk-manage [name=reason]", "不属于村委会职责，已转交镇水利站。")
    page.locator("form.tk-manage input[name=confirm]").check()
    page.locator("form.tk-manage button[type=submit]").click()
    expect(page.locator(".tk-reason")).to_contain_text("已转交镇水利站")
    assert Topic.objects.get(pk=topic.pk).status == Topic.Status.DECLINED


def test_a_villager_claims_an_award_rule_read_in_full(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    RuleFactory(village=village, points=5, text=LONG)
    RuleFactory(village=village, points=8, text="帮助邻居")
    RuleFactory(village=village, points=-10, text="乱倒垃圾")
    villager = member(village, username="xieqifu", display_name="谢启富")
    login(villager)
    page.goto(f"{live_server.url}/v/youyi/claims/")
    expect(page.get_by_text(LONG)).to_be_visible()
    expect(page.get_by_text("乱倒垃圾")).to_have_count(0)
    expect(page.locator("input[name=rule]:checked")).to_have_count(0)
    _fits(page)
    _shot(page, "points-claim-form")

    # Sent without a rule (the browser's own check set aside): refused at the top.
    page.evaluate("document.querySelector('form.pts-form').noValidate = true")
    page.fill("textarea[name=note]", "清理了三组的水渠")
    page.locator("form.pts-form button[type=submit]").click()
    expect(page.locator("#error-summary[role=alert]")).to_be_in_viewport()
    expect(page.locator("textarea[name=note]")).to_have_value("清理了三组的水渠")
    _shot(page, "points-claim-refused", full_page=False)
    assert not Claim.objects.exists()

    page.get_by_text(LONG).click()  # the label chooses the rule
    page.locator("form.pts-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/v/youyi/claims/$"))
    assert Claim.objects.get().points == 5


def test_a_deduction_waits_for_the_household_to_be_confirmed(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    household = HouseholdFactory(village=village, house_number="017", name="谢启富")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    login(secretary)
    page.goto(f"{live_server.url}/v/youyi/award/")
    page.fill("input[name=house_number]", "017")
    page.fill("input[name=points]", "-5")
    page.fill("input[name=reason]", "垃圾未入桶")
    page.locator("form.pts-form button[type=submit]").click()
    expect(page.locator("fieldset legend")).to_be_visible()
    expect(page.locator("fieldset")).to_contain_text("谢启富")
    expect(page.locator("fieldset")).to_contain_text("017")
    _fits(page)
    _shot(page, "points-deduction-confirm")
    assert not LedgerEntry.objects.exists()

    page.locator("input[name=confirm]").check()
    page.locator("form.pts-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("谢启富")
    entry = LedgerEntry.objects.get()
    assert (entry.household, entry.points) == (household, -5)
