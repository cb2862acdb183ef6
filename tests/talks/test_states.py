"""State machine: every legal transition works through its service, every illegal one is
refused and changes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from talks import services, states
from talks.models import Comment, Event, Task, Topic
from talks.services import TalksError
from tests.factories import member
from tests.talks.factories import topic_in
from villageaffairs.models import Role

S = Topic.Status
ALL = list(S.values)


def _do(action, topic, people, author):
    cadre = people.cadre_here
    if action == "reply":
        return services.reply_post(actor=cadre, topic=topic, text="收到，马上处理。")
    if action == "comment":
        return services.comment_post(actor=author, topic=topic, text="同意")
    if action == "support":
        return services.support_add(actor=people.villager_here, topic=topic)
    if action == "hide":
        comment = Comment.objects.create(
            village=topic.village, topic=topic, author=author, text="乱说"
        )
        return services.comment_hide(actor=cadre, comment=comment, reason="人身攻击")
    if action == "open_vote":
        return services.vote_open(
            actor=cadre,
            topic=topic,
            question="同意吗？",
            closes_at=timezone.now() + timedelta(days=5),
        )
    if action == "assign":
        return services.task_assign(actor=cadre, topic=topic, title="修渠", assignees=[cadre])
    if action == "progress":
        task = Task.objects.create(
            village=topic.village, topic=topic, title="修渠", created_by=cadre
        )
        return services.progress_add(actor=cadre, task=task, text="已买水泥")
    if action == "handled":
        return services.topic_mark_handled(actor=cadre, topic=topic, note="修好了")
    if action == "rate":
        return services.topic_rate(actor=author, topic=topic, stars=5)
    if action == "close":
        return services.topic_close(actor=cadre, topic=topic, reason="已办结")
    if action == "decline":
        return services.topic_decline(actor=cadre, topic=topic, reason="不归村里管")
    if action == "withdraw":
        return services.topic_withdraw(actor=author, topic=topic)
    if action == "merge":
        other = topic_in(S.RAISED, village=topic.village, author=author)
        return services.topic_merge(actor=cadre, topic=topic, into=other)
    raise AssertionError(action)


# Escalation and the follow-up's answer are tried in tests/talks/test_escalation_states.py.
ESCALATION_ACTIONS = {
    "escalate_overdue",
    "escalate_declined",
    "official_reply",
    "official_assign",
    "take_over",
    "confirm_fixed",
    "reopen",
}
CASES = [(a, s) for a in states.TRANSITIONS if a not in ESCALATION_ACTIONS for s in ALL]


@pytest.mark.parametrize(("action", "status"), CASES)
def test_every_transition(people, action, status):
    author = member(people.here, username="author")
    topic = topic_in(status, village=people.here, author=author)
    events_before = Event.objects.filter(topic=topic).count()
    if states.allowed(action, status):
        _do(action, topic, people, author)
        topic.refresh_from_db()
        assert topic.status == states.TRANSITIONS[action][status]
    else:
        with pytest.raises(TalksError) as exc:
            _do(action, topic, people, author)
        assert exc.value.code == "illegal_transition"
        topic.refresh_from_db()
        assert topic.status == status
        assert Event.objects.filter(topic=topic).count() == events_before


def test_rating_an_unhandled_topic_is_refused(people):
    author = member(people.here)
    topic = topic_in(S.HANDLING, village=people.here, author=author)
    with pytest.raises(TalksError):
        services.topic_rate(actor=author, topic=topic, stars=4)
    assert not topic.ratings.exists()


def test_a_stale_status_loses(people):
    """Two cadres act on the same old copy: the second conditional UPDATE finds no row."""
    author = member(people.here)
    topic = topic_in(S.DISCUSSING, village=people.here, author=author)
    stale = Topic.objects.get(pk=topic.pk)
    services.topic_decline(actor=people.cadre_here, topic=topic, reason="重复")
    with pytest.raises(TalksError):
        services.topic_mark_handled(actor=people.cadre_here, topic=stale, note="修好了")
    assert Topic.objects.get(pk=topic.pk).status == S.DECLINED


def test_handled_waits_for_open_tasks(people):
    author = member(people.here)
    topic = topic_in(S.DISCUSSING, village=people.here, author=author)
    task = services.task_assign(
        actor=people.cadre_here, topic=topic, title="修渠", assignees=[people.cadre_here]
    )
    with pytest.raises(TalksError) as exc:
        services.topic_mark_handled(actor=people.cadre_here, topic=topic, note="修好了")
    assert exc.value.code == "tasks_open"
    services.task_done(actor=people.cadre_here, task=task)
    services.topic_mark_handled(actor=people.cadre_here, topic=topic, note="修好了")
    assert Topic.objects.get(pk=topic.pk).status == S.HANDLED


def test_only_the_author_withdraws(people):
    author = member(people.here)
    topic = topic_in(S.RAISED, village=people.here, author=author)
    with pytest.raises(TalksError):
        services.topic_withdraw(actor=people.villager_here, topic=topic)
    assert Topic.objects.get(pk=topic.pk).status == S.RAISED


def test_a_villager_cannot_do_a_cadres_move(people):
    author = member(people.here)
    topic = topic_in(S.RAISED, village=people.here, author=author)
    for call in (
        lambda: services.reply_post(actor=author, topic=topic, text="我自己回复"),
        lambda: services.topic_decline(actor=author, topic=topic, reason="x"),
        lambda: services.topic_close(actor=people.cadre_elsewhere, topic=topic, reason="x"),
    ):
        with pytest.raises(TalksError):
            call()
    assert Topic.objects.get(pk=topic.pk).status == S.RAISED
    assert member(people.here, Role.SECRETARY)  # a secretary may (see test_every_transition)
