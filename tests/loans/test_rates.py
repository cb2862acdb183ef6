"""The rate math on its own: no database, no points app."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loans.rates import PRO_RATA, STEPS, RateTerms, rate_for, repayment_schedule

D = Decimal
GUANGHAN = RateTerms(base_rate=D("5.00"), reduction_per_100=D("0.10"), floor_rate=D("3.45"))


@pytest.mark.parametrize(
    ("score", "rate", "reduction", "floored"),
    [
        (0, "5.00", "0.00", False),
        (99, "4.90", "0.10", False),  # 0.099 rounds half up to 0.10
        (100, "4.90", "0.10", False),
        (583, "4.42", "0.58", False),  # the reported case
        (2000, "3.45", "2.00", True),  # 5.00 − 2.00 = 3.00, below the 3.45 floor
        (100000, "3.45", "100.00", True),
        (-50, "5.00", "0.00", False),  # a negative score earns no reduction, costs nothing
    ],
)
def test_rate_table_pro_rata(score, rate, reduction, floored):
    quote = rate_for(GUANGHAN, score)
    assert quote.rate == D(rate)
    assert quote.reduction == D(reduction)
    assert quote.floored is floored


def test_the_reported_case_shows_its_working():
    quote = rate_for(GUANGHAN, 583)
    assert quote.working == "5.00% − 583 × 0.10 / 100 = 4.42%"
    assert quote.raw_reduction == D("0.583")
    assert str(quote.rate) == "4.42"  # two places, a Decimal, not a float


def test_floor_shows_in_the_working():
    assert rate_for(GUANGHAN, 2000).working == "max(5.00% − 2000 × 0.10 / 100, 3.45%) = 3.45%"


@pytest.mark.parametrize(
    ("score", "rate", "capped"),
    [(583, "4.42", False), (1000, "4.00", False), (1500, "4.00", True), (100000, "4.00", True)],
)
def test_cap_limits_the_reduction(score, rate, capped):
    terms = RateTerms(D("5.00"), D("0.10"), floor_rate=D("3.00"), max_reduction=D("1.00"))
    quote = rate_for(terms, score)
    assert quote.rate == D(rate)
    assert quote.capped is capped
    if capped:
        assert quote.working == f"5.00% − min({score} × 0.10 / 100, 1.00) = 4.00%"


@pytest.mark.parametrize(
    ("score", "rate"),
    [(0, "5.00"), (99, "5.00"), (100, "4.90"), (583, "4.50"), (2000, "3.45"), (100000, "3.45")],
)
def test_step_mode_counts_whole_hundreds(score, rate):
    terms = RateTerms(D("5.00"), D("0.10"), D("3.45"), reduction_mode=STEPS)
    assert rate_for(terms, score).rate == D(rate)


def test_step_working():
    terms = RateTerms(D("5.00"), D("0.10"), D("3.45"), reduction_mode=STEPS)
    assert rate_for(terms, 583).working == "5.00% − 5 × 0.10 = 4.50%"


@pytest.mark.parametrize(
    ("mode", "rate"), [("half_up", "4.42"), ("down", "4.42"), ("up", "4.41"), ("half_even", "4.42")]
)
def test_rounding_modes(mode, rate):
    terms = RateTerms(D("5.00"), D("0.10"), D("3.45"), rounding_mode=mode)
    assert rate_for(terms, 583).rate == D(rate)


def test_half_up_versus_half_even_on_a_tie():
    # 585 points: 0.585 off. Half up: 0.59; half to even: 0.58.
    up = RateTerms(D("5.00"), D("0.10"), D("3.45"), rounding_mode="half_up")
    even = RateTerms(D("5.00"), D("0.10"), D("3.45"), rounding_mode="half_even")
    assert rate_for(up, 585).rate == D("4.41")
    assert rate_for(even, 585).rate == D("4.42")


def test_finer_rounding_step():
    terms = RateTerms(D("5.00"), D("0.10"), D("3.45"), rounding_step=D("0.001"))
    assert rate_for(terms, 583).rate == D("4.417")


terms_strategy = st.builds(
    RateTerms,
    base_rate=st.decimals("0.50", "24.00", places=2),
    reduction_per_100=st.decimals("0.00", "2.00", places=3),
    floor_rate=st.decimals("0.00", "0.50", places=2),
    reduction_mode=st.sampled_from([PRO_RATA, STEPS]),
    max_reduction=st.none() | st.decimals("0.00", "10.00", places=2),
    rounding_mode=st.sampled_from(["half_up", "half_even", "down", "up"]),
)


@given(terms_strategy, st.integers(-1000, 200_000), st.integers(0, 50_000))
def test_more_points_never_raise_the_rate_nor_break_the_floor(terms, score, more):
    lower, higher = rate_for(terms, score), rate_for(terms, score + more)
    assert higher.rate <= lower.rate
    assert higher.rate >= terms.floor_rate and lower.rate >= terms.floor_rate
    assert lower.rate <= terms.base_rate


@given(
    st.decimals("0.01", "5000000.00", places=2),
    st.decimals("0.00", "24.00", places=2),
    st.integers(1, 360),
)
def test_schedule_instalments_sum_to_principal_plus_interest(principal, rate, months):
    schedule = repayment_schedule(principal, rate, months)
    assert len(schedule.rows) == months
    assert schedule.total_paid == principal + schedule.total_interest
    assert sum(r.principal for r in schedule.rows) == principal
    assert schedule.rows[-1].balance == 0
    for row in schedule.rows:
        assert row.payment == row.interest + row.principal
        for amount in (row.payment, row.interest, row.principal, row.balance):
            assert amount == amount.quantize(D("0.01")) and amount >= 0
    # Equal instalments: all but the last are the same payment (unless the loan is so small
    # that rounding up to the fen repays it early).
    if principal >= 2 * months:
        assert {r.payment for r in schedule.rows[:-1]} <= {schedule.instalment}
        # The last payment absorbs the rounding: at most a fen a month, compounded.
        monthly = float(rate) / 1200
        growth = ((1 + monthly) ** months - 1) / monthly if monthly else months
        assert abs(schedule.rows[-1].payment - schedule.instalment) <= D("0.01") * D(growth)


def test_schedule_of_the_reported_loan():
    schedule = repayment_schedule(D("300000"), D("4.42"), 12)
    r = 0.0442 / 12
    annuity = 300000 * r / (1 - (1 + r) ** -12)  # the textbook formula, in floats
    assert abs(float(schedule.instalment) - annuity) < 0.006
    assert schedule.total_paid == D("300000.00") + schedule.total_interest
    assert abs(schedule.rows[-1].payment - schedule.instalment) <= D("0.12")


def test_zero_rate_splits_the_principal():
    schedule = repayment_schedule(D("100.00"), D("0"), 3)
    assert [r.payment for r in schedule.rows] == [D("33.33"), D("33.33"), D("33.34")]


def test_a_small_long_loan_is_not_repaid_before_its_last_month():
    # Found by hypothesis: a fen rounded up, compounded over 325 months, repaid it early.
    schedule = repayment_schedule(D("835.00"), D("14.91"), 325)
    assert {r.payment for r in schedule.rows[:-1]} == {schedule.instalment}
    assert schedule.rows[-2].balance > 0 and schedule.rows[-1].balance == 0
    assert schedule.total_paid == D("835.00") + schedule.total_interest
