import re

from playwright.sync_api import expect

from tests.factories import RegionFactory, VillageFactory


def test_phone_visitor_finds_youyi_and_reaches_its_home(live_server, page):
    town = RegionFactory(name="三水镇", name_en="Sanshui Town")
    VillageFactory(
        name="友谊村",
        name_en="Youyi Village",
        slug="youyi",
        region=town,
        region_path="四川省 Sichuan 三水镇 Sanshui Town",
    )
    VillageFactory(name="西前村", name_en="Xiqian Village", slug="xiqian")

    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="查找村庄")).to_be_visible()
    page.get_by_role("searchbox").fill("Youyi")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/villages/\?q=Youyi"))
    expect(page.get_by_text("西前村")).to_have_count(0)
    page.get_by_role("link", name=re.compile("友谊村")).click()
    expect(page).to_have_url(live_server.url + "/v/youyi/")
    expect(page.get_by_role("heading", name=re.compile("友谊村"))).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling on a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
