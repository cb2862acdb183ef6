"""Concurrency on PostgreSQL with real threads: every ballot counted exactly once, and two
closers at once publish one result."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from talks import services
from talks.models import Ballot, Event, Topic, Vote
from talks.services import TalksError
from tests.factories import UserFactory, VillageFactory
from tests.talks.factories import TopicFactory, VoteFactory
from villageaffairs.models import Household, Resident, Role, RoleAssignment, Village

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 25


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (row locks)")


def _voters(village, n):
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"v{village.pk}-{i}", display_name=f"村民{i}") for i in range(n)]
    )
    homes = Household.objects.bulk_create(
        [Household(village=village, house_number=f"{i:04d}") for i in range(n)]
    )
    Resident.objects.bulk_create(
        [
            Resident(village=village, household=h, name=f"村民{i}", user=u)
            for i, (h, u) in enumerate(zip(homes, users, strict=True))
        ]
    )
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=u, village=village, role=Role.VILLAGER) for u in users]
    )
    return users


def _together(jobs):
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def wrap(job):
        def run():
            try:
                barrier.wait()
                results.append(job())
            except TalksError as exc:
                errors.append(exc)
            finally:
                close_old_connections()

        return run

    threads = [threading.Thread(target=wrap(job)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _vote(village, **kwargs):
    cadre = UserFactory()
    RoleAssignment.objects.create(user=cadre, village=village, role=Role.SECRETARY)
    topic = TopicFactory(village=village, status=Topic.Status.DISCUSSING)
    return services.vote_open(
        actor=cadre,
        topic=topic,
        question="同意吗？",
        closes_at=timezone.now() + timedelta(hours=1),
        quorum=Vote.Quorum.NONE,
        **kwargs,
    )


def test_200_ballots_at_once_are_counted_exactly():
    village = VillageFactory()
    voters = _voters(village, 200)
    vote = _vote(village)
    batches = [voters[i::THREADS] for i in range(THREADS)]

    def cast(batch):
        def job():
            for user in batch:
                services.ballot_cast(actor=user, vote=vote, choice=user.pk % 3)
            return len(batch)

        return job

    results, errors = _together([cast(b) for b in batches])
    assert not errors and sum(results) == 200
    closed = services.vote_close(vote=vote, actor=vote.created_by)
    expected = [sum(1 for u in voters if u.pk % 3 == i) for i in range(3)]
    assert closed.counts == expected and closed.ballots_cast == 200
    assert Ballot.objects.filter(vote=vote).count() == 200


def test_the_same_voter_clicking_many_times_at_once_votes_once():
    village = VillageFactory()
    (voter,) = _voters(village, 1)
    vote = _vote(village)
    results, errors = _together(
        [lambda: services.ballot_cast(actor=voter, vote=vote, choice=0) for _ in range(10)]
    )
    assert len(results) == 1 and len(errors) == 9
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_ballots_racing_the_closer_are_either_counted_or_refused():
    village = VillageFactory()
    voters = _voters(village, 60)
    vote = _vote(village)
    jobs = [lambda u=u: services.ballot_cast(actor=u, vote=vote, choice=0) for u in voters]
    jobs.append(lambda: services.vote_close(vote=vote, actor=vote.created_by))
    results, errors = _together(jobs)
    vote.refresh_from_db()
    stored = Ballot.objects.filter(vote=vote).count()
    assert vote.ballots_cast == stored  # nothing committed after the count
    assert stored + len(errors) == 60
    assert all(e.code == "closed" for e in errors)


def test_two_closers_at_once_publish_one_result():
    village = VillageFactory()
    (voter,) = _voters(village, 1)
    vote = _vote(village)
    services.ballot_cast(actor=voter, vote=vote, choice=0)
    Vote.objects.filter(pk=vote.pk).update(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(seconds=1)
    )
    results, errors = _together([lambda: services.vote_close(vote=vote) for _ in range(2)])
    assert not errors
    assert len([r for r in results if r is not None]) == 1
    assert Event.objects.filter(topic=vote.topic, kind=Event.Kind.VOTE_CLOSED).count() == 1


def test_two_beat_runs_at_once_close_each_due_vote_once():
    village = VillageFactory()
    past = timezone.now() - timedelta(minutes=1)
    votes = [
        VoteFactory(
            topic=TopicFactory(village=village),
            opens_at=past - timedelta(days=1),
            closes_at=past,
        )
        for _ in range(40)
    ]
    results, errors = _together([services.votes_close_due for _ in range(4)])
    assert not errors and sum(results) == 40
    closed_events = Event.objects.filter(kind=Event.Kind.VOTE_CLOSED, topic__village=village)
    assert closed_events.count() == 40
    assert Vote.objects.filter(pk__in=[v.pk for v in votes], closed_at__isnull=True).count() == 0


@pytest.mark.integration
def test_200_secret_ballots_at_once_with_entrusted_ones_one_per_roll_entry_and_figures_agree():
    """200 people on the roll, 30 of whom entrusted their vote to 10 proxies (three each), cast
    at once, each also clicking twice: exactly one participation, one anonymous ballot and one
    receipt per person on the roll, the entrusted ballots counted as their owners chose."""
    from talks import selectors
    from talks.models import Entrustment, Participation, Receipt, RollEntry, SecretBallot

    village = VillageFactory()
    voters = _voters(village, 200)
    vote = _vote(village, secret=True)
    assert RollEntry.objects.filter(vote=vote).count() == vote.electorate_size == 200
    entrusting, proxies = voters[:30], voters[30:40]
    for i, user in enumerate(entrusting):
        services.entrust(
            actor=user,
            vote=vote,
            proxy_resident_id=proxies[i % 10].resident.pk,
            relation=Entrustment.Relation.SIBLING,
        )
    carried = {}
    for found in Entrustment.objects.filter(vote=vote).select_related("entry__resident"):
        carried.setdefault(found.proxy.resident.user_id, []).append(found)
    by_resident = {u.resident.pk: u for u in voters}
    casting = voters[30:]  # everyone who did not entrust: 170, ten of them proxies
    batches = [casting[i::THREADS] for i in range(THREADS)]

    def cast(batch):
        def job():
            codes = []
            for user in batch:
                codes.append(services.ballot_cast(actor=user, vote=vote, choice=user.pk % 3))
                for found in carried.get(user.pk, []):
                    owner = by_resident[found.entry.resident_id]
                    codes.append(
                        services.ballot_cast(
                            actor=user, vote=vote, choice=owner.pk % 3, entrustment=found.pk
                        )
                    )
                    try:  # the double click on the entrusted ballot
                        services.ballot_cast(actor=user, vote=vote, choice=0, entrustment=found.pk)
                    except TalksError as exc:
                        assert exc.code == "duplicate"
                    else:
                        raise AssertionError("a second entrusted ballot was taken")
                try:  # the double click
                    services.ballot_cast(actor=user, vote=vote, choice=0)
                except TalksError as exc:
                    assert exc.code == "duplicate"
                else:
                    raise AssertionError("a second ballot was taken")
            return codes

        return job

    def entrusted_self_vote(user):
        def job():  # someone who entrusted their vote tries to vote as well, at the same time
            try:
                services.ballot_cast(actor=user, vote=vote, choice=0)
            except TalksError as exc:
                assert exc.code == "entrusted"
                return []
            raise AssertionError("an entrusted vote was cast twice")

        return job

    results, errors = _together(
        [cast(b) for b in batches] + [entrusted_self_vote(u) for u in entrusting[:5]]
    )
    assert not errors
    codes = [c.receipt for batch in results for c in batch]
    assert len(codes) == len(set(codes)) == 200
    closed = services.vote_close(vote=vote, actor=vote.created_by)
    expected = [sum(1 for u in voters if u.pk % 3 == i) for i in range(3)]
    assert closed.counts == expected and closed.ballots_cast == 200
    assert Participation.objects.filter(vote=vote).count() == 200
    assert Participation.objects.filter(vote=vote, entrustment__isnull=False).count() == 30
    assert SecretBallot.objects.filter(vote=vote).count() == 200
    assert sorted(Receipt.objects.filter(vote=vote).values_list("code", flat=True)) == sorted(codes)
    figures = selectors.vote_figures(closed)
    assert figures["participants"] == figures["receipts"] == figures["ballots"] == 200
    assert not Ballot.objects.filter(vote=vote).exists()


def test_a_proxy_offered_four_entrustments_at_once_carries_three():
    from talks.models import Entrustment

    village = VillageFactory()
    voters = _voters(village, 6)
    vote = _vote(village, secret=True)
    proxy = voters[0].resident.pk

    def offer(user):
        return lambda: services.entrust(
            actor=user, vote=vote, proxy_resident_id=proxy, relation=Entrustment.Relation.CHILD
        )

    results, errors = _together([offer(u) for u in voters[1:5]])
    assert len(results) == 3 and len(errors) == 1
    assert list(errors[0].message_dict) == ["proxy"]  # the proxy carries too many
    assert Entrustment.objects.filter(vote=vote, withdrawn_at__isnull=True).count() == 3


def test_withdrawing_while_the_proxy_casts_is_one_or_the_other():
    from talks.models import Entrustment, Participation

    village = VillageFactory()
    giver, proxy = _voters(village, 2)

    def race(vote, found):
        return [
            lambda: services.ballot_cast(actor=proxy, vote=vote, choice=1, entrustment=found.pk),
            lambda: services.entrustment_withdraw(actor=giver, entrustment=found),
        ]

    for _round in range(5):
        vote = _vote(village, secret=True)
        found = services.entrust(
            actor=giver,
            vote=vote,
            proxy_resident_id=proxy.resident.pk,
            relation=Entrustment.Relation.SPOUSE,
        )
        results, errors = _together(race(vote, found))
        found.refresh_from_db()
        cast = Participation.objects.filter(vote=vote, entry=found.entry).exists()
        assert len(results) == 1 and len(errors) == 1
        assert cast != (found.withdrawn_at is not None)


def test_a_write_on_a_topic_locks_the_topic_and_not_its_village():
    """Comments on two topics of one village do not wait for each other: the topic's row is
    locked (another writer of it waits), its village's is not."""
    village = VillageFactory()
    topic = TopicFactory(village=village)
    holding, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with transaction.atomic():
                locked = services._locked(topic)
                assert locked.pk == topic.pk and locked.village.name == village.name
                holding.set()
                release.wait(10)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            holding.set()
            close_old_connections()
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            Village.objects.select_for_update(nowait=True).get(pk=village.pk)
        with pytest.raises(DatabaseError), transaction.atomic():
            Topic.objects.select_for_update(nowait=True).get(pk=topic.pk)
    finally:
        release.set()
        thread.join()
    assert errors == []
