"""The electoral roll: written when a vote opens, checked when casting, corrected in the open;
rule votes announced ahead and their adoption checked at the opening."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from talks import services
from talks.models import Event, Notification, Participation, RollEntry, TalksSettings, Topic, Vote
from talks.services import TalksError
from tests.factories import ResidentFactory, member
from tests.talks.factories import topic_in
from villageaffairs.audit import AuditEntry
from villageaffairs.models import Role

S = Topic.Status


def _open(people, **kwargs):
    topic = topic_in(S.DISCUSSING, village=people.here, author=people.villager_here)
    kwargs.setdefault("closes_at", timezone.now() + timedelta(days=5))
    kwargs.setdefault("question", "修新广场，同意吗？")
    return services.vote_open(actor=people.cadre_here, topic=topic, **kwargs)


def _roll_names(vote):
    return set(RollEntry.objects.filter(vote=vote, removed_at=None).values_list("name", flat=True))


def test_the_roll_is_every_registered_adult_with_or_without_an_account(people):
    home = people.villager_here.resident.household
    grandma = ResidentFactory(household=home, name="奶奶", year_of_birth=1940)  # no phone
    ResidentFactory(household=home, name="孙子", year_of_birth=timezone.now().year - 10)
    ResidentFactory(household=home, name="外出", year_of_birth=1980, registered=False)
    vote = _open(people)
    names = _roll_names(vote)
    assert grandma.name in names and "孙子" not in names and "外出" not in names
    assert vote.electorate_size == len(names) == RollEntry.objects.filter(vote=vote).count()


def test_eighteen_is_counted_on_the_opening_date(people):
    home = people.villager_here.resident.household
    opens = timezone.now() + timedelta(days=3)
    day = timezone.localtime(opens).date()
    ResidentFactory(household=home, name="刚满", born_on=day.replace(year=day.year - 18))
    ResidentFactory(
        household=home, name="差一天", born_on=day.replace(year=day.year - 18) + timedelta(days=1)
    )
    vote = _open(people, opens_at=opens, closes_at=opens + timedelta(days=2))
    names = _roll_names(vote)
    assert "刚满" in names and "差一天" not in names
    assert services._adult_on(date(2028, 2, 29)) == date(2010, 2, 28)


def test_casting_checks_the_roll_only(people):
    vote = _open(people)
    latecomer = member(people.here)  # an adult resident added after the opening
    with pytest.raises(TalksError) as exc:
        services.ballot_cast(actor=latecomer, vote=vote, choice=0)
    assert exc.value.code == "not_eligible"
    assert not Participation.objects.filter(vote=vote).exists()
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    services.vote_close(actor=people.cadre_here, vote=vote)
    vote.refresh_from_db()
    assert vote.ballots_cast <= vote.electorate_size  # turnout cannot pass 100%


def test_a_correction_adds_a_voter_audited_on_the_timeline_and_grows_the_base(people):
    vote = _open(people)
    size = vote.electorate_size
    latecomer = member(people.here)
    services.roll_add(
        actor=people.cadre_here, vote=vote, resident=latecomer.resident, reason="迁回户口"
    )
    vote.refresh_from_db()
    assert vote.electorate_size == size + 1
    event = Event.objects.get(topic=vote.topic, kind=Event.Kind.ROLL_CORRECTED)
    assert "迁回户口" in event.detail and event.actor == people.cadre_here
    assert AuditEntry.objects.filter(action="vote.roll_add").exists()
    services.ballot_cast(actor=latecomer, vote=vote, choice=0)


def test_a_correction_removes_only_someone_who_has_not_voted(people):
    other = member(people.here)
    vote = _open(people)
    size = vote.electorate_size
    services.ballot_cast(actor=people.villager_here, vote=vote, choice=0)
    with pytest.raises(TalksError) as exc:
        services.roll_remove(
            actor=people.cadre_here,
            vote=vote,
            resident=people.villager_here.resident,
            reason="已去世",
        )
    assert exc.value.code == "voted"
    services.roll_remove(actor=people.cadre_here, vote=vote, resident=other.resident, reason="迁出")
    vote.refresh_from_db()
    assert vote.electorate_size == size - 1
    with pytest.raises(TalksError):
        services.ballot_cast(actor=other, vote=vote, choice=0)


def test_corrections_are_refused_after_the_close_and_to_villagers(people):
    latecomer = member(people.here)
    vote = _open(people)
    with pytest.raises(TalksError):
        services.roll_add(
            actor=people.villager_here, vote=vote, resident=latecomer.resident, reason="x"
        )
    services.vote_close(actor=people.cadre_here, vote=vote)
    with pytest.raises(TalksError) as exc:
        services.roll_add(
            actor=people.cadre_here, vote=vote, resident=latecomer.resident, reason="晚了"
        )
    assert exc.value.code == "closed"
    with pytest.raises(TalksError):  # another village's resident
        services.roll_add(
            actor=people.cadre_here,
            vote=_open(people),
            resident=people.villager_elsewhere.resident,
            reason="x",
        )


def test_the_roll_page_shows_names_to_members_and_takes_corrections(client, people):
    vote = _open(people)
    latecomer = member(people.here)
    url = reverse("talks:roll", args=[people.here.slug, vote.topic_id, vote.pk])
    client.force_login(people.villager_here)
    body = client.get(url).content.decode()
    assert people.villager_here.resident.name in body and "roll/correct/" not in body
    client.force_login(people.cadre_here)
    fix = reverse("talks:roll_correct", args=[people.here.slug, vote.topic_id, vote.pk])
    bad = client.post(fix, {"action": "remove", "resident": latecomer.resident.pk, "reason": "x"})
    assert bad.status_code == 400
    ok = client.post(fix, {"action": "add", "resident": latecomer.resident.pk, "reason": "补登"})
    assert ok.status_code == 302
    assert latecomer.resident.name in client.get(url).content.decode()


def test_a_rule_vote_is_announced_ten_days_ahead_to_every_member(people):
    adoption = {
        "adoption": Vote.Adoption.NEW_RULE,
        "adoption_data": {"text": "婚前不办酒席", "category": "civility", "points": 0},
    }
    with pytest.raises(TalksError) as exc:
        _open(people, **adoption)
    assert "opens_at" in exc.value.message_dict
    assert not Vote.objects.exists()
    opens = timezone.now() + timedelta(days=10, minutes=1)
    finance = member(people.here, Role.FINANCE_GROUP)
    vote = _open(people, opens_at=opens, closes_at=opens + timedelta(days=5), **adoption)
    assert Event.objects.filter(topic=vote.topic, kind=Event.Kind.VOTE_ANNOUNCED).exists()
    told = set(
        Notification.objects.filter(kind=Notification.Kind.VOTE_NOTICE).values_list(
            "user_id", flat=True
        )
    )
    assert {people.villager_here.pk, people.cadre_here.pk, finance.pk} <= told
    assert people.villager_elsewhere.pk not in told


def test_the_notice_period_is_a_village_setting(people):
    TalksSettings.objects.create(village=people.here, rule_vote_notice_days=3)
    opens = timezone.now() + timedelta(days=3, minutes=1)
    vote = _open(
        people,
        opens_at=opens,
        closes_at=opens + timedelta(days=5),
        adoption=Vote.Adoption.NEW_RULE,
        adoption_data={"text": "垃圾分类", "category": "civility", "points": 5},
    )
    assert vote.pk


@pytest.mark.parametrize(
    "data",
    [
        {"text": "", "category": "civility", "points": 0},
        {"text": "x", "category": "nonsense", "points": 0},
        {"text": "x", "category": "civility", "points": "many"},
        {"text": "x", "category": "civility", "points": 100000},
    ],
    ids=["no-text", "bad-category", "not-a-number", "points-out-of-range"],
)
def test_what_a_vote_would_adopt_is_checked_at_the_opening(people, data):
    TalksSettings.objects.create(village=people.here, rule_vote_notice_days=0)
    with pytest.raises(TalksError):
        _open(people, adoption=Vote.Adoption.NEW_RULE, adoption_data=data)
    assert not Vote.objects.exists() and not RollEntry.objects.exists()
