"""Secret votes: who voted, the anonymous ballots and the receipt codes are kept apart, with
nothing that joins them; the receipts, the totals and the participants agree; the supervisory
committee's recount equals the totals; bad input is refused and changes nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from talks import selectors, services
from talks.models import Ballot, Participation, Receipt, RollEntry, SecretBallot, Topic, Vote
from talks.services import RECEIPT_ALPHABET, TalksError
from tests.factories import UserFactory, VillageFactory, member
from tests.talks.factories import topic_in
from villageaffairs.audit import AuditEntry
from villageaffairs.models import Role

S = Topic.Status


def _secret(village, cadre, **kwargs):
    topic = topic_in(S.DISCUSSING, village=village)
    return services.vote_open(
        actor=cadre,
        topic=topic,
        question="新健身广场建在哪里？",
        options=["村委会旁", "小学后面", "河边"],
        closes_at=timezone.now() + timedelta(days=3),
        secret=True,
        quorum=Vote.Quorum.NONE,
        **kwargs,
    )


def test_the_tables_cannot_join_a_secret_ballot_to_a_person(people):
    """The schema: a secret ballot and a receipt carry a random key, the village and the vote,
    and the choice or the code; no time, no sequence, no column pointing at a person, the roll,
    the participation or each other."""
    for model, own in ((SecretBallot, {"choice"}), (Receipt, {"code"})):
        columns = {f.column for f in model._meta.concrete_fields}
        assert columns == {"id", "village_id", "vote_id"} | own, model
        assert model._meta.pk.get_internal_type() == "UUIDField"
        relations = {f.related_model for f in model._meta.concrete_fields if f.is_relation}
        assert {r._meta.label for r in relations} == {"villageaffairs.Village", "talks.Vote"}
        assert not model._meta.ordering
    participation = {f.column for f in Participation._meta.concrete_fields}
    assert not {"choice", "code", "ballot_id", "receipt_id"} & participation
    # The day only: a time could be lined up with the order ballots are written in.
    assert Participation._meta.get_field("voted_on").get_internal_type() == "DateField"
    with connection.cursor() as cursor:
        for model in (SecretBallot, Receipt):
            table = model._meta.db_table
            described = connection.introspection.get_table_description(cursor, table)
            assert {c.name for c in described} == {f.column for f in model._meta.concrete_fields}


def test_the_rows_a_real_secret_vote_writes_name_no_one(people):
    voters = [member(people.here) for _ in range(5)]
    vote = _secret(people.here, people.cadre_here)
    codes = [
        services.ballot_cast(actor=v, vote=vote, choice=i % 3).receipt for i, v in enumerate(voters)
    ]
    assert not Ballot.objects.filter(vote=vote).exists()  # nothing with a voter and a choice
    ballots = list(SecretBallot.objects.filter(vote=vote).values())
    receipts = list(Receipt.objects.filter(vote=vote).values())
    people_ids = {v.pk for v in voters} | {v.resident.pk for v in voters}
    people_ids |= set(RollEntry.objects.filter(vote=vote).values_list("pk", flat=True))
    people_ids |= set(Participation.objects.filter(vote=vote).values_list("pk", flat=True))
    for row in ballots + receipts:
        assert set(row) <= {"id", "village_id", "vote_id", "choice", "code"}
        assert not str(row["id"]).isdigit()  # a random UUID, not a sequence
    assert sorted(r["code"] for r in receipts) == sorted(codes)
    # The receipt code is kept nowhere with a name: not in the audit trail, not in an inbox.
    from talks.models import Event, Notification

    for code in codes:
        assert len(code) == 8 and set(code) <= set(RECEIPT_ALPHABET)
        assert not AuditEntry.objects.filter(changes__icontains=code).exists()
        assert not Notification.objects.filter(text__icontains=code).exists()
        assert not Event.objects.filter(detail__icontains=code).exists()
    assert Participation.objects.filter(vote=vote).count() == 5
    assert people_ids  # participation names people: that is its job, and all it holds
    # At the close the ballots and receipts are rewritten in random order with new keys.
    before = {r["id"] for r in ballots + receipts}
    services.vote_close(actor=people.cadre_here, vote=vote)
    after = set(SecretBallot.objects.filter(vote=vote).values_list("id", flat=True))
    after |= set(Receipt.objects.filter(vote=vote).values_list("id", flat=True))
    assert len(after) == 10 and not before & after
    assert sorted(Receipt.objects.filter(vote=vote).values_list("code", flat=True)) == sorted(codes)


def test_a_secret_vote_shows_no_running_totals(client, people):
    voter = member(people.here)
    vote = _secret(people.here, people.cadre_here)
    services.ballot_cast(actor=voter, vote=vote, choice=2)
    row = selectors.topic_page(vote.topic, voter)["votes"][0]
    assert row["results"] is None and row["my_choice"] is None and row["voted"]
    client.force_login(voter)
    receipts = reverse("talks:receipts", args=[people.here.slug, vote.topic_id, vote.pk])
    body = client.get(receipts).content.decode()
    assert "河边" not in body  # no totals, no codes before the close


def test_the_voter_sees_the_receipt_once_and_finds_it_after_the_close(client, people):
    voter = member(people.here)
    vote = _secret(people.here, people.cadre_here)
    client.force_login(voter)
    url = reverse("talks:ballot", args=[people.here.slug, vote.topic_id, vote.pk])
    response = client.post(url, {"choice": 1})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    code = response.context["code"]
    assert f"{code[:4]}-{code[4:]}" in response.content.decode()
    assert "小学后面" not in response.content.decode()  # never next to the choice
    assert code not in client.get(vote.topic.get_absolute_url()).content.decode()
    services.vote_close(actor=people.cadre_here, vote=vote)
    receipts = reverse("talks:receipts", args=[people.here.slug, vote.topic_id, vote.pk])
    page = client.get(receipts, {"code": f"{code[:4].lower()}-{code[4:]}"})
    assert page.context["found"] is True and code in page.content.decode()
    assert voter.resident.name in page.content.decode()  # members see who voted
    client.logout()
    public = client.get(receipts).content.decode()
    assert code in public and voter.resident.name not in public


def test_an_unknown_receipt_code_is_said_plainly(client, people):
    vote = _secret(people.here, people.cadre_here)
    services.vote_close(actor=people.cadre_here, vote=vote)
    receipts = reverse("talks:receipts", args=[people.here.slug, vote.topic_id, vote.pk])
    page = client.get(receipts, {"code": "ZZZZ-ZZZZ"})
    assert page.status_code == 200 and page.context["found"] is False
    assert "ZZZZZZZZ" in page.content.decode()
    assert not Receipt.objects.exists()


def test_bad_ballots_are_refused_and_change_nothing(people):
    voter = member(people.here)
    vote = _secret(people.here, people.cadre_here)
    outsider = member(people.here)  # added after the opening: not on the roll
    services.ballot_cast(actor=voter, vote=vote, choice=0)
    before = [m.objects.filter(vote=vote).count() for m in (Participation, SecretBallot, Receipt)]
    for actor, choice, code in (
        (outsider, 0, "not_eligible"),
        (voter, 1, "duplicate"),
        (people.villager_elsewhere, 0, "not_eligible"),
        (UserFactory(), 0, "not_eligible"),
    ):
        with pytest.raises(TalksError) as exc:
            services.ballot_cast(actor=actor, vote=vote, choice=choice)
        assert exc.value.code == code
    after = [m.objects.filter(vote=vote).count() for m in (Participation, SecretBallot, Receipt)]
    assert before == after == [1, 1, 1]


def test_the_supervisory_committee_recounts_and_the_page_says_it_agrees(client, people):
    voters = [member(people.here) for _ in range(4)]
    supervisor = member(people.here, Role.SUPERVISOR)
    vote = _secret(people.here, people.cadre_here)
    for i, v in enumerate(voters):
        services.ballot_cast(actor=v, vote=vote, choice=i % 2)
    with pytest.raises(TalksError):
        services.vote_recount(actor=supervisor, vote=vote)  # not before the close
    closed = services.vote_close(actor=people.cadre_here, vote=vote)
    with pytest.raises(TalksError):
        services.vote_recount(actor=people.cadre_here, vote=closed)  # cadres do not hold it
    assert services.vote_recount(actor=supervisor, vote=closed) == closed.counts == [2, 2, 0]
    client.force_login(supervisor)
    url = reverse("talks:recount", args=[people.here.slug, vote.topic_id, vote.pk])
    response = client.post(url)
    assert response.status_code == 200 and response.context["agrees"]
    assert AuditEntry.objects.filter(action="vote.recount").count() == 2


class TestPublishedFiguresAgree(TestCase):
    """Whatever the ballots, the three published figures agree and the recount equals them."""

    @classmethod
    def setUpTestData(cls):
        cls.village = VillageFactory()
        cls.cadre = member(cls.village, Role.CADRE)
        cls.supervisor = member(cls.village, Role.SUPERVISOR)
        cls.voters = [member(cls.village) for _ in range(12)]

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        choices=st.lists(st.integers(min_value=0, max_value=2), max_size=12),
        repeats=st.lists(st.integers(min_value=0, max_value=11), max_size=4),
        entrusted=st.integers(min_value=0, max_value=3),
    )
    def test_participants_receipts_and_totals_agree(self, choices, repeats, entrusted):
        from talks.models import Entrustment

        vote = _secret(self.village, self.cadre)
        proxy = self.voters[-1]  # the first ``entrusted`` voters entrust their vote to the last
        given = {
            i: services.entrust(
                actor=self.voters[i],
                vote=vote,
                proxy_resident_id=proxy.resident.pk,
                relation=Entrustment.Relation.SIBLING,
            )
            for i in range(entrusted)
        }
        for i, (voter, choice) in enumerate(zip(self.voters, choices, strict=False)):
            if i in given:
                services.ballot_cast(actor=proxy, vote=vote, choice=choice, entrustment=given[i].pk)
            else:
                services.ballot_cast(actor=voter, vote=vote, choice=choice)
        for i in repeats:  # second ballots are refused and change nothing
            if i < len(choices):
                with pytest.raises(TalksError):
                    services.ballot_cast(actor=self.voters[i], vote=vote, choice=0)
        closed = services.vote_close(actor=self.cadre, vote=vote)
        figures = selectors.vote_figures(closed)
        assert figures["participants"] == figures["receipts"] == figures["ballots"]
        assert figures["ballots"] == closed.ballots_cast == sum(closed.counts)
        assert closed.counts == [choices.count(i) for i in range(3)]
        assert services.vote_recount(actor=self.supervisor, vote=closed) == closed.counts
