"""Concurrency on PostgreSQL with real threads: every ballot counted exactly once, and two
closers at once publish one result."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection
from django.utils import timezone

from talks import services
from talks.models import Ballot, Event, Topic, Vote
from talks.services import TalksError
from tests.factories import UserFactory, VillageFactory
from tests.talks.factories import TopicFactory, VoteFactory
from villageaffairs.models import Household, Resident, Role, RoleAssignment

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
def test_200_secret_ballots_at_once_one_per_roll_entry_and_figures_agree():
    """200 people on the roll cast a secret ballot at once, each also clicking twice: exactly
    one participation, one anonymous ballot and one receipt per person, and the totals agree."""
    from talks import selectors
    from talks.models import Participation, Receipt, RollEntry, SecretBallot

    village = VillageFactory()
    voters = _voters(village, 200)
    vote = _vote(village, secret=True)
    assert RollEntry.objects.filter(vote=vote).count() == vote.electorate_size == 200
    batches = [voters[i::THREADS] for i in range(THREADS)]

    def cast(batch):
        def job():
            codes = []
            for user in batch:
                codes.append(services.ballot_cast(actor=user, vote=vote, choice=user.pk % 3))
                try:  # the double click
                    services.ballot_cast(actor=user, vote=vote, choice=0)
                except TalksError as exc:
                    assert exc.code == "duplicate"
                else:
                    raise AssertionError("a second ballot was taken")
            return codes

        return job

    results, errors = _together([cast(b) for b in batches])
    assert not errors
    codes = [c.receipt for batch in results for c in batch]
    assert len(codes) == len(set(codes)) == 200
    closed = services.vote_close(vote=vote, actor=vote.created_by)
    expected = [sum(1 for u in voters if u.pk % 3 == i) for i in range(3)]
    assert closed.counts == expected and closed.ballots_cast == 200
    assert Participation.objects.filter(vote=vote).count() == 200
    assert SecretBallot.objects.filter(vote=vote).count() == 200
    assert sorted(Receipt.objects.filter(vote=vote).values_list("code", flat=True)) == sorted(codes)
    figures = selectors.vote_figures(closed)
    assert figures["participants"] == figures["receipts"] == figures["ballots"] == 200
    assert not Ballot.objects.filter(vote=vote).exists()
