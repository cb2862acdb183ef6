"""An entry recorded while the finance group checks the same month: either the entry is in the
frozen figures or it is refused, never recorded but left out. PostgreSQL, real threads."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections

from publicity import services
from publicity.models import FinanceEntry, FinanceMonth
from publicity.services import PublicityError
from tests.factories import VillageFactory
from tests.publicity.factories import accountant, book, finance_group

JAN = date(2026, 1, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(5))
def test_a_check_and_an_entry_at_once_keep_the_figures_true(attempt):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    village = VillageFactory()
    book(village, starts_on=JAN)
    clerk, checker = accountant(village), finance_group(village)
    services.entry_record(
        actor=clerk,
        village=village,
        date=date(2026, 1, 2),
        direction="income",
        category="contract",
        amount=Decimal("100.00"),
        counterparty="a",
    )
    barrier = threading.Barrier(2)
    errors = []

    def record():
        barrier.wait()
        try:
            services.entry_record(
                actor=clerk,
                village=village,
                date=date(2026, 1, 3),
                direction="income",
                category="contract",
                amount=Decimal("50.00"),
                counterparty="b",
            )
        except PublicityError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def check():
        barrier.wait()
        try:
            services.month_check(actor=checker, village=village, month=JAN)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record), threading.Thread(target=check)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    row = FinanceMonth.objects.get(village=village, month=JAN)
    total = sum(e.amount for e in FinanceEntry.objects.filter(village=village))
    assert row.status == "checked"
    assert row.income == total
    assert len(errors) == (1 if total == Decimal("100.00") else 0)
