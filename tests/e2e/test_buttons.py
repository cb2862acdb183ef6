"""At a phone's size, as Chromium draws them: every button on the villager's and the cadres'
pages can be read (AA contrast against what is really behind it), is a 44 px target, and radios
and checkboxes sit on the line of their labels.
A picture of each page is kept in test-artifacts/screens/."""

from datetime import date

from django.urls import reverse
from playwright.sync_api import expect

from points import services as points
from talks import services as talks
from talks.models import Topic
from tests.e2e.conftest import shot
from tests.factories import HouseholdFactory, VillageFactory, member
from tests.points.factories import RuleFactory
from tests.publicity.factories import accountant, book, entry
from tests.talks.factories import topic_in
from villageaffairs.models import Role

# For every visible button (and button-looking link): its text colour against the first
# opaque background behind it, and its size; for every radio and checkbox in a label: how far
# its middle is from the middle of the label's text.
MEASURE = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const buttons = [...document.querySelectorAll("button, a.button")].filter(seen).map(el => {
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(behind(el));
    const r = el.getBoundingClientRect();
    return {text: el.textContent.trim(), cls: el.className, disabled: el.disabled === true,
            contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
            height: r.height, width: r.width};
  });
  const inputs = "label input[type=radio], label input[type=checkbox]";
  const boxes = [...document.querySelectorAll(inputs)].filter(seen).map(input => {
    const label = input.closest("label"), range = document.createRange();
    const text = [...label.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
    range.selectNodeContents(text);
    const t = range.getBoundingClientRect(), i = input.getBoundingClientRect();
    const offset = Math.abs((t.top + t.bottom) / 2 - (i.top + i.bottom) / 2);
    return {label: label.textContent.trim(), offset, left: i.right <= t.left,
            height: label.getBoundingClientRect().height};
  });
  return {buttons, boxes, width: document.documentElement.scrollWidth};
}"""


def _check(page, name, *, expect_buttons=()):
    shot(page, name)
    found = page.evaluate(MEASURE)
    assert found["width"] <= 360, name
    texts = [b["text"] for b in found["buttons"]]
    for wanted in expect_buttons:
        assert wanted in texts, f"{name}: no button {wanted!r} in {texts}"
    for b in found["buttons"]:
        if not b["disabled"]:
            assert b["contrast"] >= 4.5, f"{name}: {b['text']!r} ({b['cls']}) {b['contrast']:.2f}"
        assert b["height"] >= 44 and b["width"] >= 44, f"{name}: {b['text']!r} is {b}"
    for box in found["boxes"]:
        assert box["left"] and box["offset"] <= 3, f"{name}: {box['label']!r} {box}"
        assert box["height"] >= 44, f"{name}: {box['label']!r} {box}"
    return found


def test_the_villagers_small_actions_can_be_seen(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    villager = member(village, username="wenpeili", display_name="文培力")
    neighbour = member(village, username="xieqifu", display_name="谢启富")
    household = villager.resident.household
    rule = RuleFactory(village=village, text="扫雪", points=5)
    points.claim_submit(actor=villager, household=household, rule=rule, note="门前扫雪")

    login(villager)
    page.goto(live_server.url + reverse("points:claims", args=["youyi"]))
    _check(page, "claims-withdraw", expect_buttons=["撤回"])
    # A villager signs out from their home base (the phone header keeps only the inbox).
    page.goto(live_server.url + reverse("my_household", args=["youyi"]))
    _check(page, "me-home-buttons", expect_buttons=["申报积分", "说事", "退出登录"])

    topic = talks.topic_raise(
        actor=villager,
        village=village,
        title="三组水渠塌了",
        text="塌了三米。",
        category="roads_water",
    )
    talks.comment_post(actor=neighbour, topic=topic, text="我家门口也漫水了。")
    page.goto(live_server.url + topic.get_absolute_url())
    _check(page, "talks-detail", expect_buttons=["支持", "举报", "撤回我的事项"])

    page.goto(live_server.url + reverse("talks:list", args=["youyi"]))
    found = _check(page, "talks-list")
    assert len(found["boxes"]) == 1  # only mine

    handled = topic_in(Topic.Status.HANDLED, village=village, author=villager, title="路灯修好了")
    page.goto(live_server.url + handled.get_absolute_url())
    found = _check(page, "talks-rate")
    assert len([b for b in found["boxes"] if "★" in b["label"]]) == 5


def test_the_cadres_forms_line_up(live_server, page, login):
    village = VillageFactory(name="友谊村", slug="youyi")
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    clerk = accountant(village, username="youyi_accountant", display_name="刘会计")
    villager = member(village, username="wenpeili", display_name="文培力")
    rule = RuleFactory(village=village, text="扫雪", points=5)
    points.claim_submit(
        actor=villager, household=villager.resident.household, rule=rule, note="门前扫雪"
    )
    posted = points.award_direct(
        actor=secretary, household=HouseholdFactory(village=village), points=-5, reason="乱堆柴草"
    )
    points.objection_raise(actor=villager, entry=posted, text="柴草是邻居家的。")

    login(secretary)
    raised = topic_in(Topic.Status.HANDLING, village=village, author=villager)
    page.goto(live_server.url + reverse("talks:task_new", args=["youyi", raised.pk]))
    found = _check(page, "talks-task-new", expect_buttons=["交办"])
    assert found["boxes"]  # the cadres to assign
    page.goto(live_server.url + reverse("points:review", args=["youyi"]))
    found = _check(page, "points-review", expect_buttons=["通过", "驳回"])
    assert len(found["boxes"]) >= 2  # uphold / dismiss

    book(village, starts_on=date(2026, 1, 1))
    kept = entry(village, date(2026, 11, 29), "1250.50", user=clerk)
    login(clerk)
    page.goto(live_server.url + reverse("publicity:entry_edit", args=["youyi", kept.pk]))
    expect(page.locator("input[name=date]")).to_have_value("2026-11-29")
    found = _check(page, "entry-edit", expect_buttons=["保存"])
    assert len([b for b in found["boxes"] if b["label"] in ("收入", "支出")]) == 2
    delete = page.locator("form[action$='/delete/'] button")
    expect(delete).to_be_visible()
