"""Demo data of the points app (called by ``manage.py seed_demo`` after the core). Idempotent.

Youyi Village as reported: Xie Qifu's household has 483 points and ranks 17th (a five-star
household); Wen Peili's household has 583 points. Youyi's rules include the six example rules of
the glossary; claims exist in every state; the points supermarket has goods on its shelves.
"""

import datetime
import io
import random

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
ASSESSMENT = "月度入户评分"  # monthly door-to-door scoring: the remainder of each demo score


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


def _give(cadre, household, target, rules, rng) -> None:
    """Awards (and the odd deduction) under Youyi's rules adding up to exactly ``target``."""
    pool = [r for r in rules.values() if 0 < r.points <= 20]
    total = 0
    if target >= 200 and rng.random() < 0.3:
        services.award_direct(
            actor=cadre,
            household=household,
            points=100,
            reason="家庭成员应征入伍",
            rule=rules["家庭成员应征入伍"],
        )
        total += 100
    if rng.random() < 0.15:
        services.award_direct(
            actor=cadre,
            household=household,
            points=-5,
            reason="生活垃圾未入桶",
            rule=rules["生活垃圾未入桶"],
        )
        total -= 5
    for _ in range(rng.randint(1, 3)):
        rule = rng.choice(pool)
        if total + rule.points <= target:
            services.award_direct(
                actor=cadre, household=household, points=rule.points, reason=rule.text, rule=rule
            )
            total += rule.points
    if target - total:
        services.award_direct(
            actor=cadre, household=household, points=target - total, reason=ASSESSMENT
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
    _give(cadre, xie, XIE_POINTS - approved, rules, rng)
    _give(cadre, wen, WEN_POINTS, rules, rng)
    late = others[ahead : ahead + 12]  # awards after yesterday's ranking: arrows move
    for household in late:
        targets[household.pk] = max(targets[household.pk], 100)
    for household in others:
        late_points = 8 if household in late else 0
        _give(cadre, household, targets[household.pk] - late_points, rules, rng)
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
