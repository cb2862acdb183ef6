"""Issue 12's journeys at a phone's size, each ending in what the person sees, with a picture of
each step in test-artifacts/screens/: the cadre approves a claim and answers a matter, the
accountant corrects an entry and its date is kept, the finance group sends a month back and
the accountant reads why. Selectors use form actions and field names."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from points import services as points
from points.models import Claim, LedgerEntry
from publicity import selectors
from talks.models import Topic
from tests.e2e.conftest import shot
from tests.factories import VillageFactory, member
from tests.points.factories import RuleFactory
from tests.publicity.factories import accountant, book, entry, finance_group
from tests.talks.factories import topic_in
from villageaffairs.models import Role


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_cadre_approves_a_claim_and_answers_a_matter_officially(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    villager = member(village, username="xieqifu", display_name="谢启富")
    household = villager.resident.household
    rule = RuleFactory(village=village, points=5, text="参加义务劳动")
    points.claim_submit(actor=villager, household=household, rule=rule, note="清理了三组的水渠")
    topic = topic_in(Topic.Status.RAISED, village=village, author=villager, title="三组水渠塌了")

    login(secretary)
    page.goto(f"{live_server.url}/v/youyi/work/")
    expect(page.locator("ul.work a[href='/v/youyi/review/'] .work-count")).to_have_text("1")
    _fits(page)
    shot(page, "journey-cadre-1-work")
    page.locator("ul.work a[href='/v/youyi/review/']").click()
    expect(page.get_by_text("清理了三组的水渠")).to_be_visible()
    _fits(page)
    shot(page, "journey-cadre-2-review")
    page.locator("button[name=decision][value=approve]").click()
    expect(page.locator(".messages")).to_contain_text("参加义务劳动")
    expect(page.locator("button[name=decision][value=approve]")).to_have_count(0)
    _fits(page)
    shot(page, "journey-cadre-3-approved")
    assert Claim.objects.get().state == Claim.State.APPROVED
    assert LedgerEntry.objects.get(household=household).points == 5

    page.goto(f"{live_server.url}/v/youyi/talks/{topic.pk}/")
    reply = page.locator("form[action$='/reply/']")
    reply.locator("textarea[name=text]").fill("收到，灌溉期结束后马上修。")
    reply.scroll_into_view_if_needed()
    _fits(page)
    shot(page, "journey-cadre-4-reply-form")
    reply.locator("button").click()
    expect(page.locator(".tk-reply")).to_contain_text("灌溉期结束后马上修")
    expect(page.locator(".tk-reply")).to_contain_text("舒俊")
    _fits(page)
    shot(page, "journey-cadre-5-replied")

    # The household sees both: the points on its own page, the answer under its matter.
    login(villager)
    page.goto(f"{live_server.url}/h/{household.code}/")
    expect(page.locator(".pts-score")).to_have_text("5")
    expect(page.get_by_text("参加义务劳动")).to_be_visible()
    page.goto(f"{live_server.url}/v/youyi/talks/{topic.pk}/")
    expect(page.locator(".tk-reply")).to_contain_text("灌溉期结束后马上修")
    shot(page, "journey-cadre-6-villager-sees-reply")


def test_the_accountant_changes_an_entry_and_its_date_is_kept(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    clerk = accountant(village, username="youyi_accountant", display_name="刘会计")
    last = selectors.add_months(timezone.localdate().replace(day=1), -1)
    book(village, starts_on=last, opening=Decimal("186420.35"))
    day = last + timedelta(days=8)
    ditch = entry(village, day, "36500.00", "expense", counterparty="德阳市水利建筑队", user=clerk)

    login(clerk)
    page.goto(f"{live_server.url}/v/youyi/open/finance/{last:%Y-%m}/")
    edit = page.locator(f"a[href='/v/youyi/open/finance/entries/{ditch.pk}/edit/']")
    expect(edit).to_be_visible()
    shot(page, "journey-accountant-1-month")
    edit.click()
    expect(page.locator("input[name=date]")).to_have_value(day.isoformat())
    expect(page.locator("input[name=amount]")).to_have_value(re.compile(r"^36,?500(\.00)?$"))
    page.fill("input[name=amount]", "36500.50")
    _fits(page)
    shot(page, "journey-accountant-2-edit")
    page.locator("form.op-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/open/finance/{last:%Y-%m}/#e{ditch.pk}$"))
    expect(page.locator(".op-entries")).to_contain_text("36,500.50")
    _fits(page)
    shot(page, "journey-accountant-3-changed")

    # Opened again: the date is still the entry's own, in ISO form, not today's or blank.
    page.goto(f"{live_server.url}/v/youyi/open/finance/entries/{ditch.pk}/edit/")
    page.reload()
    expect(page.locator("input[name=date]")).to_have_value(day.isoformat())
    expect(page.locator("input[name=amount]")).to_have_value(re.compile(r"^36,?500\.50$"))
    shot(page, "journey-accountant-4-reopened")
    ditch.refresh_from_db()
    assert (ditch.date, ditch.amount) == (day, Decimal("36500.50"))


def test_the_finance_group_sends_a_month_back_with_a_note(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    clerk = accountant(village, username="youyi_accountant", display_name="刘会计")
    checker = finance_group(village, username="wenpeili", display_name="文培力")
    last = selectors.add_months(timezone.localdate().replace(day=1), -1)
    book(village, starts_on=last, opening=Decimal("186420.35"))
    entry(village, last + timedelta(days=3), "2400.00", counterparty="鱼塘承包户", user=clerk)
    entry(village, last + timedelta(days=9), "36500.50", "expense", category="public_works")
    note = "3 号凭证的金额与发票不符，请核对后改正。"
    month_url = f"{live_server.url}/v/youyi/open/finance/{last:%Y-%m}/"

    login(checker)
    page.goto(month_url)
    form = page.locator("#send-back-form")
    form.locator("textarea[name=note]").fill(note)
    form.scroll_into_view_if_needed()
    _fits(page)
    shot(page, "journey-finance-1-send-back-form")
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("退回给会计")
    expect(page.locator("#sent-back")).to_contain_text(note)
    expect(page.locator("#sent-back")).to_contain_text("文培力")
    _fits(page)
    shot(page, "journey-finance-2-sent-back")

    login(clerk)
    page.goto(f"{live_server.url}/v/youyi/open/")
    expect(page.get_by_text(note)).to_be_visible()
    _fits(page)
    shot(page, "journey-finance-3-accountant-index")
    page.get_by_role("link", name="去改正该月账目").click()
    expect(page).to_have_url(re.compile(rf"/open/finance/{last:%Y-%m}/"))
    expect(page.locator("#sent-back")).to_contain_text(note)
    expect(page.get_by_role("link", name="修改").first).to_be_visible()
    _fits(page)
    shot(page, "journey-finance-4-accountant-month")


def test_the_villager_signs_in_claims_points_and_withdraws_the_claim(live_server, page):
    """By phone and SMS code, as a villager does: lands on My household, taps 申报积分, claims
    under a rule, sees the claim waiting for review, and withdraws it."""
    from tests.factories import HouseholdFactory, ResidentFactory
    from villageaffairs.sms import LogBackend

    village = VillageFactory(name="友谊村", slug="youyi")
    home = HouseholdFactory(village=village, name="谢启富", house_number="017")
    ResidentFactory(
        household=home, village=village, name="谢启富", phone="+8613800000011", phone_owner=True
    )
    RuleFactory(village=village, points=8, text="帮助邻居收稻子，不计报酬，邻居认可")
    RuleFactory(village=village, points=-5, text="垃圾不入桶")
    LogBackend.outbox.clear()

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("手机号").fill("13800000011")
    page.get_by_role("button", name="发送验证码").click()
    sent = [s for s in LogBackend.outbox if s.template == "login_code"]
    page.get_by_label("验证码").fill(sent[-1].params["code"])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(live_server.url + "/v/youyi/me/")
    expect(page.get_by_role("heading", name="我的家庭")).to_be_visible()
    shot(page, "journey-villager-1-home", full_page=False)

    page.get_by_role("link", name="申报积分").first.click()
    expect(page.get_by_role("heading", name="申报积分")).to_be_visible()
    expect(page.locator(".pts-rules")).not_to_contain_text("垃圾不入桶")  # no deductions
    page.get_by_label(re.compile("帮助邻居收稻子")).check()
    page.get_by_label("事情经过").fill("帮三组王大爷收了两天稻子。")
    page.get_by_role("button", name="提交审核").click()
    claims = page.locator(".pts-entries")
    expect(claims).to_contain_text("帮助邻居收稻子")
    expect(claims).to_contain_text("待审核")
    shot(page, "journey-villager-2-claimed")
    _fits(page)

    claims.get_by_role("button", name="撤回").click()
    expect(page.locator(".pts-entries")).to_contain_text("已撤回")
    expect(page.locator(".pts-entries button")).to_have_count(0)
    shot(page, "journey-villager-3-withdrawn")
    _fits(page)
    claim = Claim.objects.get(household=home)
    assert claim.state == Claim.State.WITHDRAWN
    assert not LedgerEntry.objects.filter(household=home).exists()
