"""Demo data of the talks: Xiqian's banquet vote and Youyi's damaged ditch. Idempotent.

Everything goes through the services (so the timeline, counters and rule history are real);
afterwards the times are moved into the past so the story reads as it happened.
"""

import io
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from talks import deadlines, escalation, services
from talks.models import (
    Ballot,
    Entrustment,
    Event,
    FollowUp,
    Participation,
    Rating,
    Receipt,
    Reply,
    RollEntry,
    SecretBallot,
    Topic,
    Vote,
)
from villageaffairs.images import clean_image
from villageaffairs.models import Resident, Role, RoleAssignment

BANQUET_TITLE = "建议婚前不再办酒席"
DITCH_TITLE = "三组水渠塌了一段"
BANQUET_FOR, BANQUET_AGAINST = 209, 1
SQUARE_TITLE = "新健身广场建在哪里？"
ESCALATED_TITLE = "二组垃圾池一个多月没人清运"  # no reply in time: escalated to Sanshui Town
REOPENED_TITLE = "五组路口的路灯修了又不亮"  # handled, then "not fixed" at the follow-up
SQUARE_SITES = ["村委会旁边的空地", "三组晒坝", "小学东侧的荒地"]
SQUARE_CAST = 150  # ballots already in when the demo starts (none by Xie Qifu or his daughter)
DAUGHTER = "谢小梅"  # Xie Qifu's daughter, working in Chengdu: she entrusted her vote to him


def accounts_for(village, residents) -> list:
    """Accounts for ``residents`` of ``village`` (created once, no password), in order."""
    User = get_user_model()
    spare = [r for r in residents if r.user_id is None]
    users = [User(username=f"{village.slug}-r{r.pk}", display_name=r.name) for r in spare]
    for user in users:
        user.set_unusable_password()  # demo voters do not sign in
    User.objects.bulk_create(users)
    made = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    for resident in spare:
        resident.user = made[f"{village.slug}-r{resident.pk}"]
    Resident.objects.bulk_update(spare, ["user"])
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, village=village, role=Role.VILLAGER) for u in made.values()],
        ignore_conflicts=True,
    )
    return [r.user for r in residents]


def _retime(topic, times: dict) -> None:
    """Move the events of ``topic`` (by kind) to the given times."""
    for kind, at in times.items():
        Event.objects.filter(topic=topic, kind=kind).update(created_at=at)


def _retime_follow_up(topic, handled_at) -> None:
    """The follow-up of a matter handled in the past: asked (or due) the village's delay after."""
    days = deadlines.follow_up_days(topic.village)
    FollowUp.objects.filter(topic=topic, asked_at__isnull=True).update(
        ask_at=handled_at + timedelta(days=days)
    )


def _photo(color):
    out = io.BytesIO()
    Image.new("RGB", (640, 480), color).save(out, format="JPEG")
    return [clean_image(SimpleUploadedFile("ditch.jpg", out.getvalue()))]


@transaction.atomic
def _banquet(ctx) -> Topic:
    xiqian = ctx.villages["xiqian"]
    secretary, author = ctx.users["xuemin"], ctx.users["xuexiaojun"]
    t0 = timezone.now() - timedelta(days=40)
    topic = services.topic_raise(
        actor=author,
        village=xiqian,
        title=BANQUET_TITLE,
        category=Topic.Category.CUSTOMS,
        text=(
            "现在年轻人结婚，婚前要办一场酒席，婚礼当天再办一场，一家人花几万块，亲戚朋友随礼"
            "也吃不消。我建议婚前不再办酒席，只在婚礼当天简办。请全村表决，写进村规民约。"
        ),
    )
    services.reply_post(
        actor=secretary,
        topic=topic,
        text="这个建议很好，村两委支持。下周一开始全村投票五天，通过后写入村规民约。",
    )
    from points.models import Rule

    existing = Rule.objects.filter(village=xiqian, text="婚前不办酒席").first()
    if existing is not None:
        # The rule is already in the village rules: the vote confirms it and the history says so.
        adoption = {
            "adoption": Vote.Adoption.CHANGE_RULE,
            "adoption_rule_id": existing.pk,
            "adoption_data": {"text": existing.text},
        }
    else:
        adoption = {
            "adoption": Vote.Adoption.NEW_RULE,
            "adoption_data": {"text": "婚前不办酒席", "category": "civility", "points": 0},
        }
    # A household vote (one representative per household, two thirds of the households to
    # decide): Xiqian's 260 households are the roll, 210 voted, 209 for and 1 against.
    opens = t0 + timedelta(days=2)
    closes = opens + timedelta(days=5)
    notice = services.settings_for(xiqian).rule_vote_notice_days
    announced = timezone.now() + timedelta(days=notice, minutes=1)
    vote = services.vote_open(
        actor=secretary,
        topic=topic,
        question="婚前不办酒席，写入村规民约，您同意吗？",
        opens_at=announced,
        closes_at=announced + timedelta(days=5),
        electorate=Vote.Electorate.HOUSEHOLDS,
        quorum=Vote.Quorum.TWO_THIRDS_HOUSEHOLDS,
        threshold=Vote.Threshold.MAJORITY,
        **adoption,
    )
    entries = list(
        RollEntry.objects.filter(vote=vote)
        .select_related("resident", "household")
        .order_by("household__house_number")[: BANQUET_FOR + BANQUET_AGAINST]
    )
    people = accounts_for(xiqian, [e.resident for e in entries])
    Participation.objects.bulk_create(
        [Participation(village=xiqian, vote=vote, entry=e, voted_on=opens.date()) for e in entries]
    )
    Ballot.objects.bulk_create(
        [
            Ballot(
                village=xiqian,
                vote=vote,
                voter=user,
                household_id=e.household_id,
                voter_key=f"h{e.household_id}",
                choice=1 if i == len(entries) - 1 else 0,
                created_at=opens + timedelta(minutes=7 * i),
            )
            for i, (e, user) in enumerate(zip(entries, people, strict=True))
        ]
    )
    Vote.objects.filter(pk=vote.pk).update(opens_at=opens, closes_at=closes, created_at=opens)
    RollEntry.objects.filter(vote=vote).update(added_at=opens)
    Event.objects.filter(topic=topic, kind=Event.Kind.VOTE_ANNOUNCED).update(
        created_at=opens - timedelta(days=notice)
    )
    services.votes_close_due()
    Vote.objects.filter(pk=vote.pk).update(closed_at=closes)
    services.vote_adopt(vote_id=vote.pk)  # also queued on commit; the second run does nothing
    services.topic_mark_handled(actor=secretary, topic=topic, note="已写入村规民约，即日起执行。")
    services.topic_rate(actor=author, topic=topic, stars=5, comment="说到做到，大家都省了钱。")
    services.topic_close(actor=secretary, topic=topic, reason="村民评价满意，此事办结。")
    Topic.objects.filter(pk=topic.pk).update(
        created_at=t0,
        first_reply_at=t0 + timedelta(hours=3),
        handled_at=closes + timedelta(hours=2),
        last_handled_at=closes + timedelta(hours=2),
        closed_at=closes + timedelta(days=3),
        **deadlines.due_fields(xiqian, topic.category, t0),
    )
    _retime_follow_up(topic, closes + timedelta(hours=2))
    Reply.objects.filter(topic=topic).update(created_at=t0 + timedelta(hours=3))
    Rating.objects.filter(topic=topic).update(created_at=closes + timedelta(days=2))
    K = Event.Kind
    _retime(
        topic,
        {
            K.RAISED: t0,
            K.REPLIED: t0 + timedelta(hours=3),
            K.VOTE_OPENED: opens,
            K.VOTE_CLOSED: closes,
            K.RULE_ADOPTED: closes + timedelta(minutes=1),
            K.HANDLED: closes + timedelta(hours=2),
            K.RATED: closes + timedelta(days=2),
            K.CLOSED: closes + timedelta(days=3),
        },
    )
    return topic


@transaction.atomic
def _ditch(ctx) -> Topic:
    youyi = ctx.villages["youyi"]
    secretary, author = ctx.users["shujun"], ctx.users["wenpeili"]
    t0 = timezone.now() - timedelta(days=75)
    topic = services.topic_raise(
        actor=author,
        village=youyi,
        title=DITCH_TITLE,
        category=Topic.Category.ROADS_WATER,
        text="三组田边的水渠昨晚塌了一段，大约三米，水都漫到路上了，请村里看看。",
        photos=_photo((120, 110, 80)),
    )
    services.reply_post(
        actor=secretary,
        topic=topic,
        text="收到，上午已到现场看过。现在正是灌溉期，渠里不能断水，等灌溉期结束马上修，"
        "这期间先用沙袋把塌口围住。",
    )
    services.comment_post(
        actor=ctx.users["xieqifu"], topic=topic, text="沙袋已经围上了，谢谢书记。"
    )
    task = services.task_assign(
        actor=secretary,
        topic=topic,
        title="灌溉期结束后修复三组水渠",
        assignees=[secretary, ctx.users["youyi_accountant"]],
        due_date=(t0 + timedelta(days=45)).date(),
    )
    services.progress_add(actor=secretary, task=task, text="灌溉期结束，水泥和砂石已运到。")
    services.progress_add(
        actor=secretary, task=task, text="水渠已修好，放水试过不漏。", photos=_photo((90, 140, 90))
    )
    services.task_done(actor=secretary, task=task)
    services.topic_mark_handled(actor=secretary, topic=topic, note="水渠已修复。")
    services.topic_rate(actor=author, topic=topic, stars=5, comment="回复快，修得也结实。")
    Topic.objects.filter(pk=topic.pk).update(
        created_at=t0,
        first_reply_at=t0 + timedelta(hours=2, minutes=40),
        handled_at=t0 + timedelta(days=41),
        last_handled_at=t0 + timedelta(days=41),
        **deadlines.due_fields(youyi, topic.category, t0),
    )
    _retime_follow_up(topic, t0 + timedelta(days=41))
    Reply.objects.filter(topic=topic).update(created_at=t0 + timedelta(hours=2, minutes=40))
    K = Event.Kind
    _retime(
        topic,
        {
            K.RAISED: t0,
            K.REPLIED: t0 + timedelta(hours=2, minutes=40),
            K.COMMENTED: t0 + timedelta(hours=5),
            K.TASK_ASSIGNED: t0 + timedelta(hours=3),
            K.PROGRESS: t0 + timedelta(days=38),
            K.TASK_DONE: t0 + timedelta(days=40),
            K.HANDLED: t0 + timedelta(days=41),
            K.RATED: t0 + timedelta(days=42),
        },
    )
    return topic


@transaction.atomic
def _square(ctx) -> Topic:
    """An open secret vote in Youyi on where to build the new fitness square: three sites,
    some ballots in, closing in a few days. Xie Qifu has not voted; his daughter, working in
    Chengdu, has entrusted her vote to him."""
    import random

    youyi = ctx.villages["youyi"]
    secretary, xie = ctx.users["shujun"], ctx.users["xieqifu"]
    home = ctx.households["xieqifu"]
    daughter = Resident.objects.filter(household=home, name=DAUGHTER).first()
    if daughter is None:
        daughter = Resident.objects.create(
            village=youyi, household=home, name=DAUGHTER, year_of_birth=1998, registered=True
        )
    accounts_for(youyi, [daughter])
    daughter.refresh_from_db()
    t0 = timezone.now() - timedelta(days=6)
    topic = services.topic_raise(
        actor=ctx.users["wenpeili"],
        village=youyi,
        title=SQUARE_TITLE,
        category=Topic.Category.WELFARE,
        text="镇上给了一笔钱建健身广场，晚上跳舞、老人锻炼都用得上。建在哪里，请大家一起定。",
    )
    services.reply_post(
        actor=secretary,
        topic=topic,
        text="村两委看了三处地方，各有长短。请全体村民无记名投票，得票最多的地方就建在那里。",
    )
    vote = services.vote_open(
        actor=secretary,
        topic=topic,
        question="新健身广场建在哪里？",
        options=SQUARE_SITES,
        closes_at=timezone.now() + timedelta(days=3),
        electorate=Vote.Electorate.RESIDENTS,
        quorum=Vote.Quorum.HALF,
        threshold=Vote.Threshold.MAJORITY,
        secret=True,
    )
    opens = timezone.now() - timedelta(days=2)
    Vote.objects.filter(pk=vote.pk).update(opens_at=opens, created_at=opens)
    RollEntry.objects.filter(vote=vote).update(added_at=opens)
    services.entrust(
        actor=daughter.user,
        vote=vote,
        proxy_resident_id=Resident.objects.get(user=xie).pk,
        relation=Entrustment.Relation.PARENT,
    )
    # Ballots already cast, written as casting writes them: who voted, the anonymous
    # choices and the receipts, three tables with nothing in common.
    rng = random.Random(20261129)  # noqa: S311 - demo data
    voters = list(
        RollEntry.objects.filter(vote=vote)
        .exclude(household=home)
        .order_by("resident__household__house_number", "pk")[:SQUARE_CAST]
    )
    Participation.objects.bulk_create(
        [
            Participation(
                village=youyi,
                vote=vote,
                entry=e,
                voted_on=(opens + timedelta(hours=rng.randint(1, 40))).date(),
            )
            for e in voters
        ]
    )
    SecretBallot.objects.bulk_create(
        [
            SecretBallot(village=youyi, vote=vote, choice=rng.choices((0, 1, 2), (5, 3, 2))[0])
            for _ in voters
        ]
    )
    codes = set()
    while len(codes) < len(voters):
        codes.add(services._receipt_code())
    Receipt.objects.bulk_create([Receipt(village=youyi, vote=vote, code=c) for c in codes])
    Topic.objects.filter(pk=topic.pk).update(created_at=t0, first_reply_at=t0 + timedelta(hours=5))
    Reply.objects.filter(topic=topic).update(created_at=t0 + timedelta(hours=5))
    K = Event.Kind
    _retime(topic, {K.RAISED: t0, K.REPLIED: t0 + timedelta(hours=5), K.VOTE_OPENED: opens})
    return topic


ASSISTED_TITLE = "村口的路灯坏了半个月"
ASSISTED_HOUSE = "088"


@transaction.atomic
def _assisted(ctx) -> Topic | None:
    """The grid worker raises a matter for an elderly villager of Youyi visited at home."""
    youyi = ctx.villages["youyi"]
    worker = ctx.users.get("wanggrid")
    elder = (
        Resident.objects.filter(village=youyi, household__house_number=ASSISTED_HOUSE)
        .order_by("year_of_birth", "pk")
        .first()
    )
    if worker is None or elder is None:
        return None
    return services.topic_raise_assisted(
        actor=worker,
        village=youyi,
        resident=elder,
        title=ASSISTED_TITLE,
        category=Topic.Category.ROADS_WATER,
        text="村口到小卖部那段路的路灯坏了半个月，晚上出门看不见，老人走路怕摔跤。",
        witness="邻居 张桂英",
    )


@transaction.atomic
def _escalated(ctx) -> Topic:
    """Nobody answered within three days: the beat job took it to Sanshui Town."""
    youyi = ctx.villages["youyi"]
    t0 = timezone.now() - timedelta(days=9)
    topic = services.topic_raise(
        actor=ctx.users["xieqifu"],
        village=youyi,
        title=ESCALATED_TITLE,
        category=Topic.Category.ENVIRONMENT,
        text="二组路边的垃圾池一个多月没人清运，天热了气味很大，苍蝇也多。",
        photos=_photo((110, 100, 70)),
    )
    Topic.objects.filter(pk=topic.pk).update(
        created_at=t0, **deadlines.due_fields(youyi, topic.category, t0)
    )
    _retime(topic, {Event.Kind.RAISED: t0})
    escalation.topic_escalate_overdue(topic_id=topic.pk)
    escalated_at = t0 + timedelta(days=4, minutes=10)
    Topic.objects.filter(pk=topic.pk).update(escalated_at=escalated_at)
    _retime(topic, {Event.Kind.ESCALATED: escalated_at})
    return topic


@transaction.atomic
def _reopened(ctx) -> Topic:
    """Handled three weeks ago; asked whether it is fixed, the villager said no: reopened."""
    youyi = ctx.villages["youyi"]
    secretary, author = ctx.users["shujun"], ctx.users["wenpeili"]
    t0 = timezone.now() - timedelta(days=40)
    topic = services.topic_raise(
        actor=author,
        village=youyi,
        title=REOPENED_TITLE,
        category=Topic.Category.ROADS_WATER,
        text="五组路口的路灯坏了，晚上接孩子放学路上很黑。",
    )
    services.reply_post(actor=secretary, topic=topic, text="收到，已联系电工。")
    task = services.task_assign(
        actor=secretary, topic=topic, title="更换五组路口路灯", assignees=[secretary]
    )
    services.task_done(actor=secretary, task=task)
    services.topic_mark_handled(actor=secretary, topic=topic, note="已更换灯泡。")
    handled = t0 + timedelta(days=5)
    Topic.objects.filter(pk=topic.pk).update(
        created_at=t0,
        first_reply_at=t0 + timedelta(hours=6),
        handled_at=handled,
        last_handled_at=handled,
        **deadlines.due_fields(youyi, topic.category, t0),
    )
    Reply.objects.filter(topic=topic).update(created_at=t0 + timedelta(hours=6))
    K = Event.Kind
    _retime(
        topic,
        {
            K.RAISED: t0,
            K.REPLIED: t0 + timedelta(hours=6),
            K.TASK_ASSIGNED: t0 + timedelta(hours=7),
            K.TASK_DONE: handled - timedelta(hours=1),
            K.HANDLED: handled,
        },
    )
    _retime_follow_up(topic, handled)
    follow_up = FollowUp.objects.get(topic=topic, asked_at__isnull=True)
    escalation.follow_up_ask(follow_up_id=follow_up.pk)
    asked = handled + timedelta(days=deadlines.follow_up_days(youyi))
    FollowUp.objects.filter(pk=follow_up.pk).update(
        asked_at=asked, expires_at=asked + timedelta(days=escalation.FOLLOW_UP_ANSWER_DAYS)
    )
    _retime(topic, {K.FOLLOW_UP: asked})
    follow_up.refresh_from_db()
    escalation.follow_up_answer(
        actor=author,
        follow_up=follow_up,
        fixed=False,
        note="换了灯泡只亮了三天，又不亮了，应该是线路的问题。",
        photos=_photo((30, 30, 40)),
    )
    return topic


def seed(ctx) -> None:
    if not Topic.objects.filter(village=ctx.villages["youyi"], title=ASSISTED_TITLE).exists():
        _assisted(ctx)
    if not Topic.objects.filter(village=ctx.villages["xiqian"], title=BANQUET_TITLE).exists():
        _banquet(ctx)
    if not Topic.objects.filter(village=ctx.villages["youyi"], title=DITCH_TITLE).exists():
        _ditch(ctx)
    if not Topic.objects.filter(village=ctx.villages["youyi"], title=SQUARE_TITLE).exists():
        _square(ctx)
    if not Topic.objects.filter(village=ctx.villages["youyi"], title=ESCALATED_TITLE).exists():
        _escalated(ctx)
    if not Topic.objects.filter(village=ctx.villages["youyi"], title=REOPENED_TITLE).exists():
        _reopened(ctx)
    vote = Vote.objects.filter(topic__title=BANQUET_TITLE).first()
    ctx.say(
        f"Talks: Xiqian banquet vote {vote.counts if vote else '-'} "
        f"({'passed' if vote and vote.passed else 'not passed'}); Youyi ditch handled and rated"
    )
