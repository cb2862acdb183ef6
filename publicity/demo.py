"""Demo data of the blackboard: twelve months of Youyi's accounts (recorded by the accountant,
checked by the villager finance group, published by the secretary), party and village affairs
items (one amended after publication), and a villager's question with the secretary's answer.

Idempotent: books, months, items and questions are looked up before they are made.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from publicity import selectors, services
from publicity.models import Disclosure, FinanceEntry, FinanceMonth, Question
from villageaffairs import services as core_services
from villageaffairs.models import Role

OPENING_BALANCE = Decimal("186420.35")
DITCH = "三组灌溉沟渠维修"
QUESTION = "三组沟渠维修花了多少钱？是谁施工的？"

# (category, direction, counterparty, note, low, high) drawn every month
MONTHLY = [
    ("contract", "income", "鱼塘承包户 谢启富", "鱼塘承包费（按月）", 2400, 2400),
    ("management", "expense", "村干部", "误工补贴", 3200, 3600),
    ("public_works", "expense", "国网广汉供电所", "路灯电费", 380, 620),
    ("operating_cost", "expense", "保洁员 王秀英", "村道保洁工资", 1500, 1500),
    ("management", "expense", "三水镇文具店", "办公用品", 80, 360),
]
# month index (0 = oldest) → one-off entries
ONE_OFF = {
    0: [("subsidy", "income", "三水镇财政所", "村级组织运转经费（一季度）", 15000, 15000)],
    1: [("contract", "income", "广汉市丰收农业合作社", "集体土地流转租金（上半年）", 42000, 42000)],
    2: [
        ("public_works", "expense", "广汉市明亮照明工程部", "新装太阳能路灯 24 盏", 28800, 28800),
    ],
    3: [("subsidy", "income", "三水镇财政所", "村级组织运转经费（二季度）", 15000, 15000)],
    4: [("public_works", "expense", "德阳市水利建筑队", DITCH, 36500, 36500)],
    5: [("welfare", "expense", "困难户 5 户", "夏季慰问", 2500, 2500)],
    6: [
        ("subsidy", "income", "三水镇财政所", "村级组织运转经费（三季度）", 15000, 15000),
        ("investment", "income", "三水镇农村信用社", "集体存款利息", 812, 812),
    ],
    7: [("contract", "income", "广汉市丰收农业合作社", "集体土地流转租金（下半年）", 42000, 42000)],
    8: [("public_works", "expense", "村民义务投工 + 材料", "村道坑洼修补", 6400, 6400)],
    9: [("subsidy", "income", "三水镇财政所", "村级组织运转经费（四季度）", 15000, 15000)],
    10: [("welfare", "expense", "困难户及 80 岁以上老人", "春节慰问", 8600, 8600)],
    11: [("operating", "income", "积分超市", "积分超市代销收入", 1260, 1260)],
}

ITEMS = [
    (
        "party",
        "发展党员对象公示",
        "经支部委员会研究，拟将谢小红同志列为发展对象，公示期 7 天。如有意见，请向村党支部反映。",
        60,
    ),
    (
        "party",
        "第四季度党费收缴情况",
        "本季度应缴党费党员 38 名，实缴 38 名，共计 1,140.00 元，已全部上缴镇党委。",
        30,
    ),
    (
        "village",
        "2026 年低保户民主评议结果",
        "经村民代表大会民主评议，拟确定低保户 6 户（名单附后），公示期 7 天。",
        20,
    ),
    (
        "village",
        "村道硬化工程招标结果",
        "村道硬化工程（二组至三组，全长 1.2 公里）经公开招标，中标单位为广汉市通达路桥公司，"
        "中标价 386,000.00 元，工期 60 天。",
        10,
    ),
    (
        "finance",
        "2026 年村集体收支预算",
        "预计收入：承包及租金 112,800 元，上级补助 60,000 元；预计支出：公益事业 80,000 元，"
        "管理费用 45,000 元。经村民代表大会通过。",
        5,
    ),
]
AMENDED = "村道硬化工程招标结果"


# The demo publishes its months all at once; the dashboards (publicity.stats) judge each by
# when it was published. They are dated as the village would have done it: checked on the 4th
# of the month after, published on the 6th, before the 10th it is due by; one month was late.
LATE_MONTH = 7


def _retime_publication(village, month: date, *, late: bool) -> None:
    after = selectors.add_months(month, 1)
    checked = timezone.make_aware(datetime.combine(after.replace(day=4), time(16)))
    published = timezone.make_aware(datetime.combine(after.replace(day=14 if late else 6), time(9)))
    now = timezone.now()  # last month's accounts, early in this month: published just now
    FinanceMonth.objects.filter(village=village, month=month).update(
        checked_at=min(checked, now), published_at=min(published, now)
    )


def _month(i: int, first: date) -> date:
    return selectors.add_months(first, i)


def _amount(rng, low, high) -> Decimal:
    if low == high:
        return Decimal(low).quantize(Decimal("0.01"))
    return (Decimal(rng.randint(low * 100, high * 100)) / 100).quantize(Decimal("0.01"))


def seed(ctx) -> None:
    village = ctx.villages["youyi"]
    accountant = ctx.users["youyi_accountant"]
    secretary = ctx.users["shujun"]
    checker = ctx.users["wenpeili"]  # 文培力 sits on Youyi's villager finance group
    core_services.role_assign(
        actor=ctx.operator, user=checker, village=village, role=Role.FINANCE_GROUP
    )
    villager = ctx.users["xieqifu"]
    rng = random.Random(20260610)  # noqa: S311 - demo figures, not security

    this_month = timezone.localdate().replace(day=1)
    first = selectors.add_months(this_month, -12)
    book = selectors.book(village)
    if book is None:
        book = services.book_open(
            actor=accountant, village=village, starts_on=first, opening_balance=OPENING_BALANCE
        )
    for i in range(12):
        month = _month(i, book.starts_on)
        if month >= this_month:
            break
        row = FinanceMonth.objects.filter(village=village, month=month).first()
        if row is not None and row.is_published:
            continue
        has_entries = FinanceEntry.objects.filter(
            village=village, date__gte=month, date__lt=selectors.add_months(month, 1)
        ).exists()
        if not has_entries and (row is None or not row.is_locked):
            for n, (category, direction, who, note, low, high) in enumerate(
                MONTHLY + ONE_OFF.get(i, [])
            ):
                services.entry_record(
                    actor=accountant,
                    village=village,
                    date=month + timedelta(days=min(2 + n * 4, 27)),
                    direction=direction,
                    category=category,
                    amount=_amount(rng, low, high),
                    counterparty=who,
                    voucher_no=f"{month:%y%m}-{n + 1:02d}",
                    note=note,
                )
        if row is None or not row.is_locked:
            services.month_check(
                actor=checker, village=village, month=month, note="凭证齐全，账实相符"
            )
        services.month_publish(actor=secretary, village=village, month=month)
        _retime_publication(village, month, late=i == LATE_MONTH)

    for kind, title, text, days_ago in ITEMS:
        if Disclosure.objects.filter(village=village, title=title).exists():
            continue
        end = timezone.localdate() - timedelta(days=days_ago)
        item = services.disclosure_create(
            actor=secretary,
            village=village,
            kind=kind,
            title=title,
            text=text,
            period_start=end - timedelta(days=30),
            period_end=end,
        )
        services.disclosure_publish(actor=secretary, disclosure=item)
        if title == AMENDED:
            services.disclosure_update(
                actor=secretary,
                disclosure=item,
                title=title,
                text=text.replace("工期 60 天", "工期 75 天（含雨季顺延 15 天）"),
                period_start=item.period_start,
                period_end=item.period_end,
                reason="工期更正：合同约定雨季可顺延",
            )

    ditch = FinanceEntry.objects.filter(village=village, note=DITCH).first()
    if ditch is not None and not Question.objects.filter(village=village, text=QUESTION).exists():
        question = services.question_ask(
            actor=villager, village=village, entry=ditch, text=QUESTION
        )
        services.question_answer(
            actor=secretary,
            question=question,
            answer=(
                f"共 {ditch.amount:,.2f} 元，由德阳市水利建筑队施工，凭证号 {ditch.voucher_no}，"
                "验收单已在村委会公示栏张贴，欢迎查看。"
            ),
        )
    ctx.say("Publicity demo: Youyi's accounts for 12 months, 5 items, 1 answered question")
