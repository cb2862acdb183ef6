"""The loan officer finds a household by its house number however it is typed."""

import pytest

from loans.selectors import search_households
from tests.factories import HouseholdFactory


@pytest.mark.parametrize("typed", ["17", "017", "１７", " 17 ", "17号"])
def test_the_officer_finds_house_17(bank, typed):
    xie = HouseholdFactory(village=bank.youyi, house_number="017", name="谢启富")
    HouseholdFactory(village=bank.xiqian, house_number="017")  # not served by this branch
    assert list(search_households(bank.branch, typed)) == [xie]
