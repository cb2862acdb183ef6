"""Property: any sequence of ledger operations keeps the balance row equal to the entries."""

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from points import services
from points.models import Balance, LedgerEntry, YearScore
from points.services import PointsError
from tests.factories import HouseholdFactory, UserFactory, VillageFactory
from tests.points.factories import ItemFactory

operation = st.one_of(
    st.tuples(st.just("award"), st.integers(1, 200)),
    st.tuples(st.just("deduct"), st.integers(-200, -1)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("redeem"), st.integers(1, 4)),
    st.tuples(st.just("cancel"), st.integers(0, 50)),
)


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_balance_row_equals_sums_of_entries(ops):
    village = VillageFactory()
    household = HouseholdFactory(village=village)
    cadre = UserFactory()
    item = ItemFactory(village=village, cost=15, stock=1000)
    redemptions = []
    for op, value in ops:
        score_before = (
            Balance.objects.filter(household=household).values_list("score", flat=True).first()
        )
        try:
            if op in ("award", "deduct"):
                services.award_direct(actor=cadre, household=household, points=value, reason=op)
            elif op == "reverse":
                entries = list(
                    LedgerEntry.objects.filter(household=household)
                    .exclude(kind=LedgerEntry.Kind.REVERSAL)
                    .order_by("pk")
                )
                if entries:
                    entry = entries[value % len(entries)]
                    services.entry_reverse(actor=cadre, entry=entry, reason="fix")
            elif op == "redeem":
                redemptions.append(
                    services.redemption_create(
                        actor=cadre, household=household, item=item, quantity=value
                    )
                )
                # Redemptions never change the score.
                assert Balance.objects.get(household=household).score == (score_before or 0)
            elif op == "cancel" and redemptions:
                services.redemption_cancel(
                    actor=cadre, redemption=redemptions[value % len(redemptions)]
                )
                assert Balance.objects.get(household=household).score == (score_before or 0)
        except PointsError:
            pass  # refused: nothing changed (checked by the sums below)
        entries = LedgerEntry.objects.filter(household=household)
        row = Balance.objects.filter(household=household).first()
        score = entries.filter(in_score=True).aggregate(s=Sum("points"))["s"] or 0
        total = entries.aggregate(s=Sum("points"))["s"] or 0
        assert (row.score if row else 0) == score
        assert (row.balance if row else 0) == total
        assert entries.filter(kind=LedgerEntry.Kind.REDEMPTION, in_score=True).count() == 0
        for year_row in YearScore.objects.filter(household=household):
            expected = (
                entries.filter(in_score=True, year=year_row.year).aggregate(s=Sum("points"))["s"]
                or 0
            )
            assert year_row.score == expected
