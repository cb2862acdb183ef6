"""Votes: who may cast a ballot, when, how often; closing once; publishing; rule adoption."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from talks import selectors, services
from talks.models import Ballot, Event, Notification, TalksSettings, Topic, Vote
from talks.services import TalksError
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, member
from tests.talks.factories import VoteFactory, topic_in

S = Topic.Status


def _open(people, **kwargs):
    if kwargs.get("adoption"):  # the notice period has its own tests (test_roll.py)
        TalksSettings.objects.update_or_create(
            village=people.here, defaults={"rule_vote_notice_days": 0}
        )
    author = member(people.here)
    topic = topic_in(S.DISCUSSING, village=people.here, author=author)
    kwargs.setdefault("closes_at", timezone.now() + timedelta(days=5))
    kwargs.setdefault("question", "婚前不办酒席，同意吗？")
    return services.vote_open(actor=people.cadre_here, topic=topic, **kwargs)


def _expire(vote):
    Vote.objects.filter(pk=vote.pk).update(
        opens_at=timezone.now() - timedelta(days=5), closes_at=timezone.now() - timedelta(seconds=1)
    )
    vote.refresh_from_db()


def test_open_vote_snapshots_the_electorate(people):
    vote = _open(people)
    # villager_here, cadre_here and the author are adult residents with accounts here.
    assert vote.electorate_size == 3
    assert vote.options == ["For", "Against", "Abstain"] or len(vote.options) == 3
    assert Event.objects.filter(topic=vote.topic, kind=Event.Kind.VOTE_OPENED).exists()
    notified = set(
        Notification.objects.filter(kind=Notification.Kind.VOTE_OPENED).values_list(
            "user_id", flat=True
        )
    )
    assert people.villager_here.pk in notified and people.villager_elsewhere.pk not in notified


def test_a_ballot_is_counted_once(people):
    vote = _open(people)
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    with pytest.raises(TalksError) as exc:
        services.ballot_cast(actor=people.villager_here, vote=vote, choice=1)
    assert exc.value.code == "duplicate"
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_outsiders_are_not_in_the_electorate(people):
    vote = _open(people)
    for outsider in (people.villager_elsewhere, people.cadre_elsewhere, UserFactory()):
        with pytest.raises(TalksError) as exc:
            services.ballot_cast(actor=outsider, vote=vote, choice=0)
        assert exc.value.code == "not_eligible"
    assert not Ballot.objects.filter(vote=vote).exists()


def test_children_do_not_vote(people):
    child = member(people.here)
    child.resident.year_of_birth = timezone.now().year - 10
    child.resident.save()
    vote = _open(people)
    with pytest.raises(TalksError):
        services.ballot_cast(actor=child, vote=vote, choice=0)


def test_one_ballot_per_household(people):
    home = HouseholdFactory(village=people.here)
    father = member(people.here, household=home)
    mother = member(people.here, household=home)
    home.head = father.resident
    home.save()
    vote = _open(people, electorate=Vote.Electorate.HOUSEHOLDS)
    services.ballot_cast(actor=father, vote=vote, choice=0)
    with pytest.raises(TalksError) as exc:
        services.ballot_cast(actor=father, vote=vote, choice=1)
    assert exc.value.code == "duplicate"
    # The household votes through its head (or the member the head names), nobody else.
    with pytest.raises(TalksError) as exc:
        services.ballot_cast(actor=mother, vote=vote, choice=1)
    assert exc.value.code == "not_eligible"
    assert Ballot.objects.get(vote=vote).voter_key == f"h{home.pk}"


def test_the_head_may_name_another_member_to_vote_for_the_household(people):
    home = HouseholdFactory(village=people.here)
    father = member(people.here, household=home)
    daughter = member(people.here, household=home)
    home.head, home.representative = father.resident, daughter.resident
    home.save()
    vote = _open(people, electorate=Vote.Electorate.HOUSEHOLDS)
    with pytest.raises(TalksError):
        services.ballot_cast(actor=father, vote=vote, choice=0)
    services.ballot_cast(actor=daughter, vote=vote, choice=0)
    assert Ballot.objects.get(vote=vote).voter == daughter


def test_a_bad_choice_is_refused(people):
    vote = _open(people)
    for choice in (-1, 3, "x", None):
        with pytest.raises(TalksError):
            services.ballot_cast(actor=people.villager_here, vote=vote, choice=choice)


def test_a_ballot_after_the_closing_time_is_refused_before_the_job_ran(people):
    vote = _open(people)
    _expire(vote)
    with pytest.raises(TalksError) as exc:
        services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    assert exc.value.code == "closed"


def test_a_ballot_after_the_close_is_refused(people):
    vote = _open(people)
    services.vote_close(actor=people.cadre_here, vote=vote)
    with pytest.raises(TalksError):
        services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_ballot_before_the_opening_is_refused(people):
    vote = _open(people, opens_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(TalksError) as exc:
        services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    assert exc.value.code == "not_open"


def test_the_beat_job_closes_due_votes_once(people):
    vote = _open(people, quorum=Vote.Quorum.HALF)
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    services.ballot_cast(actor=people.cadre_here, vote=vote, choice=1)
    services.ballot_cast(actor=vote.topic.author, vote=vote, choice=0)
    later = _open(people)
    _expire(vote)
    assert services.votes_close_due() == 1
    assert services.votes_close_due() == 0
    assert services.vote_close(vote=vote) is None
    vote.refresh_from_db()
    later.refresh_from_db()
    assert later.closed_at is None
    assert vote.counts == [2, 1, 0] and vote.ballots_cast == 3
    assert vote.quorum_met is True and vote.passed is True
    assert Event.objects.filter(topic=vote.topic, kind=Event.Kind.VOTE_CLOSED).count() == 1
    event = Event.objects.get(topic=vote.topic, kind=Event.Kind.VOTE_CLOSED)
    assert event.data["counts"] == [2, 1, 0] and event.data["passed"] is True
    _expire(later)
    assert services.votes_close_due() == 1
    closed = Notification.objects.filter(kind=Notification.Kind.VOTE_CLOSED)
    # Each author is sent to their own topic's page.
    assert sorted(closed.values_list("url", flat=True)) == sorted(
        [vote.topic.get_absolute_url(), later.topic.get_absolute_url()]
    )
    assert vote.topic_id != later.topic_id


def test_a_vote_without_quorum_fails(people):
    for _ in range(4):
        member(people.here)
    vote = _open(people, quorum=Vote.Quorum.HALF)
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    closed = services.vote_close(actor=people.cadre_here, vote=vote)
    assert closed.quorum_met is False and closed.passed is False


def test_the_result_is_on_the_village_home(people, client):
    vote = _open(people)
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    services.vote_close(actor=people.cadre_here, vote=vote)
    assert selectors.recent_results(people.here)[0].pk == vote.pk
    page = client.get(f"/v/{people.here.slug}/")
    assert vote.question in page.content.decode()


def test_a_villager_cannot_close_a_vote(people):
    vote = _open(people)
    with pytest.raises(TalksError):
        services.vote_close(actor=people.villager_here, vote=vote)
    vote.refresh_from_db()
    assert vote.closed_at is None


@pytest.mark.parametrize(
    "bad",
    [
        {"closes_at": timezone.now() - timedelta(hours=1)},
        {"options": ["同意"]},
        {"options": ["同意", "同意"]},
        {"question": "   "},
        {"question": "x" * 301},
        {"electorate": "cats"},
        {"adoption": "new_rule", "adoption_data": {"text": "", "category": "civility"}},
        {"adoption": "new_rule", "adoption_data": {"text": "不办酒席", "category": "nope"}},
        {"adoption": "change_rule", "adoption_rule_id": 999999, "adoption_data": {"text": "x"}},
    ],
)
def test_bad_votes_are_refused(people, bad):
    with pytest.raises(TalksError):
        _open(people, **bad)
    assert not Vote.objects.exists()


def test_a_passed_vote_adopts_a_new_rule(people, django_capture_on_commit_callbacks):
    from points.models import Rule, RuleRevision

    vote = _open(
        people,
        adoption=Vote.Adoption.NEW_RULE,
        adoption_data={"text": "婚前不办酒席", "category": "civility", "points": 0},
    )
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    services.ballot_cast(actor=people.cadre_here, vote=vote, choice=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(actor=people.cadre_here, vote=vote)
    rule = Rule.objects.get(village=people.here, text="婚前不办酒席")
    assert rule.points == 0
    revision = RuleRevision.objects.get(rule=rule)
    assert str(vote.topic.pk) in revision.note
    if hasattr(revision, "adopted_by_topic_id"):
        assert revision.adopted_by_topic_id == vote.topic.pk
    vote.refresh_from_db()
    assert vote.adopted_at is not None and vote.adoption_rule_id == rule.pk
    assert services.vote_adopt(vote_id=vote.pk) is None  # twice: nothing more
    assert Rule.objects.filter(village=people.here).count() == 1
    assert Event.objects.filter(topic=vote.topic, kind=Event.Kind.RULE_ADOPTED).count() == 1


def test_a_passed_vote_changes_a_rule(people, django_capture_on_commit_callbacks):
    from points import services as points_services

    rule = points_services.rule_create(
        actor=people.cadre_here, village=people.here, category="civility", text="酒席从简", points=5
    )
    vote = _open(
        people,
        quorum=Vote.Quorum.NONE,
        adoption=Vote.Adoption.CHANGE_RULE,
        adoption_rule_id=rule.pk,
        adoption_data={"points": 10},
    )
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(actor=people.cadre_here, vote=vote)
    rule.refresh_from_db()
    assert rule.points == 10
    assert rule.revisions.count() == 2


def test_a_failed_vote_adopts_nothing(people, django_capture_on_commit_callbacks):
    from points.models import Rule

    vote = _open(
        people,
        adoption=Vote.Adoption.NEW_RULE,
        adoption_data={"text": "婚前不办酒席", "category": "civility", "points": 0},
    )
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(actor=people.cadre_here, vote=vote)
    assert not Rule.objects.filter(village=people.here).exists()


def test_live_results_can_be_hidden_until_the_close(people):
    vote = _open(people, live_results=False, secret=True)
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    rows = selectors.topic_page(vote.topic, people.villager_here)["votes"]
    # A secret ballot is not shown back, not even to its voter: only that they voted.
    assert rows[0]["results"] is None and rows[0]["my_choice"] is None and rows[0]["voted"]
    services.vote_close(actor=people.cadre_here, vote=vote)
    rows = selectors.topic_page(vote.topic, people.villager_here)["votes"]
    assert rows[0]["results"][0]["count"] == 1


def test_vote_factory_builds(people):
    assert VoteFactory(topic=topic_in(S.DISCUSSING, village=people.here)).pk
    assert ResidentFactory


def _ballots_url(vote):
    return reverse("talks:ballots", args=[vote.village.slug, vote.topic_id, vote.pk])


def test_an_open_ballot_shows_members_who_chose_what(client, people, django_assert_num_queries):
    voters = [member(people.here) for _ in range(3)]
    vote = _open(people)
    for voter, choice in zip(voters, (0, 0, 1), strict=True):
        services.ballot_cast(actor=voter, vote=vote, choice=choice)
    client.force_login(people.villager_here)
    body = client.get(vote.topic.get_absolute_url()).content.decode()
    assert _ballots_url(vote) in body  # linked from the topic
    response = client.get(_ballots_url(vote))
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [(b.voter, b.option_label) for b in rows] == [
        (voters[0], "赞成"),
        (voters[1], "赞成"),
        (voters[2], "反对"),
    ]
    body = response.content.decode()
    assert all(str(v) in body for v in voters)
    # Names of other villages' votes stay in their village.
    client.force_login(people.villager_elsewhere)
    assert client.get(_ballots_url(vote)).status_code == 404


def test_ballot_list_query_count_does_not_grow_with_ballots(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    voters = [member(people.here) for _ in range(16)]
    vote = _open(people)
    services.ballot_cast(actor=voters[0], vote=vote, choice=0)
    client.force_login(people.villager_here)
    with CaptureQueriesContext(connection) as few:
        client.get(_ballots_url(vote))
    for voter in voters[1:]:
        services.ballot_cast(actor=voter, vote=vote, choice=1)
    with CaptureQueriesContext(connection) as many:
        assert client.get(_ballots_url(vote)).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    "kwargs", [{"secret": True}, {"live_results": False}], ids=["secret", "hidden-until-close"]
)
def test_secret_or_hidden_ballots_show_no_names(client, people, kwargs):
    voter = member(people.here)
    vote = _open(people, **kwargs)
    services.ballot_cast(actor=voter, vote=vote, choice=0)
    client.force_login(people.cadre_here)
    assert client.get(_ballots_url(vote)).status_code == 404
    assert _ballots_url(vote) not in client.get(vote.topic.get_absolute_url()).content.decode()


# --- issue 10: a rule-change vote cannot carry points a rule may not have --------------------


@pytest.mark.parametrize("points", [10_001, -10_001, 10**12, 10**30])
def test_a_vote_with_out_of_range_rule_points_is_not_opened(people, points):
    with pytest.raises(TalksError) as info:
        _open(
            people,
            adoption=Vote.Adoption.NEW_RULE,
            adoption_data={"text": "婚前不办酒席", "category": "civility", "points": points},
        )
    assert "rule_points" in info.value.message_dict
    assert not Vote.objects.exists()


def test_the_vote_form_bounds_rule_points_like_the_rule(people):
    from talks.forms import VoteForm

    data = {
        "question": "婚前不办酒席，同意吗？",
        "electorate": "residents",
        "quorum": "half",
        "threshold": "majority",
        "closes_at": "2026-12-31T10:00",
        "adoption": "new_rule",
        "rule_category": "civility",
        "rule_text": "婚前不办酒席",
    }
    assert VoteForm({**data, "rule_points": "10000"}, village=people.here).is_valid()
    form = VoteForm({**data, "rule_points": "10001"}, village=people.here)
    assert not form.is_valid() and "rule_points" in form.errors


def _passed_with_bad_adoption(people, adoption_data, **kwargs):
    vote = _open(
        people,
        quorum=Vote.Quorum.NONE,
        adoption=kwargs.pop("adoption", Vote.Adoption.NEW_RULE),
        adoption_data={"text": "婚前不办酒席", "category": "civility", "points": 5},
        **kwargs,
    )
    # What the admin's JSON field (or a vote opened before the bounds) may hold.
    Vote.objects.filter(pk=vote.pk).update(adoption_data=adoption_data)
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    return vote


@pytest.mark.parametrize(
    "adoption_data",
    [
        {"text": "婚前不办酒席", "category": "civility", "points": 10**12},
        {"text": "婚前不办酒席", "category": "civility", "points": "many"},
        {"text": "", "category": "civility", "points": 5},
        {"category": "civility"},
    ],
)
def test_closing_a_vote_whose_adoption_fails_records_the_failure(
    client, people, django_capture_on_commit_callbacks, adoption_data
):
    from points.models import Rule

    vote = _passed_with_bad_adoption(people, adoption_data)
    client.force_login(people.cadre_here)
    url = reverse("talks:vote_close", args=["youyi", vote.topic.pk, vote.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302  # it was a 500, and the adoption could never happen
    vote.refresh_from_db()
    assert vote.closed_at is not None and vote.passed is True
    assert vote.adopted_at is None and vote.adoption_error
    assert not Rule.objects.filter(village=people.here).exists()
    # The beat's retry finds nothing to do: the failure is recorded, not retried for ever.
    assert services.vote_adopt(vote_id=vote.pk) is None
    page = client.get(reverse("talks:detail", args=["youyi", vote.topic.pk]))
    assert page.status_code == 200 and vote.adoption_error in page.content.decode()


def test_a_vote_changing_a_deleted_rule_closes_with_the_failure_recorded(
    people, django_capture_on_commit_callbacks
):
    from points import services as points_services
    from points.models import Rule

    rule = points_services.rule_create(
        actor=people.cadre_here, village=people.here, category="civility", text="酒席从简", points=5
    )
    vote = _open(
        people,
        quorum=Vote.Quorum.NONE,
        adoption=Vote.Adoption.CHANGE_RULE,
        adoption_rule_id=rule.pk,
        adoption_data={"points": 10},
    )
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    Vote.objects.filter(pk=vote.pk).update(adoption_rule_id=rule.pk + 1000)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(actor=people.cadre_here, vote=vote)
    vote.refresh_from_db()
    assert vote.passed and vote.adoption_error and vote.adopted_at is None
    assert Rule.objects.get(pk=rule.pk).points == 5


@pytest.mark.parametrize(
    "change",
    [
        {"options": "同意"},
        {"options": ["同意"]},
        {"options": ["同意", 3]},
        {"adoption_data": {"points": 10**9}},
        {"adoption_data": {"points": "5"}},
        {"adoption_data": ["points"]},
    ],
)
def test_the_admin_cannot_store_a_bad_vote(people, change):
    from django.core.exceptions import ValidationError

    vote = _open(people)
    for field, value in change.items():
        setattr(vote, field, value)
    with pytest.raises(ValidationError):
        vote.full_clean()
