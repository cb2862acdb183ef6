"""At a phone's size: Xie Qifu casts a secret ballot, sees his receipt code once, and after the
close finds it on the receipts page; a code that does not exist is said plainly."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from talks import services
from talks.models import Entrustment, Topic, Vote
from tests.e2e.conftest import shot
from tests.factories import VillageFactory, member
from tests.talks.factories import topic_in
from villageaffairs.models import Resident, Role


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_secret_ballot_receipt_is_found_after_the_close(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    xie = member(village, username="xieqifu", display_name="谢启富")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    topic = topic_in(Topic.Status.DISCUSSING, village=village, author=xie)
    vote = services.vote_open(
        actor=secretary,
        topic=topic,
        question="新健身广场建在哪里？",
        options=["村委会旁", "小学后面", "河边"],
        closes_at=timezone.now() + timedelta(days=3),
        secret=True,
        quorum=Vote.Quorum.NONE,
    )

    login(xie)
    page.goto(f"{live_server.url}/v/youyi/talks/{topic.pk}/")
    page.locator(".tk-ballot input[name=choice][value='2']").check()
    page.locator(".tk-ballot button").click()
    code = page.locator("#receipt-code strong").inner_text().replace("-", "")
    assert len(code) == 8
    expect(page.locator("main")).not_to_contain_text("河边")
    _fits(page)

    services.vote_close(actor=secretary, vote=vote)
    receipts = f"{live_server.url}/v/youyi/talks/{topic.pk}/votes/{vote.pk}/receipts/"
    page.goto(receipts)
    expect(page.locator(".tk-codes")).to_contain_text(code)
    page.fill("input[name=code]", code.lower())
    page.locator("form.tk-form button").click()
    expect(page.locator("#check-result.tk-pass")).to_contain_text(code)
    _fits(page)
    page.goto(receipts + "?code=ZZZZZZZZ")
    expect(page.locator("#check-result.tk-fail")).to_contain_text("ZZZZZZZZ")
    _fits(page)


def test_xie_qifu_votes_for_himself_and_as_his_daughters_proxy(live_server, page, login):
    """Two ballots, two receipt codes (his own and the one entrusted by his daughter, working in
    Chengdu), each shown once; after the close both are found on the receipts page."""
    village = VillageFactory(name="友谊村", slug="youyi")
    xie = member(village, username="xieqifu", display_name="谢启富")
    home = Resident.objects.get(user=xie).household
    daughter = member(village, household=home, username="xiexiaomei", display_name="谢小梅")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    topic = topic_in(Topic.Status.DISCUSSING, village=village, author=secretary)
    vote = services.vote_open(
        actor=secretary,
        topic=topic,
        question="新健身广场建在哪里？",
        options=["村委会旁", "小学后面", "河边"],
        closes_at=timezone.now() + timedelta(days=3),
        secret=True,
        quorum=Vote.Quorum.NONE,
    )
    services.entrust(
        actor=daughter,
        vote=vote,
        proxy_resident_id=Resident.objects.get(user=xie).pk,
        relation=Entrustment.Relation.PARENT,
    )

    login(xie)
    detail = f"{live_server.url}/v/youyi/talks/{topic.pk}/"
    page.goto(detail)
    expect(page.locator(".tk-proxy legend")).to_contain_text("谢小梅")
    shot(page, "talks-vote-with-proxy")
    _fits(page)
    page.locator(".tk-ballot:not(.tk-proxy) input[name=choice][value='0']").check()
    page.locator(".tk-ballot:not(.tk-proxy) button").click()
    own = page.locator("#receipt-code strong").inner_text().replace("-", "")
    expect(page.locator("main")).not_to_contain_text("村委会旁")

    page.goto(detail)
    expect(page.locator(".tk-vote")).to_contain_text("您已投票")
    page.locator(".tk-proxy input[name=choice][value='2']").check()
    page.locator(".tk-proxy button").click()
    expect(page.locator("main")).to_contain_text("转交")
    entrusted = page.locator("#receipt-code strong").inner_text().replace("-", "")
    expect(page.locator("main")).not_to_contain_text("河边")
    shot(page, "talks-proxy-receipt")
    assert len(own) == len(entrusted) == 8 and own != entrusted
    page.goto(detail)
    assert page.locator(".tk-ballot").count() == 0

    services.vote_close(actor=secretary, vote=vote)
    receipts = f"{live_server.url}/v/youyi/talks/{topic.pk}/votes/{vote.pk}/receipts/"
    for code in (own, entrusted):
        page.goto(f"{receipts}?code={code}")
        expect(page.locator("#check-result.tk-pass")).to_contain_text(code)
    shot(page, "talks-receipts-check")
    _fits(page)
    vote.refresh_from_db()
    assert vote.counts == [1, 0, 1]


def test_a_villager_without_a_phone_votes_at_the_office(live_server, page, login):
    """The cadre confirms who she is and hands the device over; she chooses alone, sees her
    receipt code, and the cadre's next screen is the office page again."""
    from tests.factories import ResidentFactory

    village = VillageFactory(name="友谊村", slug="youyi")
    xie = member(village, username="xieqifu", display_name="谢启富")
    grandma = ResidentFactory(
        household=Resident.objects.get(user=xie).household, name="谢奶奶", year_of_birth=1942
    )
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    topic = topic_in(Topic.Status.DISCUSSING, village=village, author=secretary)
    vote = services.vote_open(
        actor=secretary,
        topic=topic,
        question="新健身广场建在哪里？",
        options=["村委会旁", "小学后面", "河边"],
        closes_at=timezone.now() + timedelta(days=3),
        secret=True,
        quorum=Vote.Quorum.NONE,
    )
    login(secretary)
    page.goto(f"{live_server.url}/v/youyi/talks/{topic.pk}/votes/{vote.pk}/office/")
    page.fill("input[name=person_0]", grandma.name)
    page.fill("input[name=helper_0]", "谢启富")
    page.check("input[name=identity]")
    shot(page, "talks-office")
    _fits(page)
    page.locator("form.tk-form button").click()
    expect(page.locator("h1")).to_contain_text("谢奶奶")
    shot(page, "talks-office-booth")
    _fits(page)
    page.locator(".tk-ballot input[name=choice][value='1']").check()
    page.locator(".tk-ballot button").click()
    code = page.locator("#receipt-code strong").inner_text().replace("-", "")
    assert len(code) == 8
    expect(page.locator("main")).not_to_contain_text("小学后面")
    page.get_by_role("link", name="交还设备：下一位选民").click()
    expect(page.locator("h1")).to_contain_text("到村委会投票")
