"""villageaffairs.prepared: a queryset compiled once gives what the queryset gives."""

import threading

import pytest
from django.db import connection

from points import selectors
from points.services import award_direct, rankings_recompute
from tests.factories import HouseholdFactory
from villageaffairs.models import Household
from villageaffairs.prepared import Prepared

FIELDS = [
    "pk",
    "name",
    "code",
    "points_version",
    "points_score",
    "points_spendable",
    "points_year",
    "points_year_score",
    "ranking_all_id",
    "ranking_year_id",
    "points_thresholds",
]


def _plain(code, year):
    return selectors._household_page_query(code, year).first()


def test_the_prepared_courtyard_query_equals_the_queryset(people):
    scored = HouseholdFactory(village=people.here)
    award_direct(actor=people.cadre_here, household=scored, points=12, reason="修路")
    rankings_recompute(village_id=people.here.pk)
    year = selectors.timezone.localdate().year
    for household in Household.objects.all():
        prepared = selectors.household_page(household.code, using="default")
        plain = _plain(household.code, year)
        assert [getattr(prepared, f) for f in FIELDS] == [getattr(plain, f) for f in FIELDS]
        assert prepared.village.name == plain.village.name
        assert prepared.village.region_id == plain.village.region_id
    assert selectors.household_page(scored.code, using="default").points_score == 12


@pytest.mark.parametrize("code", ["", "' OR 1=1 --", "%", "prepared-0", "好" * 40])
def test_odd_codes_are_values_not_sql(people, code):
    assert selectors.household_page(code, using="default") is None


def test_a_value_that_is_not_a_plain_parameter_is_refused(people):
    odd = Prepared(lambda code: Household.objects.filter(code=code.upper()))
    with pytest.raises(ValueError, match="not a plain parameter"):
        odd("abc")


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_on_its_own_connection(people):
    codes = list(Household.objects.values_list("code", flat=True))
    found, errors = {}, []

    def read(code):
        try:
            found[code] = selectors.household_page(code, using="default").code
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and found == {code: code for code in codes}


def test_an_integer_beyond_64_bits_finds_nothing_and_raises_nothing(people, client):
    from talks import selectors as talks_selectors

    assert talks_selectors.topic(people.here, 2**63) is None
    assert talks_selectors.topic(people.here, -(2**70)) is None
    response = client.get(f"/v/{people.here.slug}/talks/{2**64}/")
    assert response.status_code == 404
