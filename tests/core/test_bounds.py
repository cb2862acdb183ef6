"""Issue 10: every stored number has bounds the database enforces (villageaffairs/bounds.py),
and a bad value stored in a JSON field cannot break a public page."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction

from points.models import Item, PointsSettings, Rule
from publicity.models import FinanceBook, FinanceEntry
from tests.points.factories import ItemFactory, RuleFactory
from tests.publicity.factories import book, entry
from villageaffairs import bounds


def _refused(queryset, **values):
    # A CheckConstraint refuses it (IntegrityError); where the bound is also the column's own
    # limit, PostgreSQL refuses it before the check (DataError). Either way nothing is stored.
    with transaction.atomic(), pytest.raises((IntegrityError, DataError)):
        queryset.update(**values)


def test_rule_points_and_limits_are_bounded(people):
    rule = RuleFactory(village=people.here, points=bounds.RULE_POINTS)
    rules = Rule.objects.filter(pk=rule.pk)
    _refused(rules, points=bounds.RULE_POINTS + 1)
    _refused(rules, points=-bounds.RULE_POINTS - 1)
    _refused(rules, limit_count=0)
    with pytest.raises(ValidationError) as info:
        Rule(village=people.here, category="civility", text="x", points=10**6).full_clean()
    assert "points" in info.value.message_dict


def test_supermarket_numbers_are_bounded(people):
    items = Item.objects.filter(pk=ItemFactory(village=people.here).pk)
    _refused(items, cost=bounds.ITEM_COST + 1)
    _refused(items, stock=bounds.ITEM_STOCK + 1)


def test_posting_days_are_bounded_and_star_thresholds_checked(client, people):
    settings_ = PointsSettings.objects.create(village=people.here)
    _refused(PointsSettings.objects.filter(pk=settings_.pk), posting_days=0)
    _refused(PointsSettings.objects.filter(pk=settings_.pk), posting_days=10_000)
    for bad in ([5, 4, 3, 2, 1], [1, 2, 3], "lots", [1, 2, 3, 4, 10**12], [1, 2, 3, 4, "5"]):
        settings_.star_thresholds = bad
        with pytest.raises(ValidationError):
            settings_.full_clean()
        # Stored anyway (by SQL, or before the check): the pages fall back to the defaults.
        PointsSettings.objects.filter(pk=settings_.pk).update(star_thresholds=bad)
        assert PointsSettings.objects.get(pk=settings_.pk).thresholds == [100, 200, 300, 400, 450]
        assert client.get("/v/youyi/ranking/").status_code == 200
        assert client.get("/v/youyi/").status_code == 200


def test_finance_amounts_are_bounded(people):
    book(people.here, starts_on=date(2026, 1, 1))
    books = FinanceBook.objects.filter(village=people.here)
    _refused(books, opening_balance=bounds.FINANCE_BALANCE + 1)
    _refused(books, opening_balance=-bounds.FINANCE_BALANCE - 1)
    e = entry(people.here, date(2026, 1, 5), "10.00")
    _refused(FinanceEntry.objects.filter(pk=e.pk), amount=bounds.FINANCE_AMOUNT + 1)


def test_a_book_starting_in_year_one_does_not_walk_every_month_since(people):
    from publicity.selectors import unchecked_months_before

    the_book = book(people.here, starts_on=date(1, 1, 1))
    missing = unchecked_months_before(people.here, the_book, date(2026, 3, 1))
    assert missing[0] == date(2000, 1, 1) and len(missing) == 26 * 12 + 2


def test_a_region_cycle_edited_into_the_admin_ends(db):
    from tests.factories import RegionFactory

    a = RegionFactory()
    b = RegionFactory(parent=a)
    a.parent = b
    a.save()
    assert [r.pk for r in b.path()] == [a.pk, b.pk]
