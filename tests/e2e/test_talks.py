"""At a phone's size: a villager raises a matter, the secretary replies and opens a vote, the
villager votes, the secretary closes the vote and marks the matter handled, the villager rates.
Selectors use form actions and field names, so the test holds in every language."""

import re

from playwright.sync_api import expect

from talks.models import Topic
from tests.factories import VillageFactory, member
from villageaffairs.models import Role


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_speak_reply_vote_close_rate_on_a_phone(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    villager = member(village, username="wenpeili", display_name="文培力")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")

    login(villager)
    page.goto(live_server.url + "/v/youyi/")
    page.locator("a[href='/v/youyi/talks/new/']").first.click()
    page.fill("input[name=title]", "三组水渠塌了")
    page.select_option("select[name=category]", "roads_water")
    page.fill("textarea[name=text]", "<b>水渠</b>塌了三米，水漫到路上了。")
    _fits(page)
    page.locator("form.tk-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/v/youyi/talks/\d+/$"))
    expect(page.locator("h1")).to_have_text("三组水渠塌了")
    expect(page.locator(".tk-text")).to_contain_text("<b>水渠</b>")  # shown escaped
    topic = Topic.objects.get(village=village)
    url = f"{live_server.url}/v/youyi/talks/{topic.pk}/"

    login(secretary)
    page.goto(url)
    page.fill("form[action$='/reply/'] textarea[name=text]", "收到，灌溉期结束后马上修。")
    page.locator("form[action$='/reply/'] button").click()
    expect(page.locator(".tk-reply")).to_contain_text("灌溉期结束后马上修")
    page.locator(f"a[href='/v/youyi/talks/{topic.pk}/votes/new/']").click()
    page.fill("input[name=question]", "先用沙袋围住，灌溉期后再修，同意吗？")
    page.select_option("select[name=quorum]", "none")
    _fits(page)
    page.locator("form.tk-form button[type=submit]").click()
    expect(page.locator(".tk-vote h3")).to_contain_text("沙袋")

    login(villager)
    page.goto(url)
    expect(page.locator("a.tk-inbox .tk-badge")).to_be_visible()  # the reply reached the inbox
    page.locator(".tk-ballot input[name=choice][value='0']").check()
    page.locator(".tk-ballot button").click()
    expect(page.locator(".tk-ballot")).to_have_count(0)
    _fits(page)

    login(secretary)
    page.goto(url)
    page.locator("form[action$='/close/'] button").click()
    expect(page.locator(".tk-result .tk-pass")).to_be_visible()
    page.select_option("select[name=action]", "handled")
    page.fill("form.tk-manage [name=reason]", "沙袋已围好，渠已修复。")
    page.check("form.tk-manage input[name=confirm]")
    page.locator("form.tk-manage button").click()
    expect(page.locator(".tk-steps li.done")).to_have_count(4)

    login(villager)
    page.goto(url)
    page.locator(".tk-rate input[name=stars][value='5']").check()
    page.fill(".tk-rate textarea[name=comment]", "回复很快。")
    page.locator(".tk-rate button").click()
    expect(page.locator(".tk-ratings")).to_contain_text("5.0 ★")
    _fits(page)
    topic.refresh_from_db()
    assert topic.status == Topic.Status.HANDLED and topic.rating_count == 1
    assert list(topic.events.values_list("kind", flat=True).order_by("pk"))[:3] == [
        "raised",
        "replied",
        "vote_opened",
    ]
