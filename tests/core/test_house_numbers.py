"""A house number is the same house however it is typed: "17", "017", "１７", " 17 ", "17号"."""

import uuid

import pytest
from django.urls import reverse

from points.forms import AwardForm, CounterForm
from points.models import LedgerEntry
from tests.factories import HouseholdFactory, VillageFactory, member
from villageaffairs import housenumbers, selectors, services
from villageaffairs.models import Role


@pytest.fixture
def youyi(db):
    return VillageFactory(name="友谊村", slug="youyi")


@pytest.fixture
def xie(youyi):
    """Xie Qifu's household, number 017 on its door plate."""
    return HouseholdFactory(village=youyi, house_number="017", name="谢启富")


@pytest.mark.parametrize(
    "typed", ["17", "017", "0017", "１７", "０１７", " 17 ", "\u300017\u3000", "17号", "017号"]
)
def test_every_spelling_of_the_number_finds_the_house(youyi, xie, typed):
    assert selectors.household_by_house_number(youyi, typed) == xie


@pytest.mark.parametrize("typed", ["7", "170", "1 7", "", "   ", "十七", "17-1"])
def test_other_numbers_find_no_house(youyi, xie, typed):
    assert selectors.household_by_house_number(youyi, typed) is None


def test_another_villages_house_is_not_found(youyi, xie):
    elsewhere = VillageFactory(slug="xiqian")
    assert selectors.household_by_house_number(elsewhere, "17") is None


def test_a_number_written_exactly_so_wins_over_another_spelling(youyi, xie):
    seventeen = HouseholdFactory(village=youyi, house_number="17")
    assert selectors.household_by_house_number(youyi, "17") == seventeen
    assert selectors.household_by_house_number(youyi, "017") == xie
    # Neither is written "0017": it is not guessed.
    assert selectors.household_by_house_number(youyi, "0017") is None


def test_numbers_that_are_not_plain_numbers_match_as_written(youyi):
    east = HouseholdFactory(village=youyi, house_number="东3")
    assert selectors.household_by_house_number(youyi, " 东３ ") == east
    assert selectors.household_by_house_number(youyi, "东03") is None


def test_spellings_stay_within_the_column():
    assert all(len(s) <= housenumbers.MAX_LENGTH for s in housenumbers.spellings("17"))
    assert "0" * 18 + "17" in housenumbers.spellings("17")
    assert set(housenumbers.spellings("0")) == set(housenumbers.spellings("000"))


def test_the_cadre_awards_points_to_house_17(youyi, xie):
    form = AwardForm(
        {"submission_key": uuid.uuid4(), "house_number": "１７", "points": "5", "reason": "扫雪"},
        village=youyi,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["house_number"] == xie


def test_the_counter_finds_house_17(youyi, xie):
    form = CounterForm({"house_number": " 17 "}, village=youyi)
    form.is_valid()
    assert "house_number" not in form.errors
    assert form.cleaned_data["house_number"] == xie


def test_an_unknown_number_is_still_refused(youyi, xie):
    form = AwardForm(
        {"submission_key": uuid.uuid4(), "house_number": "18", "points": "5"}, village=youyi
    )
    assert not form.is_valid()
    assert form.errors["house_number"]


def test_the_register_search_finds_the_house_by_number(youyi, xie):
    for typed in ("17", "１７", "0017"):
        assert list(selectors.household_register(youyi, typed)) == [xie]


def test_a_new_household_is_stored_without_full_width_digits_or_spaces(youyi):
    household = services.household_create(actor=None, village=youyi, house_number=" ０２１ ")
    assert household.house_number == "021"


def test_the_cadres_awards_page_accepts_17(client, youyi, xie):
    cadre = member(youyi, Role.SECRETARY, username="shujun")
    client.force_login(cadre)
    url = reverse("points:award", args=[youyi.slug])
    response = client.post(
        url,
        {
            "submission_key": str(uuid.uuid4()),
            "house_number": "17",
            "points": "5",
            "reason": "扫雪",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert LedgerEntry.objects.get(household=xie).points == 5
