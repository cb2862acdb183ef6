from datetime import date

import pytest

from tests.factories import VillageFactory, member
from tests.publicity.factories import accountant, book, finance_group
from villageaffairs.models import Role


@pytest.fixture
def youyi(db):
    return VillageFactory(name="友谊村", slug="youyi")


@pytest.fixture
def staff(youyi):
    """The people who keep Youyi's books: accountant, finance group member, secretary, villager."""

    class Staff:
        accountant_ = accountant(youyi, username="accountant")
        checker = finance_group(youyi, username="checker")
        secretary = member(youyi, Role.SECRETARY, username="secretary")
        villager = member(youyi, username="villager")

    Staff.accountant = Staff.accountant_
    return Staff


@pytest.fixture
def books(youyi):
    return book(youyi, starts_on=date(2026, 1, 1))


@pytest.fixture
def today(monkeypatch):
    """Pin 'today' (Asia/Shanghai) for the books: 2026-06-15."""
    from django.utils import timezone

    fixed = date(2026, 6, 15)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: fixed)
    return fixed
