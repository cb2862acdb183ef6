"""Issue 10: a policy's numbers are bounded in the form, the service and the database, and a
stored value past the bounds cannot make a credit page loop."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from loans import selectors, services
from loans.forms import ApplicationForm, PolicyForm
from loans.models import RatePolicy
from tests.loans.factories import policy

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("months", "expected"),
    [(0, (2026, 3, 31)), (1, (2026, 2, 28)), (13, (2025, 2, 28)), (120, (2016, 3, 31))],
)
def test_months_before_steps_back_to_the_same_day_or_the_months_last(months, expected):
    assert selectors._months_before(NOW, months).timetuple()[:3] == expected


def test_months_before_a_huge_window_returns_at_once():
    # It looped forever: year 0 made every replace() fail, and the day went down without end.
    assert selectors._months_before(NOW, 65535) == selectors._months_before(NOW, 120)


def test_a_stored_huge_deduction_window_does_not_break_the_credit_pages(client, bank):
    # The database refuses the value now; a row from before (or SQL by hand) is only clamped.
    with transaction.atomic(), pytest.raises(IntegrityError):
        RatePolicy.objects.filter(pk=bank.policy.pk).update(deduction_months=32000)
    policy_ = RatePolicy.objects.get(pk=bank.policy.pk)
    policy_.deduction_months = 65535
    assert selectors.recent_deduction(bank.household, policy_) is False
    client.force_login(bank.wen)
    assert client.get(reverse("loans_village:credit", args=["youyi"])).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("deduction_months", 121),
        ("deduction_months", 65535),
        ("max_term_months", 361),
        ("min_star_level", 6),
        ("min_score", 10**9),
        ("reduction_per_100", "101"),
        ("max_reduction", "101"),
    ],
)
def test_a_policy_out_of_bounds_is_refused_by_form_and_service(bank, field, value):
    data = {
        "effective_from": "2026-01-01",
        "base_rate": "5.00",
        "reduction_per_100": "0.10",
        "reduction_mode": "pro_rata",
        "floor_rate": "3.00",
        "rounding_step": "0.01",
        "rounding_mode": "half_up",
        "min_score": "0",
        "min_star_level": "0",
        "deduction_months": "12",
        "min_term_months": "1",
        "max_term_months": "36",
        "limit_1": "10000",
    }
    assert PolicyForm(data).is_valid(), PolicyForm(data).errors
    form = PolicyForm(data | {field: str(value)})
    assert not form.is_valid() and field in form.errors
    with pytest.raises(services.LoanError):
        policy(bank.branch, actor=bank.manager, **{field: value})


def test_a_credit_limit_and_a_loan_amount_are_bounded(bank):
    with pytest.raises(services.LoanError):
        policy(bank.branch, actor=bank.manager, tiers={1: Decimal("10000000.01")})
    form = ApplicationForm({"amount": "10000000.01", "term_months": "12", "purpose": "养猪"})
    assert not form.is_valid() and "amount" in form.errors
    form = ApplicationForm({"amount": "1000", "term_months": "361", "purpose": "养猪"})
    assert not form.is_valid() and "term_months" in form.errors


def test_a_household_without_a_head_sees_its_credit_page(client, bank):
    from villageaffairs.models import Household

    Household.objects.filter(pk=bank.household.pk).update(head=None)
    client.force_login(bank.wen)
    assert client.get(reverse("loans_village:credit", args=["youyi"])).status_code == 200
    # Applying is for the head: without one, nobody is, and the page is not found (not a 500).
    assert client.get(reverse("loans_village:apply", args=["youyi"])).status_code == 404
