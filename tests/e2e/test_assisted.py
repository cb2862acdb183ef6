"""At a phone's size: the grid worker visits an elderly villager without a phone, finds her by
house number, raises her matter with a witness, and the topic page says who entered it for
whom; then prints the slip. Selectors use form actions and field names."""

import re

from playwright.sync_api import expect

from talks.models import Topic
from tests.e2e.conftest import shot
from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, member
from villageaffairs.models import Role


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_grid_worker_raises_a_matter_for_an_elderly_villager(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    worker = member(village, Role.GRID_WORKER, username="wanggrid", display_name="王网格")
    household = HouseholdFactory(village=village, house_number="088")
    elder = ResidentFactory(household=household, village=village, name="李桂兰")

    login(worker)
    page.goto(live_server.url + "/v/youyi/")
    page.locator("a[href='/v/youyi/assist/']").first.click()
    page.fill("input[name=q]", "88")
    page.locator("form.search button").click()
    page.locator(f"a[href='/v/youyi/assist/r/{elder.pk}/']").click()
    _fits(page)
    shot(page, "assisted-resident")
    page.locator(f"a[href='/v/youyi/assist/r/{elder.pk}/topic/']").click()
    page.fill("input[name=title]", "村口的路灯坏了")
    page.select_option("select[name=category]", "roads_water")
    page.fill("textarea[name=text]", "晚上出门看不见路。")
    page.fill("input[name=witness]", "邻居 张桂英")
    _fits(page)
    page.locator("form.tk-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/v/youyi/talks/\d+/$"))
    expect(page.locator(".on-behalf").first).to_contain_text("王网格")
    expect(page.locator(".on-behalf").first).to_contain_text("李桂兰")
    expect(page.locator(".on-behalf").first).to_contain_text("网格员")
    _fits(page)
    shot(page, "assisted-topic")

    topic = Topic.objects.get(village=village)
    assert topic.for_resident == elder and topic.entered_by == worker
    page.goto(f"{live_server.url}/v/youyi/assist/acts/{topic.assisted_act_id}/slip/")
    expect(page.locator("body")).to_contain_text("李桂兰")
    expect(page.locator("body")).to_contain_text("邻居 张桂英")
    _fits(page)
    shot(page, "assisted-slip")
