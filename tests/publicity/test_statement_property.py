"""Property: a statement's totals are the sums of its entries, and each month's closing balance
is the next month's opening balance, whether the months are open, checked or published."""

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publicity import selectors, services
from publicity.models import FinanceEntry, FinanceMonth
from tests.factories import VillageFactory
from tests.publicity.factories import accountant, book, finance_group

FEN = Decimal("0.01")
INCOME = ["contract", "operating", "subsidy", "investment", "other_income"]
EXPENSE = ["public_works", "management", "operating_cost", "welfare", "other_expense"]

entry_st = st.tuples(
    st.integers(min_value=1, max_value=28),  # day
    st.booleans(),  # income?
    st.integers(min_value=0, max_value=4),  # category index
    st.integers(min_value=1, max_value=50_000_000),  # amount in fen
)
months_st = st.lists(st.lists(entry_st, max_size=12), min_size=1, max_size=5)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    months=months_st,
    opening=st.integers(min_value=-10_000_000, max_value=10_000_000),
    checked=st.integers(min_value=0, max_value=5),
)
def test_totals_are_sums_and_balances_chain(db, months, opening, checked):
    village = VillageFactory()
    start = date(2025, 1, 1)
    the_book = book(village, starts_on=start, opening=Decimal(opening) * FEN)
    clerk = accountant(village)
    FinanceEntry.objects.bulk_create(
        FinanceEntry(
            village=village,
            date=selectors.add_months(start, i).replace(day=day),
            direction="income" if is_income else "expense",
            category=(INCOME if is_income else EXPENSE)[cat],
            amount=Decimal(fen) * FEN,
            counterparty="x",
            recorded_by=clerk,
        )
        for i, entries in enumerate(months)
        for day, is_income, cat, fen in entries
    )
    checker = finance_group(village)
    for i in range(min(checked, len(months))):  # the first months are checked and frozen
        services.month_check(actor=checker, village=village, month=selectors.add_months(start, i))

    previous_closing = the_book.opening_balance
    for i, entries in enumerate(months):
        month = selectors.add_months(start, i)
        row = FinanceMonth.objects.filter(village=village, month=month).first()
        figures = selectors.month_figures(village, month, book=the_book, row=row)
        income = sum((Decimal(f) * FEN for _d, inc, _c, f in entries if inc), Decimal(0))
        expense = sum((Decimal(f) * FEN for _d, inc, _c, f in entries if not inc), Decimal(0))
        assert figures.income == income
        assert figures.expense == expense
        assert figures.entry_count == len(entries)
        assert sum(t for _d, _l, t, _n in figures.by_category) == income + expense
        assert figures.opening_balance == previous_closing
        assert figures.closing_balance == figures.opening_balance + income - expense
        if row is not None and row.is_locked:  # frozen figures agree with the entries
            assert (row.opening_balance, row.income, row.expense, row.closing_balance) == (
                figures.opening_balance,
                income,
                expense,
                figures.closing_balance,
            )
        previous_closing = figures.closing_balance
