"""Deadlines, escalation to the town, the town official's actions and "still not fixed?"."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from talks import deadlines, escalation, services
from talks.models import (
    CategoryDeadline,
    Event,
    FollowUp,
    Notification,
    Rating,
    Reply,
    TalksSettings,
    Task,
    Topic,
)
from talks.services import TalksError
from tests.factories import RegionFactory, VillageFactory, member
from tests.talks.escalation_helpers import (
    asked,
    escalated,
    official_over,
    overdue,
    within_deadlines,
)
from tests.talks.factories import topic_in
from villageaffairs.models import RegionOfficial
from villageaffairs.sms import LogBackend

S = Topic.Status


def _local(dt):
    return timezone.localtime(dt)


# --- deadlines -----------------------------------------------------------------------------


def test_a_new_matter_is_due_at_the_end_of_the_third_and_thirtieth_calendar_day(people):
    topic = services.topic_raise(
        actor=people.villager_here,
        village=people.here,
        title="水渠漏水",
        text="村口水渠漏水。",
        category=Topic.Category.ROADS_WATER,
    )
    raised = _local(topic.created_at).date()
    assert _local(topic.reply_due_at).date() == raised + timedelta(days=4)
    assert _local(topic.reply_due_at).hour == 0
    assert _local(topic.handle_due_at).date() == raised + timedelta(days=31)


def test_a_category_may_have_its_own_deadlines(people):
    TalksSettings.objects.create(village=people.here, reply_days=5, handle_days=60)
    CategoryDeadline.objects.create(
        village=people.here, category=Topic.Category.WELFARE, reply_days=1, handle_days=7
    )
    found = deadlines.deadlines_for(people.here)
    assert found[Topic.Category.WELFARE] == (1, 7)
    assert found[Topic.Category.ROADS_WATER] == (5, 60)
    monday = timezone.make_aware(datetime(2026, 11, 23, 15, 0))
    due = deadlines.due_fields(people.here, Topic.Category.WELFARE, monday)
    assert _local(due["reply_due_at"]) == timezone.make_aware(datetime(2026, 11, 25, 0, 0))


def test_an_assisted_matter_gets_its_deadlines_too(people):
    from villageaffairs.models import Resident

    resident = Resident.objects.get(user=people.villager_here)
    topic = services.topic_raise_assisted(
        actor=people.cadre_here,
        village=people.here,
        resident=resident,
        title="路灯坏了",
        text="村东路灯坏了。",
        category=Topic.Category.OTHER,
        witness="王五",
    )
    assert topic.reply_due_at is not None and topic.handle_due_at is not None


@pytest.mark.parametrize(
    ("field", "value"), [("reply_days", 0), ("reply_days", 61), ("handle_days", 366)]
)
def test_the_database_refuses_a_deadline_out_of_bounds(people, field, value):
    from django.db import IntegrityError, transaction

    fields = {"reply_days": 3, "handle_days": 30, field: value}
    with pytest.raises(IntegrityError), transaction.atomic():
        CategoryDeadline.objects.create(village=people.here, category="other", **fields)


# --- escalation by the beat job ------------------------------------------------------------


def test_the_beat_escalates_an_unanswered_matter_and_tells_the_town_once(
    people, django_capture_on_commit_callbacks
):
    official = official_over(people.here, phone="13900000009")
    topic = overdue(topic_in(S.RAISED, village=people.here, author=people.villager_here))
    fresh = within_deadlines(topic_in(S.RAISED, village=people.here))
    LogBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert escalation.topics_escalate_due() == 1
    assert escalation.topics_escalate_due() == 0  # safe to run twice
    topic.refresh_from_db()
    fresh.refresh_from_db()
    assert topic.escalated_to == people.here.region and topic.escalated_at is not None
    assert fresh.escalated_at is None
    event = Event.objects.get(topic=topic, kind=Event.Kind.ESCALATED)
    assert event.actor is None and event.data == {"why": "reply_overdue"}
    note = Notification.objects.get(user=official, kind=Notification.Kind.ESCALATED)
    assert note.url == topic.get_absolute_url()
    assert [t for _phone, t, _p in LogBackend.outbox] == ["topic_escalated"]
    assert Notification.objects.filter(
        user=people.villager_here, kind=Notification.Kind.STATUS
    ).exists()


def test_a_replied_matter_is_escalated_only_once_its_handling_is_late(people):
    topic = topic_in(S.DISCUSSING, village=people.here)
    Topic.objects.filter(pk=topic.pk).update(first_reply_at=timezone.now())
    overdue(topic, reply=True, handle=False)
    assert escalation.topics_escalate_due() == 0
    overdue(topic, reply=True, handle=True)
    assert escalation.topics_escalate_due() == 1
    assert Event.objects.get(topic=topic, kind="escalated").data["why"] == "handle_overdue"


# --- escalation by the villager ------------------------------------------------------------


def test_the_author_escalates_a_declined_matter_with_a_reason(people):
    topic = topic_in(S.DECLINED, village=people.here, author=people.villager_here)
    escalation.topic_escalate(actor=people.villager_here, topic=topic, reason="这是村里的事")
    topic.refresh_from_db()
    assert topic.escalated_to == people.here.region
    event = Event.objects.get(topic=topic, kind=Event.Kind.ESCALATED)
    assert event.actor == people.villager_here and event.detail == "这是村里的事"
    with pytest.raises(TalksError) as exc:
        escalation.topic_escalate(actor=people.villager_here, topic=topic, reason="再说一次")
    assert exc.value.code == "already_escalated"
    assert Event.objects.filter(topic=topic, kind=Event.Kind.ESCALATED).count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "长" * 301])
def test_a_escalation_without_a_fitting_reason_changes_nothing(people, reason):
    topic = topic_in(S.DECLINED, village=people.here, author=people.villager_here)
    with pytest.raises(TalksError):
        escalation.topic_escalate(actor=people.villager_here, topic=topic, reason=reason)
    topic.refresh_from_db()
    assert topic.escalated_at is None


def test_only_the_author_escalates(people):
    topic = topic_in(S.DECLINED, village=people.here, author=people.villager_here)
    with pytest.raises(TalksError) as exc:
        escalation.topic_escalate(actor=people.cadre_here, topic=topic, reason="我来")
    assert exc.value.code == "forbidden"
    topic.refresh_from_db()
    assert topic.escalated_at is None


def test_a_matter_within_its_deadlines_is_not_escalated(people):
    topic = within_deadlines(topic_in(S.RAISED, village=people.here, author=people.villager_here))
    with pytest.raises(TalksError) as exc:
        escalation.topic_escalate(actor=people.villager_here, topic=topic, reason="太慢")
    assert exc.value.code == "not_overdue"
    assert "declined" in str(exc.value.messages[0]) or exc.value.messages
    topic.refresh_from_db()
    assert topic.escalated_at is None and not Event.objects.filter(topic=topic).exists()


# --- the town official ---------------------------------------------------------------------


def test_an_official_of_another_town_may_not_act(people):
    topic = escalated(topic_in(S.RAISED, village=people.here, author=people.villager_here))
    stranger = official_over(people.elsewhere, username="other_official")
    with pytest.raises(TalksError) as exc:
        escalation.official_reply(actor=stranger, topic=topic, text="我来回复")
    assert exc.value.code == "forbidden"
    assert not Reply.objects.filter(topic=topic).exists()


def test_a_county_official_acts_on_a_village_below(people):
    county = RegionFactory(name="广汉市", level="county")
    town = people.here.region
    town.parent = county
    town.save()
    official = member(people.elsewhere, username="county_official")
    RegionOfficial.objects.create(user=official, region=county)
    topic = escalated(topic_in(S.RAISED, village=people.here, author=people.villager_here))
    escalation.official_reply(actor=official, topic=topic, text="市里已知悉")
    assert Reply.objects.filter(topic=topic, role="official").exists()


def test_the_official_acts_only_on_escalated_matters(people):
    official = official_over(people.here)
    topic = topic_in(S.RAISED, village=people.here, author=people.villager_here)
    with pytest.raises(TalksError) as exc:
        escalation.topic_take_over(actor=official, topic=topic)
    assert exc.value.code == "not_escalated"
    topic.refresh_from_db()
    assert topic.status == S.RAISED


def test_the_officials_reply_counts_as_the_first_reply_and_keeps_an_earlier_one(people):
    official = official_over(people.here)
    topic = escalated(topic_in(S.RAISED, village=people.here, author=people.villager_here))
    escalation.official_reply(actor=official, topic=topic, text="镇里督办")
    topic.refresh_from_db()
    first = topic.first_reply_at
    assert first is not None and topic.status == S.DISCUSSING
    escalation.official_reply(actor=official, topic=topic, text="再次督办")
    topic.refresh_from_db()
    assert topic.first_reply_at == first
    event = Event.objects.filter(topic=topic, kind=Event.Kind.REPLIED).first()
    assert event.actor == official and event.data == {"official": True}


def test_the_official_assigns_a_task_back_to_the_village(people):
    official = official_over(people.here)
    topic = escalated(topic_in(S.DECLINED, village=people.here, author=people.villager_here))
    task = escalation.official_assign(
        actor=official, topic=topic, title="三天内修好水渠", assignees=[people.cadre_here]
    )
    topic.refresh_from_db()
    assert topic.status == S.HANDLING and topic.closed_at is None
    assert task.created_by == official and task.village == people.here
    assert Notification.objects.filter(
        user=people.cadre_here, kind=Notification.Kind.TASK_ASSIGNED
    ).exists()
    with pytest.raises(TalksError):
        escalation.official_assign(
            actor=official, topic=topic, title="给村民", assignees=[people.villager_here]
        )
    assert Task.objects.filter(topic=topic).count() == 1


def test_the_official_takes_over_and_marks_handled(people):
    official = official_over(people.here)
    topic = escalated(topic_in(S.DISCUSSING, village=people.here, author=people.villager_here))
    with pytest.raises(TalksError) as exc:
        escalation.official_mark_handled(actor=official, topic=topic, note="修好了")
    assert exc.value.code == "not_taken_over"
    escalation.topic_take_over(actor=official, topic=topic, note="镇里来办")
    with pytest.raises(TalksError):
        escalation.topic_take_over(actor=official, topic=topic)
    escalation.official_mark_handled(actor=official, topic=topic, note="镇里修好了")
    topic.refresh_from_db()
    assert topic.status == S.HANDLED and topic.handled_at is not None
    kinds = list(Event.objects.filter(topic=topic).values_list("kind", "actor"))
    assert kinds == [("taken_over", official.pk), ("handled", official.pk)]


# --- "still not fixed?" --------------------------------------------------------------------


def _handled(people, days=14):
    TalksSettings.objects.update_or_create(village=people.here, defaults={"follow_up_days": days})
    topic = topic_in(S.HANDLING, village=people.here, author=people.villager_here)
    services.topic_mark_handled(actor=people.cadre_here, topic=topic, note="修好了")
    topic.refresh_from_db()
    return topic


def test_handling_schedules_the_question_after_the_villages_delay(people, monkeypatch):
    topic = _handled(people, days=10)
    question = FollowUp.objects.get(topic=topic)
    assert question.ask_at == topic.handled_at + timedelta(days=10)
    assert escalation.follow_ups_ask_due() == 0  # not yet
    later = timezone.now() + timedelta(days=10, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert escalation.follow_ups_ask_due() == 1
    assert escalation.follow_ups_ask_due() == 0  # asked once
    question.refresh_from_db()
    assert question.asked_at == later and question.expires_at > later
    assert Event.objects.filter(topic=topic, kind=Event.Kind.FOLLOW_UP).count() == 1
    note = Notification.objects.get(user=people.villager_here, kind=Notification.Kind.FOLLOW_UP)
    assert f"/follow-up/{question.pk}/" in note.url


def test_fixed_confirms_once(people):
    topic = _handled(people)
    question = asked(topic)
    escalation.follow_up_answer(actor=people.villager_here, follow_up=question, fixed=True)
    topic.refresh_from_db()
    assert topic.status == S.HANDLED
    assert Event.objects.filter(topic=topic, kind=Event.Kind.FIXED).count() == 1
    with pytest.raises(TalksError) as exc:
        escalation.follow_up_answer(actor=people.villager_here, follow_up=question, fixed=False)
    assert exc.value.code == "answered"
    question.refresh_from_db()
    topic.refresh_from_db()
    assert question.fixed is True and topic.status == S.HANDLED and topic.reopened_count == 0


def test_an_answer_after_expiry_or_by_someone_else_changes_nothing(people):
    topic = _handled(people)
    late = asked(topic, expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(TalksError) as exc:
        escalation.follow_up_answer(actor=people.villager_here, follow_up=late, fixed=True)
    assert exc.value.code == "expired"
    question = asked(topic)
    with pytest.raises(TalksError) as exc:
        escalation.follow_up_answer(actor=people.cadre_here, follow_up=question, fixed=True)
    assert exc.value.code == "forbidden"
    with pytest.raises(TalksError):  # "not fixed" says what is wrong
        escalation.follow_up_answer(actor=people.villager_here, follow_up=question, fixed=False)
    assert not FollowUp.objects.filter(answered_at__isnull=False).exists()
    assert not Event.objects.filter(topic=topic, kind__in=["fixed", "reopened"]).exists()


def test_not_fixed_reopens_without_overwriting_history(
    people, monkeypatch, django_capture_on_commit_callbacks
):
    touched = []
    monkeypatch.setattr("villageaffairs.stats.touch", lambda **kw: touched.append(kw), raising=True)
    topic = _handled(people)
    Topic.objects.filter(pk=topic.pk).update(first_reply_at=topic.created_at)
    services.topic_rate(actor=people.villager_here, topic=topic, stars=5)
    first_handled = Topic.objects.get(pk=topic.pk).handled_at
    question = asked(topic)
    with django_capture_on_commit_callbacks(execute=True):
        escalation.follow_up_answer(
            actor=people.villager_here, follow_up=question, fixed=False, note="还在漏"
        )
    topic.refresh_from_db()
    assert topic.status == S.HANDLING and topic.reopened_count == 1
    assert topic.handled_at == first_handled and topic.first_reply_at is not None
    assert topic.rating_count == 0 and topic.rating_sum == 0
    assert Rating.objects.get(topic=topic).set_aside is True
    assert topic.handle_due_at > timezone.now()
    assert Event.objects.get(topic=topic, kind=Event.Kind.REOPENED).detail == "还在漏"
    assert Notification.objects.filter(
        user=people.cadre_here, kind=Notification.Kind.REOPENED
    ).exists()
    today = timezone.localdate()
    assert touched == [
        {
            "village_id": people.here.pk,
            "days": sorted({timezone.localdate(topic.created_at), today}),
        }
    ]

    # Handled again: a new handling, the first one stays, the ratings count again.
    with django_capture_on_commit_callbacks(execute=True):
        services.topic_mark_handled(actor=people.cadre_here, topic=topic, note="这次换了管子")
    assert len(touched) == 2 and today in touched[1]["days"]
    topic.refresh_from_db()
    assert topic.handled_at == first_handled and topic.last_handled_at > first_handled
    assert topic.rating_count == 1 and topic.rating_sum == 5
    assert not Rating.objects.get(topic=topic).set_aside
    assert FollowUp.objects.filter(topic=topic, asked_at__isnull=True).count() == 1
    assert Event.objects.filter(topic=topic, kind=Event.Kind.HANDLED).count() == 2


def test_the_record_counts_reopened_matters(people):
    from talks import selectors

    topic = _handled(people)
    escalation.follow_up_answer(
        actor=people.villager_here, follow_up=asked(topic), fixed=False, note="没修好"
    )
    assert selectors.cadre_record(people.here)["reopened"] == 1


def test_a_village_without_officials_still_escalates(people):
    lonely = VillageFactory(name="孤村", slug="gucun")
    author = member(lonely, username="lonely_author")
    topic = overdue(topic_in(S.RAISED, village=lonely, author=author))
    assert escalation.topics_escalate_due() == 1
    topic.refresh_from_db()
    assert topic.escalated_to == lonely.region
