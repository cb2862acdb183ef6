"""villageaffairs.prepared: a queryset compiled once gives what the queryset gives."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from points import selectors
from points.services import award_direct, rankings_recompute
from tests.factories import HouseholdFactory
from villageaffairs import prepared
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


# --- server-side prepared statements (PostgreSQL) -------------------------------------------


def _postgres():
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")


def _runs(code):
    with CaptureQueriesContext(connection) as captured:
        found = selectors.household_page(code, using="default")
    return found, [q["sql"] for q in captured.captured_queries]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_second_run_on_a_connection_executes_a_prepared_statement(people, settings):
    _postgres()
    settings.PREPARED_STATEMENTS = True
    connection.close()  # a connection of its own: nothing prepared on it yet
    household = HouseholdFactory(village=people.here)
    first, sqls = _runs(household.code)
    assert first.code == household.code and not sqls[0].startswith("EXECUTE")
    for _ in range(7):  # past the five custom plans, PostgreSQL's generic plan is used
        again, sqls = _runs(household.code)
        assert [again.pk, again.name, again.village.name] == [
            first.pk,
            first.name,
            first.village.name,
        ]
    assert len(sqls) == 1 and sqls[0].startswith("EXECUTE va_prepared_")
    assert 'FROM "villageaffairs_household"' in prepared.source(sqls[0])
    # Other values go through the same statement, odd ones included.
    other = HouseholdFactory(village=people.here)
    assert _runs(other.code)[0].pk == other.pk
    assert _runs("' OR 1=1 --")[0] is None
    assert _runs("%s")[0] is None


def _prepared_household(people, settings):
    """A household whose courtyard query is prepared on this thread's connection."""
    _postgres()
    settings.PREPARED_STATEMENTS = True
    household = HouseholdFactory(village=people.here)
    for _ in range(3):
        assert _runs(household.code)[0].pk == household.pk
    return household


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_and_a_rolled_back_transaction_keep_it_working(people, settings):
    from django.db import transaction

    household = _prepared_household(people, settings)
    connection.close()  # the server forgets its statements with the session
    for _ in range(3):
        assert _runs(household.code)[0].pk == household.pk
    connection.close()

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        _runs(household.code)
        _runs(household.code)  # prepared inside the transaction
        raise Undo
    found, sqls = _runs(household.code)
    assert found.pk == household.pk and sqls[0].startswith("EXECUTE")


@pytest.mark.integration
def test_sql_that_cannot_be_prepared_runs_plain_and_spoils_no_transaction(people, settings):
    _postgres()
    settings.PREPARED_STATEMENTS = True
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    # A parameter whose type PostgreSQL cannot infer ($1 IS NOT NULL).
    odd = Prepared(
        lambda code: Household.objects.filter(code=code).annotate(
            echo=RawSQL("%s IS NOT NULL", (code,), output_field=BooleanField())
        )
    )
    household = HouseholdFactory(village=people.here)
    for _ in range(3):
        assert [(h.pk, h.echo) for h in odd(household.code)] == [(household.pk, True)]
    assert list(prepared._state(connections["default"])[1].items())[-1][1] is None
    assert Household.objects.filter(pk=household.pk).exists()  # the transaction still works


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_setting_turns_them_off(people, settings):
    _postgres()
    settings.PREPARED_STATEMENTS = False
    connection.close()
    household = HouseholdFactory(village=people.here)
    for _ in range(3):
        found, sqls = _runs(household.code)
    assert found.pk == household.pk and not sqls[0].startswith("EXECUTE")


def test_placeholders_are_numbered_and_percent_signs_unescaped():
    assert prepared._numbered("a = %s AND b LIKE '%%x' OR c = %s") == (
        "a = $1 AND b LIKE '%x' OR c = $2"
    )
    assert prepared.source("SELECT 1") == "SELECT 1"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_threads_and_the_main_thread_keep_their_own_statements(people, settings):
    _postgres()
    settings.PREPARED_STATEMENTS = True
    codes = [HouseholdFactory(village=people.here).code for _ in range(6)]
    for code in codes:  # prepared on the main thread's connection
        assert _runs(code)[0].code == code
    found, errors = [], []

    def read(code):
        try:
            for _ in range(3):  # prepared on this thread's connection too
                found.append(selectors.household_page(code, using="default").code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(code,)) for code in codes * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(found) == sorted(codes * 9)
    found, sqls = _runs(codes[0])
    assert found.code == codes[0] and sqls[0].startswith("EXECUTE")


def _deallocate_all():
    """What the server would do should a statement vanish under the connection."""
    with connection.connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_statement_the_server_lost_is_run_plain_then_prepared_again(people, settings, caplog):
    household = _prepared_household(people, settings)
    _deallocate_all()
    found, sqls = _runs(household.code)  # EXECUTE fails, then the same query runs plain
    assert found.pk == household.pk
    assert sqls[0].startswith("EXECUTE") and not sqls[-1].startswith("EXECUTE")
    assert "unknown to the server" in caplog.text
    _runs(household.code)  # first run on a forgotten connection: plain
    found, sqls = _runs(household.code)  # second: prepared again
    assert found.pk == household.pk and len(sqls) == 1 and sqls[0].startswith("EXECUTE")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_lost_statement_in_a_transaction_raises_and_the_next_one_works(people, settings):
    from django.db import DatabaseError, transaction

    household = _prepared_household(people, settings)
    _deallocate_all()
    with pytest.raises(DatabaseError, match="does not exist"), transaction.atomic():
        _runs(household.code)  # the transaction is spoiled: nothing can run after it
    with transaction.atomic():
        assert _runs(household.code)[0].pk == household.pk
        found, sqls = _runs(household.code)
    assert found.pk == household.pk and sqls[0].startswith("EXECUTE")
