"""A visitor on a phone opens the town's dashboard, sorts by reply time and goes down to a
village's figures and its talks."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from talks.models import Topic
from tests.e2e.conftest import shot
from tests.factories import HouseholdFactory, RegionFactory, UserFactory, VillageFactory
from villageaffairs import stats


def test_town_dashboard_sorted_by_reply_time(live_server, page):
    town = RegionFactory(name="三水镇", name_en="Sanshui Town", slug="sanshui-town")
    author = UserFactory()
    today = timezone.localdate()
    raised = timezone.now().replace(day=1, hour=2)
    for name, slug, hours in (("友谊村", "youyi", 30), ("新民村", "xinmin", 2)):
        village = VillageFactory(name=name, slug=slug, region=town)
        HouseholdFactory(village=village)
        Topic.objects.create(
            village=village,
            author=author,
            title="水渠漏水",
            text="x",
            category="other",
            created_at=raised,
            first_reply_at=raised + datetime.timedelta(hours=hours),
        )
    stats.backfill(today.replace(day=1), today)

    page.goto(live_server.url + "/r/sanshui-town/")
    expect(page.get_by_role("heading", name=re.compile("三水镇"))).to_be_visible()
    expect(page.locator("svg.chart").first).to_be_visible()
    page.get_by_role("link", name="首次答复用时（中位数）").click()
    expect(page).to_have_url(re.compile(r"sort=reply_median"))
    rows = page.locator("table.dash-table tbody th")
    expect(rows).to_have_text(["新民村", "友谊村"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "region-dashboard")
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="新民村")).to_be_visible()
    shot(page, "region-village")
    page.get_by_role("link", name="2–4 小时").click()
    expect(page).to_have_url(live_server.url + "/v/xinmin/talks/")
