"""Demo data of the points app (called by ``manage.py seed_demo`` after the core). Idempotent.

Youyi Village as reported: Xie Qifu's household has 483 points and ranks 17th (a five-star
household); Wen Peili's household has 583 points. The demo people's households earned theirs
over the last twelve months in small entries under Youyi's rules (a monthly door-to-door score,
help to neighbours, patrols, an adopted suggestion, the odd deduction), each on its own day; the
other households carry their earlier points over from the paper ledger. Youyi's rules include
the six example rules of the glossary; claims exist in every state; the points supermarket has
goods on its shelves.
"""

import datetime
import io
import random
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from points import services
from points.models import Claim, Item, LedgerEntry, Objection, RankingSnapshot, Rule
from villageaffairs.images import clean_image
from villageaffairs.models import Household

C = Rule.Category
YOUYI_RULES = [
    # (category, text, points, evidence required, limit, period)
    (C.LAW, "家庭成员应征入伍", 100, True, 1, Rule.Period.EVER),
    (C.CIVILITY, "团结邻里、帮助他人，有证明材料", 8, True, None, Rule.Period.YEAR),
    (C.LAW, "打架斗殴", -50, False, None, Rule.Period.YEAR),
    (C.ECOLOGY, "生活垃圾未入桶", -5, False, None, Rule.Period.YEAR),
    (C.GOVERNANCE, "为村发展提出建议并被采纳", 20, False, None, Rule.Period.YEAR),
    (C.HONOURS, "子女考取重点本科", 50, True, 1, Rule.Period.EVER),
    (C.GOVERNANCE, "参加义务劳动", 5, False, 12, Rule.Period.MONTH),
    (C.GOVERNANCE, "参加治安巡逻", 10, False, None, Rule.Period.YEAR),
    (C.ECOLOGY, "焚烧秸秆", -5, False, None, Rule.Period.YEAR),
    (C.CIVILITY, "违反公序良俗", -20, False, None, Rule.Period.YEAR),
    (C.HONOURS, "获得国家级表彰", 50, True, None, Rule.Period.YEAR),
    (C.HONOURS, "获得省级表彰", 30, True, None, Rule.Period.YEAR),
    (C.ECOLOGY, "庭院整洁，评为美丽庭院", 10, True, 4, Rule.Period.YEAR),
    (C.INDUSTRY, "发展特色种养业，带动农户增收", 20, True, None, Rule.Period.YEAR),
]
XIQIAN_RULES = [
    (C.CIVILITY, "婚前不办酒席", 0, False, None, Rule.Period.YEAR),
    (C.CIVILITY, "红白喜事简办", 10, False, None, Rule.Period.YEAR),
    (C.ECOLOGY, "生活垃圾未入桶", -5, False, None, Rule.Period.YEAR),
]
ITEMS = [("牙膏", 10, 40), ("毛巾", 15, 30), ("洗衣粉", 30, 25), ("食用油 5 升", 50, 20)]
ITEMS += [("大米 10 斤", 60, 15), ("电饭煲", 300, 2)]
XIE_POINTS, XIE_RANK, WEN_POINTS = 483, 17, 583
# The households of the demo people in Youyi: a year of small entries each.
DEMO_PEOPLE = ("xieqifu", "wenpeili", "shujun", "youyi_accountant")
# The other households' points before the platform: one carried-over entry, then a few awards.
CARRIED_OVER = "2023—2025年纸质台账积分结转"
SHANGHAI = ZoneInfo("Asia/Shanghai")
HELPED = "团结邻里、帮助他人，有证明材料"
# (rule, share of a month's events, notes a cadre would write)
EVENTS = [
    (
        HELPED,
        4,
        [
            "帮邻居抢收稻谷",
            "送独居老人去镇卫生院看病",
            "帮邻居修补漏雨的屋顶",
            "雨天帮邻居抢收晾晒的玉米",
            "照看邻居家留守的孩子一周",
        ],
    ),
    ("参加治安巡逻", 3, ["夜间治安巡逻", "节假日值守村口", "巡查河堤和山塘"]),
    (
        "参加义务劳动",
        4,
        ["清理村内水渠", "村道两旁除草", "村道两旁补种绿化苗木", "清扫村文化广场", "疏通排水沟"],
    ),
    (
        "为村发展提出建议并被采纳",
        1,
        ["建议在村口加装路灯，两委会采纳", "建议鱼塘统一清淤，村民代表会采纳"],
    ),
]
COURTYARD = ("庭院整洁，评为美丽庭院", ["春季美丽庭院评比", "秋季美丽庭院评比"])
DEDUCTIONS = [("生活垃圾未入桶", "入户检查时垃圾未入桶"), ("焚烧秸秆", "田边焚烧秸秆")]


def _photo(color) -> list:
    out = io.BytesIO()
    Image.new("RGB", (480, 360), color).save(out, format="JPEG")
    return [clean_image(SimpleUploadedFile("evidence.jpg", out.getvalue()))]


def _rules(ctx, village, rules) -> dict[str, Rule]:
    found = {r.text: r for r in Rule.objects.filter(village=village)}
    for position, (category, text, points, evidence, limit, period) in enumerate(rules):
        if text not in found:
            found[text] = services.rule_create(
                actor=ctx.operator,
                village=village,
                category=category,
                text=text,
                points=points,
                evidence_required=evidence,
                limit_count=limit,
                limit_period=period,
                position=position,
                in_force_from=datetime.date(2023, 1, 1),
                note="村民代表大会表决通过",
            )
    return found


@contextmanager
def _on(at: datetime.datetime):
    """Demo only: write as if it were ``at``. The services stamp entries, year scores, posting
    periods, rule limits and the audit trail with ``timezone.now()``; a year of history goes
    through them unchanged, each entry on its own day, instead of being patched afterwards."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def _at(day: datetime.date, rng) -> datetime.datetime:
    clock = datetime.time(rng.randint(8, 18), rng.randint(0, 59))
    return datetime.datetime.combine(day, clock, tzinfo=SHANGHAI)


def _months(today: datetime.date) -> list[datetime.date]:
    """The first days of the last twelve months, this one included, oldest first."""
    first, months = today.replace(day=1), []
    for _ in range(12):
        months.insert(0, first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return months


def _scores(budget: int, count: int, rng) -> list[int]:
    """``count`` monthly door-to-door scores between 10 and 40 adding up to ``budget``."""
    scores = [budget // count + (1 if i < budget % count else 0) for i in range(count)]
    for _ in range(count * 3):  # some months are better than others
        a, b = rng.randrange(count), rng.randrange(count)
        step = rng.randint(1, 5)
        if a != b and scores[a] - step >= 10 and scores[b] + step <= 40:
            scores[a], scores[b] = scores[a] - step, scores[b] + step
    rng.shuffle(scores)
    return scores


def _year_plan(target, rules, rng, today) -> list[tuple]:
    """A believable year for a household: (when, points, note, rule), adding up to ``target``.

    Every month has one door-to-door score (on the 26th, 10 to 40 points) and one to four small
    events under the rules; a courtyard prize in spring and autumn; a deduction or two."""
    months = _months(today)
    yesterday = today - datetime.timedelta(days=1)
    events = []

    def day_in(month, lo=1, hi=28):
        last = min(hi, yesterday.day if month == today.replace(day=1) else hi)
        return None if last < lo else month.replace(day=rng.randint(lo, last))

    weights = [share for _, share, _ in EVENTS]
    for month in months:
        for _ in range(rng.randint(1, 4)):
            text, _share, notes = rng.choices(EVENTS, weights)[0]
            if (day := day_in(month)) is not None:
                events.append((day, rules[text].points, rng.choice(notes), rules[text]))
    for month_no, note in zip((4, 10), COURTYARD[1], strict=True):
        month = next((m for m in months if m.month == month_no), None)
        if month is not None and (day := day_in(month, 10, 20)) is not None:
            events.append((day, rules[COURTYARD[0]].points, note, rules[COURTYARD[0]]))
    for text, note in rng.sample(DEDUCTIONS, rng.randint(1, 2)):
        if (day := day_in(rng.choice(months[:-1]))) is not None:
            events.append((day, rules[text].points, note, rules[text]))
    scored = [m for m in months if day_in(m, 26, 26) is not None]
    # Keep the monthly scores between 10 and 40: drop or add small events until they fit.
    while target - sum(e[1] for e in events) < 12 * len(scored):
        positive = [e for e in events if e[1] > 0]
        if not positive:  # a target this small has no monthly score worth the name
            raise ValueError(f"A year of entries needs at least {12 * len(scored)} points.")
        events.remove(rng.choice(positive))
    while target - sum(e[1] for e in events) > 36 * len(scored):
        month = rng.choice(months[:-1])
        text, _share, notes = rng.choices(EVENTS, weights)[0]
        events.append((day_in(month), rules[text].points, rng.choice(notes), rules[text]))
    budget = target - sum(e[1] for e in events)
    for month, points in zip(scored, _scores(budget, len(scored), rng), strict=True):
        note = f"{month.month}月入户评分：庭院卫生、门前三包、邻里和睦"
        events.append((month.replace(day=26), points, note, None))
    return sorted(
        ((_at(day, rng), p, note, rule) for day, p, note, rule in events), key=lambda e: e[0]
    )


def _year_of_entries(cadre, household, target, rules, rng) -> None:
    """A demo person's household: its score built up over the last year, entry by entry."""
    for at, points, note, rule in _year_plan(target, rules, rng, timezone.localdate()):
        with _on(at):
            services.award_direct(
                actor=cadre, household=household, points=points, reason=note, rule=rule
            )


def _give(cadre, household, target, rules, rng) -> None:
    """Another household: what it had on the paper ledger, carried over when the platform
    started a year ago, then a few awards (and the odd deduction) under Youyi's rules during the
    year, adding up to exactly ``target``."""
    pool = [r for r in rules.values() if 0 < r.points <= 20]
    plan, total = [], 0
    if rng.random() < 0.15:
        plan.append((-5, "生活垃圾未入桶", rules["生活垃圾未入桶"]))
        total -= 5
    for _ in range(rng.randint(1, 3)):
        rule = rng.choice(pool)
        if total + rule.points <= target:
            plan.append((rule.points, rule.text, rule))
            total += rule.points
    months = _months(timezone.localdate())[:-1]
    started = _at(months[0] - datetime.timedelta(days=rng.randint(3, 9)), rng)
    if target - total:
        with _on(started):
            services.award_direct(
                actor=cadre, household=household, points=target - total, reason=CARRIED_OVER
            )
    for points, reason, rule in plan:
        day = rng.choice(months).replace(day=rng.randint(1, 28))
        with _on(_at(day, rng)):
            services.award_direct(
                actor=cadre, household=household, points=points, reason=reason, rule=rule
            )


def _claims(ctx, household, rules, cadre):
    villager = ctx.users["xieqifu"]
    helped = rules["团结邻里、帮助他人，有证明材料"]
    approved = services.claim_submit(
        actor=villager,
        household=household,
        rule=helped,
        note="帮邻居抢收稻谷",
        photos=_photo("#8a6"),
    )
    services.claim_approve(actor=cadre, claim=approved)
    rejected = services.claim_submit(
        actor=villager,
        household=household,
        rule=rules["获得省级表彰"],
        note="县里发的奖状",
        photos=_photo("#c33"),
    )
    services.claim_reject(actor=cadre, claim=rejected, reason="县级表彰不属于省级，请按县级申报")
    withdrawn = services.claim_submit(
        actor=villager, household=household, rule=rules["参加义务劳动"], note="清理水渠"
    )
    services.claim_withdraw(actor=villager, claim=withdrawn)
    services.claim_submit(
        actor=villager,
        household=household,
        rule=rules["庭院整洁，评为美丽庭院"],
        note="院子重新收拾了，种了花",
        photos=_photo("#6a8"),
    )
    services.claim_submit(
        actor=ctx.users["wenpeili"],
        household=ctx.households["wenpeili"],
        rule=rules["参加治安巡逻"],
        note="本周夜间巡逻两次",
    )
    return approved.points


def _youyi_ledger(ctx, village, rules):
    rng = random.Random(483)  # noqa: S311 - demo numbers
    cadre = ctx.users["shujun"]
    xie, wen = ctx.households["xieqifu"], ctx.households["wenpeili"]
    others = list(
        Household.objects.filter(village=village)
        .exclude(pk__in=[xie.pk, wen.pk])
        .order_by("house_number")
    )
    rng.shuffle(others)
    ahead = XIE_RANK - 2  # households above Xie Qifu besides Wen Peili
    targets = {h.pk: rng.randint(490, 575) for h in others[:ahead]}
    targets.update({h.pk: rng.randint(0, 470) for h in others[ahead:]})
    approved = _claims(ctx, xie, rules, cadre)
    _year_of_entries(cadre, xie, XIE_POINTS - approved, rules, rng)
    _year_of_entries(cadre, wen, WEN_POINTS, rules, rng)
    people = {ctx.households[name].pk for name in DEMO_PEOPLE}
    late = others[ahead : ahead + 12]  # awards after yesterday's ranking: arrows move
    for household in late:
        targets[household.pk] = max(targets[household.pk], 100)
    for household in others:
        late_points = 8 if household in late else 0
        target = targets[household.pk] - late_points
        if household.pk in people:  # enough for a monthly score every month
            _year_of_entries(cadre, household, max(target, 200), rules, rng)
        else:
            _give(cadre, household, target, rules, rng)
    services.rankings_recompute(village_id=village.pk)
    RankingSnapshot.objects.filter(village=village).update(
        computed_at=timezone.now() - datetime.timedelta(days=1)
    )
    for household in late:
        services.award_direct(
            actor=cadre,
            household=household,
            points=8,
            reason="团结邻里、帮助他人",
            rule=rules["团结邻里、帮助他人，有证明材料"],
        )
    # A public objection, still open, on a recent entry of another household.
    entry = LedgerEntry.objects.filter(household=late[0]).order_by("-pk").first()
    Objection.objects.get_or_create(
        entry=entry,
        raised_by=ctx.users["wenpeili"],
        defaults={"village": village, "text": "这件事是村里组织的，不是他一家做的"},
    )


def _shop(ctx, village):
    existing = set(Item.objects.filter(village=village).values_list("name", flat=True))
    Item.objects.bulk_create(
        [Item(village=village, name=n, cost=c, stock=s) for n, c, s in ITEMS if n not in existing]
    )


@transaction.atomic
def seed(ctx) -> None:
    youyi, xiqian = ctx.villages["youyi"], ctx.villages["xiqian"]
    rules = _rules(ctx, youyi, YOUYI_RULES)
    _rules(ctx, xiqian, XIQIAN_RULES)
    _shop(ctx, youyi)
    _shop(ctx, xiqian)
    if not Claim.objects.filter(village=youyi).exists():
        _youyi_ledger(ctx, youyi, rules)
        xie = ctx.households["xieqifu"]
        oil = Item.objects.get(village=youyi, name="食用油 5 升")
        soap = Item.objects.get(village=youyi, name="洗衣粉")
        services.redemption_create(
            actor=ctx.users["youyi_accountant"], household=xie, item=oil, at_counter=True
        )
        services.redemption_create(actor=ctx.users["xieqifu"], household=xie, item=soap)
    services.rankings_recompute()
    ctx.say(_summary(ctx))


def _summary(ctx) -> str:
    from points.selectors import household_standing

    xie = household_standing(ctx.households["xieqifu"])
    wen = household_standing(ctx.households["wenpeili"])
    return (
        f"Points: Xie Qifu {xie.score} points, rank {xie.rank}, {xie.star_level} stars; "
        f"Wen Peili {wen.score} points, rank {wen.rank}"
    )
