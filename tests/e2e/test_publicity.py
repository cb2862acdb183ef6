"""At a phone's size: the accountant records an entry (a bad amount is refused and the input
kept), the finance group checks the month, the secretary publishes it, and a visitor opens the
month's statement and sees the chart. Selectors use form actions and field names."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from publicity import selectors
from publicity.models import FinanceEntry
from tests.e2e.conftest import shot
from tests.factories import VillageFactory, member
from tests.publicity.factories import accountant, book, entry, finance_group, publish
from villageaffairs.models import Role


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _shot(page, name):
    shot(page, name)


def test_record_check_publish_and_read_the_month_on_a_phone(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    clerk = accountant(village, username="youyi_accountant", display_name="刘会计")
    checker = finance_group(village, username="wenpeili", display_name="文培力")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    this_month = timezone.localdate().replace(day=1)
    last = selectors.add_months(this_month, -1)
    first = selectors.add_months(this_month, -4)
    book(village, starts_on=first, opening=Decimal("186420.35"))
    for i in range(3):  # three earlier months, published
        month = selectors.add_months(first, i)
        entry(
            village, month + timedelta(days=2), f"{2400 + i * 1000}.00", counterparty="鱼塘承包户"
        )
        entry(village, month + timedelta(days=5), "3200.00", "expense", category="management")
        publish(village, month, checker=checker, publisher=secretary)

    login(clerk)
    page.goto(f"{live_server.url}/v/youyi/open/finance/entries/new/")
    page.fill("input[name=date]", (last + timedelta(days=8)).isoformat())
    page.check("input[name=direction][value=expense]")
    page.select_option("select[name=category]", "public_works")
    page.fill("input[name=amount]", "36500.555")
    page.fill("input[name=counterparty]", "德阳市水利建筑队")
    _fits(page)
    page.locator("form.op-form button[type=submit]").click()
    expect(page.locator(".errorlist")).to_contain_text("两位小数")
    expect(page.locator("input[name=amount]")).to_have_value("36500.555")
    expect(page.locator("input[name=counterparty]")).to_have_value("德阳市水利建筑队")
    assert not FinanceEntry.objects.filter(counterparty="德阳市水利建筑队").exists()
    page.fill("input[name=amount]", "36500.50")
    page.locator("form.op-form button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    assert FinanceEntry.objects.get(counterparty="德阳市水利建筑队").amount == Decimal("36500.50")

    key = f"{last:%Y-%m}"
    month_url = f"{live_server.url}/v/youyi/open/finance/{key}/"
    login(secretary)
    page.goto(month_url)
    expect(page.locator(f"form[action$='/{key}/publish/'] button")).to_be_disabled()
    login(checker)
    page.goto(month_url)
    page.locator(f"form[action$='/{key}/check/'] button").click()
    login(secretary)
    page.goto(month_url)
    page.locator(f"form[action$='/{key}/publish/'] button").click()
    expect(page.locator(".op-ok")).to_be_visible()

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/v/youyi/open/")
    page.locator(f"a[href='/v/youyi/open/finance/{key}/']").first.click()
    expect(page).to_have_url(re.compile(rf"/open/finance/{key}/$"))
    expect(page.locator("h1")).to_contain_text(key)
    chart = page.locator("svg.op-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert 300 <= box["width"] <= 360 and box["height"] > 150  # fills the phone's width
    expect(page.locator("svg.op-chart rect.bar")).to_have_count(8)  # 4 months × income, expense
    tallest = page.locator(f"svg.op-chart rect.bar.expense[data-month='{key}']").bounding_box()
    assert tallest["height"] > 60  # the ditch repair stands out
    expect(page.locator(".op-entries")).to_contain_text("德阳市水利建筑队")
    expect(page.locator(f"a[href$='/{key}.csv']")).to_be_visible()
    _fits(page)


def test_the_finance_group_sends_a_month_back_and_the_accountant_sees_why(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    clerk = accountant(village, username="youyi_accountant", display_name="刘会计")
    checker = finance_group(village, username="wenpeili", display_name="文培力")
    last = selectors.add_months(timezone.localdate().replace(day=1), -1)
    book(village, starts_on=last, opening=Decimal("186420.35"))
    entry(village, last + timedelta(days=3), "2400.00", counterparty="鱼塘承包户", user=clerk)
    entry(village, last + timedelta(days=9), "36500.50", "expense", category="public_works")
    from publicity import services

    services.month_check(actor=checker, village=village, month=last)
    note = "3 号凭证的金额与发票不符，请核对后改正。"
    month_url = f"{live_server.url}/v/youyi/open/finance/{last:%Y-%m}/"

    login(checker)
    page.goto(month_url)
    form = page.locator("#send-back-form")
    form.locator("textarea[name=note]").fill(note)
    form.scroll_into_view_if_needed()
    _fits(page)
    _shot(page, "finance-send-back-form")
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("退回给会计")
    expect(page.locator("#sent-back")).to_contain_text(note)
    _shot(page, "finance-sent-back-checker")

    login(clerk)
    page.goto(f"{live_server.url}/v/youyi/open/")
    expect(page.get_by_text(note)).to_be_visible()
    _fits(page)
    _shot(page, "finance-sent-back-index")
    page.get_by_role("link", name="去改正该月账目").click()
    expect(page.locator("#sent-back")).to_contain_text(note)
    expect(page.get_by_role("link", name="修改").first).to_be_visible()
    _fits(page)
    _shot(page, "finance-sent-back-month")
