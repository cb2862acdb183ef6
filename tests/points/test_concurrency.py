"""Concurrency on PostgreSQL with real threads: one entry per claim, exact totals."""

import threading

import pytest
from django.db import close_old_connections, connection

from points import services
from points.models import Balance, LedgerEntry
from points.services import PointsError
from tests.factories import HouseholdFactory, UserFactory, VillageFactory
from tests.points.factories import ItemFactory, RuleFactory

THREADS = 8

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (row locks)")


def _run_together(targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def wrap(fn):
        def run():
            try:
                barrier.wait()
                fn()
            except PointsError as exc:
                errors.append(exc)
            finally:
                close_old_connections()

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_many_cadres_approving_the_same_claim_give_one_entry():
    village = VillageFactory()
    household = HouseholdFactory(village=village)
    rule = RuleFactory(village=village, points=8)
    cadres = [UserFactory() for _ in range(THREADS)]
    claim = services.claim_submit(actor=cadres[0], household=household, rule=rule)
    errors = _run_together(
        [lambda c=c: services.claim_approve(actor=c, claim=claim) for c in cadres]
    )
    assert not errors
    assert LedgerEntry.objects.filter(claim=claim).count() == 1
    assert Balance.objects.get(household=household).score == 8


def test_approving_different_claims_of_one_household_gives_the_exact_total():
    village = VillageFactory()
    household = HouseholdFactory(village=village)
    rules = [RuleFactory(village=village, points=p) for p in range(1, THREADS + 1)]
    cadre = UserFactory()
    claims = [services.claim_submit(actor=cadre, household=household, rule=r) for r in rules]
    errors = _run_together(
        [lambda c=c: services.claim_approve(actor=cadre, claim=c) for c in claims]
    )
    assert not errors
    total = sum(range(1, THREADS + 1))
    row = Balance.objects.get(household=household)
    assert (row.score, row.balance) == (total, total)
    assert LedgerEntry.objects.filter(household=household).count() == THREADS


def test_concurrent_redemptions_never_overspend():
    village = VillageFactory()
    household = HouseholdFactory(village=village)
    cadre = UserFactory()
    services.award_direct(actor=cadre, household=household, points=30, reason="x")
    item = ItemFactory(village=village, cost=10, stock=100)
    errors = _run_together(
        [
            lambda: services.redemption_create(actor=cadre, household=household, item=item)
            for _ in range(THREADS)
        ]
    )
    assert len(errors) == THREADS - 3
    assert Balance.objects.get(household=household).balance == 0
    item.refresh_from_db()
    assert item.stock == 97


def test_the_database_refuses_to_update_a_ledger_entry():
    from django.db import DatabaseError, transaction

    village = VillageFactory()
    household = HouseholdFactory(village=village)
    entry = services.award_direct(actor=None, household=household, points=5, reason="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE points_ledgerentry SET points = 500 WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).points == 5
