"""At a phone's size: a town official opens the list of matters escalated to the town, opens
one, and assigns it back to the village as a task; the villager answers "not fixed" later.
Selectors use form actions and field names, so the test holds in every language."""

import re

from playwright.sync_api import expect

from talks import escalation, services
from talks.models import Task, Topic
from tests.e2e.conftest import shot
from tests.factories import RegionFactory, VillageFactory, member
from tests.talks.escalation_helpers import asked, official_over, overdue
from tests.talks.factories import topic_in
from villageaffairs.models import Role

S = Topic.Status


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_official_assigns_an_escalated_matter_back_to_the_village(live_server, page, login):
    town = RegionFactory(name="三水镇", name_en="Sanshui Town")
    village = VillageFactory(name="友谊村", slug="youyi", region=town)
    villager = member(village, username="xieqifu", display_name="谢启富")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    official = official_over(village, username="sanshui", display_name="三水镇 李副镇长")
    topic = overdue(
        topic_in(S.RAISED, village=village, author=villager, title="二组垃圾池没人清运")
    )
    assert escalation.topics_escalate_due() == 1

    login(official)
    page.goto(live_server.url + "/talks/escalated/")
    _fits(page)
    shot(page, "escalated-list")
    page.locator(f"a[href='/v/youyi/talks/{topic.pk}/']").click()
    expect(page.locator(".tk-escalated")).to_contain_text("已上报三水镇")
    expect(page.locator("#official")).to_be_visible()
    _fits(page)
    shot(page, "escalated-topic-official")
    page.locator(f"a[href='/v/youyi/talks/{topic.pk}/official/task/']").click()
    page.fill("input[name=title]", "三天内清运二组垃圾池")
    page.locator(f"input[name=assignees][value='{secretary.pk}']").check()
    _fits(page)
    shot(page, "escalated-assign")
    page.locator("form.tk-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/v/youyi/talks/{topic.pk}/$"))
    expect(page.locator(".tk-task h3")).to_contain_text("三天内清运")
    task = Task.objects.get(topic=topic)
    assert task.created_by == official and task.assignments.get().user == secretary
    assert Topic.objects.get(pk=topic.pk).status == S.HANDLING

    # Later: handled, and the villager says it is not fixed, with a note.
    services.task_done(actor=secretary, task=task)
    services.topic_mark_handled(actor=secretary, topic=topic, note="已清运")
    question = asked(topic)
    login(villager)
    page.goto(f"{live_server.url}/v/youyi/talks/{topic.pk}/follow-up/{question.pk}/")
    _fits(page)
    shot(page, "follow-up-question")
    page.locator("input[name=fixed][value=no]").check()
    page.fill("textarea[name=note]", "只清了一半，还有很多。")
    page.locator("form.tk-answer button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/v/youyi/talks/{topic.pk}/$"))
    expect(page.locator(".tk-reopened")).to_be_visible()
    _fits(page)
    shot(page, "reopened-topic")
    assert Topic.objects.get(pk=topic.pk).reopened_count == 1


def test_the_official_goes_from_the_town_dashboard_to_an_escalated_matter(live_server, page, login):
    """Issue 14's walk at 360 px: the town dashboard, sorted by reply time, then an escalated
    matter, assigned back to the village."""
    import datetime

    from django.utils import timezone

    from villageaffairs import stats

    town = RegionFactory(name="三水镇", name_en="Sanshui Town", slug="sanshui-town")
    village = VillageFactory(name="友谊村", slug="youyi", region=town)
    quick = VillageFactory(name="新民村", slug="xinmin", region=town)
    villager = member(village, username="xieqifu", display_name="谢启富")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    official = official_over(village, username="sanshui", display_name="三水镇 李副镇长")
    raised = timezone.now().replace(day=1, hour=2)
    for place, hours in ((village, 30), (quick, 2)):
        Topic.objects.create(
            village=place,
            author=villager,
            title="水渠漏水",
            text="x",
            category="other",
            created_at=raised,
            first_reply_at=raised + datetime.timedelta(hours=hours),
        )
    topic = overdue(topic_in(S.RAISED, village=village, author=villager, title="二组垃圾池"))
    assert escalation.topics_escalate_due() == 1
    stats.backfill(timezone.localdate().replace(day=1), timezone.localdate())

    login(official)
    page.goto(live_server.url + "/r/sanshui-town/")
    page.locator("a[href*='sort=reply_median']").first.click()
    expect(page).to_have_url(re.compile(r"sort=reply_median"))
    expect(page.locator("table.dash-table tbody th")).to_have_text(["新民村", "友谊村"])
    _fits(page)
    shot(page, "official-dashboard-sorted")
    page.locator("a[href='/talks/escalated/']").click()
    page.locator(f"a[href='/v/youyi/talks/{topic.pk}/']").click()
    expect(page.locator(".tk-escalated")).to_contain_text("已上报三水镇")
    page.locator(f"a[href='/v/youyi/talks/{topic.pk}/official/task/']").click()
    page.fill("input[name=title]", "三天内清运二组垃圾池")
    page.locator(f"input[name=assignees][value='{secretary.pk}']").check()
    page.locator("form.tk-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/v/youyi/talks/{topic.pk}/$"))
    _fits(page)
    task = Task.objects.get(topic=topic)
    assert task.created_by == official and task.assignments.get().user == secretary
