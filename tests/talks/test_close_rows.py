"""Closing votes writes its timeline events and notifications with every field set as the
generic path (Django's bulk_create) sets it; on PostgreSQL one statement per 1,000 votes
writes the results, the events and the notifications (talks.services._CLOSE_SQL)."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from talks import services
from talks.models import Event, Notification, Topic, Vote
from tests.factories import member
from tests.talks.factories import topic_in

S = Topic.Status
OPTIONS = ["赞成", "反对", "弃权"]


def _due_vote(people, question, author=None, **kwargs):
    author = author or member(people.here)
    topic = topic_in(S.DISCUSSING, village=people.here, author=author)
    vote = services.vote_open(
        actor=people.cadre_here,
        topic=topic,
        question=question,
        options=OPTIONS,
        closes_at=timezone.now() + timedelta(days=5),
        **kwargs,
    )
    return vote


def _expire(*votes):
    Vote.objects.filter(pk__in=[v.pk for v in votes]).update(
        opens_at=timezone.now() - timedelta(days=5), closes_at=timezone.now() - timedelta(seconds=1)
    )


def _fields(model) -> set[str]:
    return {f.attname for f in model._meta.concrete_fields}


def test_the_beat_writes_every_field_of_the_closing_event_and_notification(people):
    passed = _due_vote(people, "婚前不办酒席，同意吗？", quorum=Vote.Quorum.HALF)
    services.ballot_cast(actor=people.villager_here, vote=passed, choice=0)
    services.ballot_cast(actor=passed.topic.author, vote=passed, choice=0)
    services.ballot_cast(actor=people.cadre_here, vote=passed, choice=1)
    empty = _due_vote(people, "x" * 295, quorum=Vote.Quorum.NONE)
    _expire(passed, empty)
    now = timezone.now()
    with translation.override("zh-hans"):
        assert services.votes_close_due(now=now) == 2

    events = {
        e["data"]["vote"]: e for e in Event.objects.filter(kind=Event.Kind.VOTE_CLOSED).values()
    }
    notes = {
        n["user_id"]: n
        for n in Notification.objects.filter(kind=Notification.Kind.VOTE_CLOSED).values()
    }
    assert set(events) == {passed.pk, empty.pk} and len(notes) == 2
    assert passed.electorate_size == 3
    expected_events = {
        passed.pk: {
            "village_id": people.here.pk,
            "topic_id": passed.topic_id,
            "actor_id": None,
            "kind": "vote_closed",
            "step": True,  # a step of the matter: the topic page's frame shows it
            "detail": "婚前不办酒席，同意吗？",
            "data": {
                "vote": passed.pk,
                "counts": [2, 1, 0],
                "options": OPTIONS,
                "ballots": 3,
                "turnout": "100.0",
                "quorum_met": True,
                "passed": True,
            },
            "created_at": now,
        },
        empty.pk: {
            "village_id": people.here.pk,
            "topic_id": empty.topic_id,
            "actor_id": None,
            "kind": "vote_closed",
            "step": True,  # a step of the matter: the topic page's frame shows it
            "detail": "x" * 295,
            "data": {
                "vote": empty.pk,
                "counts": [0, 0, 0],
                "options": OPTIONS,
                "ballots": 0,
                "turnout": "0.0",
                "quorum_met": True,
                "passed": False,
            },
            "created_at": now,
        },
    }
    for pk, want in expected_events.items():
        row = dict(events[pk])
        del row["id"]
        assert set(row) | {"id"} == _fields(Event)  # a new field must be added here
        assert row == want

    def note(vote, text):
        return {
            "user_id": vote.topic.author_id,
            "village_id": people.here.pk,
            "kind": "vote_closed",
            "text": text,
            "url": vote.topic.get_absolute_url(),
            "created_at": now,
            "read_at": None,
            "sms_claimed_at": None,
            "sms_sent_at": None,
        }

    expected_notes = {
        passed.topic.author_id: note(passed, "表决结束（通过）：婚前不办酒席，同意吗？"),
        empty.topic.author_id: note(empty, "表决结束（未通过）：" + "x" * 290),
    }
    for user_id, want in expected_notes.items():
        row = dict(notes[user_id])
        del row["id"]
        assert set(row) | {"id"} == _fields(Notification)  # a new field must be added here
        assert row == want
    # Not texted, so closing writes no SMS outbox row; were it made an SMS kind, closing would
    # have to enqueue the texts as notify() does.
    assert Notification.Kind.VOTE_CLOSED not in Notification.SMS_KINDS


def _closed_rows(vote):
    event = Event.objects.filter(topic_id=vote.topic_id, kind=Event.Kind.VOTE_CLOSED).values()
    note = Notification.objects.filter(
        user_id=vote.topic.author_id, kind=Notification.Kind.VOTE_CLOSED
    ).values()
    assert len(event) == 1 and len(note) == 1
    return event[0], note[0]


@pytest.mark.parametrize(
    "question, choices, kwargs",
    [
        ("婚前不办酒席，同意吗？", [0, 0, 1], {"quorum": Vote.Quorum.HALF}),
        ("修 " + "路" * 297, [1], {"quorum": Vote.Quorum.HALF}),  # fails; the text is cut at 300
        ("没人投票？", [], {"quorum": Vote.Quorum.NONE}),
        ("广场建在哪里？", [2, 0, 2], {"quorum": Vote.Quorum.HALF, "secret": True}),
    ],
)
def test_the_postgresql_close_writes_what_the_generic_close_writes(
    people, monkeypatch, question, choices, kwargs
):
    if not services._native_close():
        pytest.skip("the one-statement close is the PostgreSQL path; elsewhere it is bulk_create")
    voters = [people.villager_here, people.cadre_here, member(people.here)]
    authors = [member(people.here) for _ in range(2)]  # both on both rolls
    native, generic = (_due_vote(people, question, author=a, **kwargs) for a in authors)
    for vote in (native, generic):
        for voter, choice in zip(voters, choices, strict=False):
            services.ballot_cast(actor=voter, vote=vote, choice=choice)
    now = timezone.now()
    _expire(native)
    with translation.override("zh-hans"):
        assert services.votes_close_due(now=now) == 1
        _expire(generic)
        monkeypatch.setattr(services, "_native_close", lambda: False)
        assert services.votes_close_due(now=now) == 1
    rows = {}
    for vote in (native, generic):
        vote.refresh_from_db()
        event, note = _closed_rows(vote)
        # What differs between the two votes, by design: their ids, topics and authors.
        assert event.pop("topic_id") == vote.topic_id
        assert event["data"].pop("vote") == vote.pk
        assert note.pop("user_id") == vote.topic.author_id
        assert note.pop("url") == vote.topic.get_absolute_url()
        assert event["data"]["counts"] == vote.counts and event["data"]["ballots"] == len(choices)
        del event["id"], note["id"]
        rows[vote.pk] = (event, note)
    assert rows[native.pk] == rows[generic.pk]
    assert (native.counts, native.passed, native.quorum_met, native.ballots_cast) == (
        generic.counts,
        generic.passed,
        generic.quorum_met,
        generic.ballots_cast,
    )
    event, note = rows[native.pk]
    assert set(event) | {"id", "topic_id"} == _fields(Event)
    assert set(note) | {"id", "user_id", "url"} == _fields(Notification)
    assert event["created_at"] == note["created_at"] == now
    assert note["text"].startswith("表决结束（") and len(note["text"]) <= 300
