"""The talks demo: Xiqian's banquet vote (209 for, 1 against, passed, rule adopted, five stars)
and Youyi's ditch (replied within hours, handled, rated). Running it twice adds nothing."""

from datetime import timedelta

from django.core.management import call_command

from talks.demo import BANQUET_TITLE, DITCH_TITLE
from talks.models import Ballot, Event, Notification, Topic, Vote


def _counts():
    return tuple(m.objects.count() for m in (Topic, Vote, Ballot, Event, Notification))


def test_the_demo_tells_both_stories_and_is_idempotent(db, client):
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    first = _counts()
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    assert _counts() == first

    banquet = Topic.objects.get(village__slug="xiqian", title=BANQUET_TITLE)
    vote = banquet.votes.get()
    assert vote.counts[:2] == [209, 1] and vote.passed and vote.quorum_met
    assert (vote.closes_at - vote.opens_at).days == 5
    assert vote.adopted_at is not None
    assert banquet.author.username == "xuexiaojun"
    assert banquet.status == Topic.Status.CLOSED
    assert banquet.rating_count == 1 and banquet.average_rating == 5
    from points.models import Rule, RuleRevision

    rule = Rule.objects.get(village__slug="xiqian", pk=vote.adoption_rule_id)
    assert rule.text == "婚前不办酒席" and rule.points == 0
    assert RuleRevision.objects.filter(rule=rule, note__contains=str(banquet.pk)).exists()

    ditch = Topic.objects.get(village__slug="youyi", title=DITCH_TITLE)
    assert ditch.status == Topic.Status.HANDLED and ditch.rating_count == 1
    hours = (ditch.first_reply_at - ditch.created_at).total_seconds() / 3600
    assert hours < 4
    reply = ditch.replies.get()
    assert reply.author.username == "shujun" and "灌溉期" in reply.text

    page = client.get(banquet.get_absolute_url()).content.decode()
    assert "209" in page and "婚前不办酒席" in page
    home = client.get("/v/xiqian/").content.decode()
    assert vote.question in home

    # Youyi's fitness square: an open secret vote on three sites, some ballots in, not Xie
    # Qifu's; his daughter, working in Chengdu, has entrusted her vote to him.
    from django.utils import timezone

    from talks.demo import DAUGHTER, SQUARE_SITES, SQUARE_TITLE
    from talks.models import Entrustment, Participation, Receipt, SecretBallot

    square = Topic.objects.get(village__slug="youyi", title=SQUARE_TITLE).votes.get()
    now = timezone.now()
    assert square.secret and square.options == SQUARE_SITES and square.is_open
    assert timedelta(days=1) < square.closes_at - now < timedelta(days=5)
    cast = Participation.objects.filter(vote=square)
    assert 0 < cast.count() == SecretBallot.objects.filter(vote=square).count()
    assert cast.count() == Receipt.objects.filter(vote=square).count()
    assert not cast.filter(entry__resident__user__username="xieqifu").exists()
    entrusted = Entrustment.objects.get(vote=square, withdrawn_at__isnull=True)
    assert entrusted.entry.name == DAUGHTER and not cast.filter(entry=entrusted.entry).exists()
    assert entrusted.proxy.resident.user.username == "xieqifu"
    assert entrusted.relation == Entrustment.Relation.PARENT
    assert not Ballot.objects.filter(vote=square).exists()  # secret: no named ballots

    # Youyi's escalated matter (no reply within three days) and its reopened one ("not fixed").
    from talks.demo import ESCALATED_TITLE, REOPENED_TITLE
    from talks.models import FollowUp

    stuck = Topic.objects.get(village__slug="youyi", title=ESCALATED_TITLE)
    assert stuck.escalated_to.name == "三水镇" and stuck.first_reply_at is None
    assert stuck.reply_due_at < stuck.escalated_at < now
    assert stuck.events.filter(kind=Event.Kind.ESCALATED, actor__isnull=True).count() == 1
    assert "已上报三水镇" in client.get(stuck.get_absolute_url()).content.decode()
    lamp = Topic.objects.get(village__slug="youyi", title=REOPENED_TITLE)
    assert lamp.status == Topic.Status.HANDLING and lamp.reopened_count == 1
    assert lamp.handled_at is not None and lamp.handled_at < now - timedelta(days=20)
    answer = FollowUp.objects.get(topic=lamp)
    assert answer.fixed is False and "线路" in answer.note and answer.photos.count() == 1
    assert lamp.events.filter(kind=Event.Kind.REOPENED, actor__username="wenpeili").exists()
    # The ditch handled long ago has its question due, not asked twice by the seeding.
    ditch_question = FollowUp.objects.get(topic=ditch)
    assert ditch_question.ask_at < now
