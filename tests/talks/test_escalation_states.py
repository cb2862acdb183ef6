"""The moves of escalation and of the follow-up's answer (talks.states): every legal one works
through its service, every illegal one is refused and changes nothing."""

import pytest

from talks import escalation, states
from talks.models import Event, FollowUp, Task, Topic
from talks.services import TalksError
from tests.factories import member
from tests.talks.escalation_helpers import (
    asked,
    escalated,
    official_over,
    overdue,
    within_deadlines,
)
from tests.talks.factories import topic_in

S = Topic.Status
ALL = list(S.values)


def _snapshot(topic):
    topic = Topic.objects.get(pk=topic.pk)
    return (
        topic.status,
        topic.escalated_at,
        topic.reopened_count,
        Event.objects.filter(topic=topic).count(),
        Task.objects.filter(topic=topic).count(),
        list(FollowUp.objects.filter(topic=topic).values_list("answered_at", flat=True)),
    )


@pytest.mark.parametrize("status", ALL)
def test_the_beat_escalates_an_overdue_topic_only_from_an_unresolved_status(people, status):
    author = member(people.here, username="author")
    topic = overdue(topic_in(status, village=people.here, author=author))
    before = _snapshot(topic)
    done = escalation.topic_escalate_overdue(topic_id=topic.pk)
    topic.refresh_from_db()
    assert done == states.allowed("escalate_overdue", status)
    if done:
        assert topic.status == status  # escalation marks, it does not move
        assert topic.escalated_to == people.here.region
        assert Event.objects.filter(topic=topic, kind=Event.Kind.ESCALATED).count() == 1
    else:
        assert _snapshot(topic) == before


@pytest.mark.parametrize("status", ALL)
def test_the_author_escalates_within_the_deadlines_only_a_declined_topic(people, status):
    author = member(people.here, username="author")
    topic = within_deadlines(topic_in(status, village=people.here, author=author))
    before = _snapshot(topic)
    if states.allowed("escalate_declined", status):
        escalation.topic_escalate(actor=author, topic=topic, reason="村里不管，请镇里看看")
        topic.refresh_from_db()
        assert topic.escalated_at is not None and topic.status == status
    else:
        with pytest.raises(TalksError) as exc:
            escalation.topic_escalate(actor=author, topic=topic, reason="请镇里看看")
        assert exc.value.code in {"not_overdue", "illegal_transition"}
        assert _snapshot(topic) == before


def _official_do(action, topic, people, official):
    if action == "official_reply":
        return escalation.official_reply(actor=official, topic=topic, text="镇里已知悉。")
    if action == "official_assign":
        return escalation.official_assign(
            actor=official, topic=topic, title="一周内修好", assignees=[people.cadre_here]
        )
    if action == "take_over":
        return escalation.topic_take_over(actor=official, topic=topic, note="镇里来办")
    raise AssertionError(action)


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize("action", ["official_reply", "official_assign", "take_over"])
def test_every_move_of_the_official(people, action, status):
    author = member(people.here, username="author")
    official = official_over(people.here)
    topic = escalated(topic_in(status, village=people.here, author=author))
    before = _snapshot(topic)
    if states.allowed(action, status):
        _official_do(action, topic, people, official)
        topic.refresh_from_db()
        assert topic.status == states.TRANSITIONS[action][status]
    else:
        with pytest.raises(TalksError) as exc:
            _official_do(action, topic, people, official)
        assert exc.value.code == "illegal_transition"
        assert _snapshot(topic) == before


@pytest.mark.parametrize("status", ALL)
@pytest.mark.parametrize(("action", "fixed"), [("confirm_fixed", True), ("reopen", False)])
def test_every_answer_to_the_follow_up(people, action, fixed, status):
    author = member(people.here, username="author")
    topic = topic_in(status, village=people.here, author=author)
    question = asked(topic)
    before = _snapshot(topic)
    answer = {"actor": author, "follow_up": question, "fixed": fixed, "note": "还在漏水"}
    if states.allowed(action, status):
        escalation.follow_up_answer(**answer)
        topic.refresh_from_db()
        assert topic.status == states.TRANSITIONS[action][status]
        assert topic.reopened_count == (0 if fixed else 1)
    else:
        with pytest.raises(TalksError) as exc:
            escalation.follow_up_answer(**answer)
        assert exc.value.code == "illegal_transition"
        assert _snapshot(topic) == before
