"""axe-core on the key pages at a phone's size, signed in and not: no serious or critical
violation, and no colour-contrast violation of any impact (WCAG AA for every visible button,
link and text). axe-core is vendored (tests/e2e/vendor/): nothing is downloaded at test time."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from points import services as points
from publicity import selectors
from talks import services as talks
from talks.models import Topic, Vote
from tests.e2e.conftest import shot
from tests.factories import HouseholdFactory, RegionFactory, VillageFactory, member
from tests.loans.factories import BranchFactory, officer, policy
from tests.points.factories import RuleFactory
from tests.publicity.factories import accountant, book, entry, finance_group, publish
from tests.talks.factories import topic_in
from villageaffairs.models import Role

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The site's Content-Security-Policy (script-src 'self') rightly refuses the injected
    # script; the browser is told to set it aside for this module only.
    return {**browser_context_args, "bypass_csp": True}


# Selectors left out of the check, each with its reason. Keep this empty if you can.
EXCLUDE: list[str] = []


def _scene():
    """Youyi with a ranking, a claim waiting for review, a topic under vote, a published month
    and an open one, a bank."""
    town = RegionFactory(name="三水镇", name_en="Sanshui Town")
    village = VillageFactory(
        name="友谊村", name_en="Youyi Village", slug="youyi", region=town, region_path="三水镇"
    )
    secretary = member(village, Role.SECRETARY, username="shujun", display_name="舒俊")
    villager = member(village, username="wenpeili", display_name="文培力")
    xie = HouseholdFactory(village=village, name="谢启富", house_number="017")
    for household, score in ((xie, 483), (villager.resident.household, 300)):
        points.award_direct(actor=None, household=household, points=score, reason="参加治安巡逻")
    points.rankings_recompute(village_id=village.pk)
    rule = RuleFactory(village=village, points=5, text="参加义务劳动")
    household = villager.resident.household
    points.claim_submit(actor=villager, household=household, rule=rule, note="清理了水渠")

    topic = topic_in(Topic.Status.DISCUSSING, village=village, author=villager, title="修水渠")
    talks.vote_open(
        actor=secretary,
        topic=topic,
        question="先用沙袋围住，同意吗？",
        closes_at=timezone.now() + timedelta(days=3),
        quorum=Vote.Quorum.NONE,
    )

    clerk = accountant(village, username="youyi_accountant", display_name="刘会计")
    checker = finance_group(village, username="checker", display_name="文培力")
    month = selectors.add_months(timezone.localdate().replace(day=1), -2)
    book(village, starts_on=month, opening=Decimal("186420.35"))
    entry(village, month + timedelta(days=2), "2400.00", counterparty="鱼塘承包户", user=clerk)
    entry(village, month + timedelta(days=5), "3200.00", "expense", category="management")
    publish(village, month, checker=checker, publisher=secretary)
    last = selectors.add_months(month, 1)  # recorded, not yet checked
    ditch = entry(village, last + timedelta(days=8), "36500.50", "expense", user=clerk)

    branch = BranchFactory(name="三水支行", villages=[village])
    policy(branch)
    bank = officer(branch, username="sanshui_officer", display_name="王信贷")
    return {
        "village": village,
        "secretary": secretary,
        "villager": villager,
        "officer": bank,
        "household": xie,
        "topic": topic,
        "month": f"{month:%Y-%m}",
        "clerk": clerk,
        "checker": checker,
        "last": f"{last:%Y-%m}",
        "entry": ditch,
    }


# (name, who signs in, path): twelve key pages, signed in and not.
PAGES = [
    ("directory", None, lambda s: "/"),
    ("signin", None, lambda s: "/accounts/login/"),
    ("village-home", None, lambda s: "/v/youyi/"),
    ("village-home-villager", "villager", lambda s: "/v/youyi/"),
    ("my-household", "villager", lambda s: "/v/youyi/me/"),
    ("ranking", "villager", lambda s: "/v/youyi/ranking/"),
    ("household", None, lambda s: f"/h/{s['household'].code}/"),
    ("claims", "villager", lambda s: "/v/youyi/claims/"),
    ("talks", "villager", lambda s: "/v/youyi/talks/"),
    ("topic-vote", "villager", lambda s: f"/v/youyi/talks/{s['topic'].pk}/"),
    ("topic-new", "villager", lambda s: "/v/youyi/talks/new/"),
    ("publicity", None, lambda s: "/v/youyi/open/"),
    ("publicity-month", None, lambda s: f"/v/youyi/open/finance/{s['month']}/"),
    ("bank-lookup", "officer", lambda s: "/bank/"),
    ("cadre-work", "secretary", lambda s: "/v/youyi/work/"),
    # The journeys' own pages: the cadre's forms, the accountant's, the finance group's.
    ("review", "secretary", lambda s: "/v/youyi/review/"),
    ("topic-cadre", "secretary", lambda s: f"/v/youyi/talks/{s['topic'].pk}/"),
    ("entry-edit", "clerk", lambda s: f"/v/youyi/open/finance/entries/{s['entry'].pk}/edit/"),
    ("month-send-back", "checker", lambda s: f"/v/youyi/open/finance/{s['last']}/"),
]


# A second check beside axe's, which leaves some elements undecided: every visible link and
# button, the rating stars (a graphic that carries meaning) and the chart's labels, their colour
# against the first opaque background behind them. AA: 4.5:1, or 3:1 for large text (24 px, or
# 18.66 px bold) and for the stars.
CONTRAST = """() => {
    const lum = (c) => {
        const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const alpha = (c) => { const p = c.match(/[\\d.]+/g); return p.length > 3 ? +p[3] : 1; };
    const behind = (el) => {
        for (let e = el; e; e = e.parentElement) {
            const bg = getComputedStyle(e).backgroundColor;
            if (alpha(bg) === 1) return bg;
        }
        return "rgb(255, 255, 255)";
    };
    const low = [];
    for (const el of document.querySelectorAll("a, button, .pts-stars, svg text")) {
        const box = el.getBoundingClientRect();
        if (!box.width || !box.height || !el.textContent.trim()) continue;
        const st = getComputedStyle(el);
        if (st.visibility === "hidden" || el.disabled) continue;
        const ink = el.matches("svg text") ? st.fill : st.color;
        const [a, b] = [lum(ink), lum(behind(el))];
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
        const large = size >= 24 || (bold && size >= 18.66) || el.matches(".pts-stars");
        if (ratio < (large ? 3 : 4.5)) {
            const what = `${ink} on ${behind(el)}: ${ratio.toFixed(2)}`;
            low.push(`${el.outerHTML.slice(0, 80)} ${what}`);
        }
    }
    return low;
}"""


def _report(violations) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}  {node.get('failureSummary', '')[:200]!r}")
    return "\n".join(lines)


@pytest.mark.parametrize("name,who,path", PAGES, ids=[p[0] for p in PAGES])
def test_the_page_has_no_serious_violation_and_enough_contrast(
    live_server, page, login, name, who, path
):
    scene = _scene()
    if who:
        login(scene[who])
    response = page.goto(live_server.url + path(scene))
    assert response.ok, response.status
    if who:  # signed in, not sent to the sign-in page
        assert "/accounts/login/" not in page.url, page.url
    expect(page.locator("h1").first).to_be_visible()
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """async (exclude) => {
            const context = exclude.length ? {include: [document], exclude} : document;
            const options = {runOnly: {type: "tag",
                values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}};
            return await axe.run(context, options);
        }""",
        EXCLUDE,
    )
    low_contrast = page.evaluate(CONTRAST)
    shot(page, f"a11y-{name}")
    violations = results["violations"]
    bad = [
        v
        for v in violations
        if v["impact"] in ("serious", "critical") or v["id"] == "color-contrast"
    ]
    unsure = [v for v in results["incomplete"] if v["id"] == "color-contrast"]
    print(f"{name}: {len(violations)} violation(s)\n{_report(violations)}")
    print(f"{name}: contrast not decided by axe:\n{_report(unsure)}")
    assert not bad, f"{name} ({path(scene)}):\n{_report(bad)}"
    assert not low_contrast, "\n".join(low_contrast)
