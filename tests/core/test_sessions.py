"""villageaffairs.sessions: Django's database sessions, read with a prepared query."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from villageaffairs import prepared
from villageaffairs.sessions import SessionStore


def _session_reads(captured) -> list[str]:
    return [
        prepared.source(q["sql"]) for q in captured if "django_session" in prepared.source(q["sql"])
    ]


def test_the_engine_is_ours():
    assert settings.SESSION_ENGINE == "villageaffairs.sessions"


def test_a_signed_in_phone_is_known_by_its_session(people, client):
    client.force_login(people.villager_here)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/v/{people.here.slug}/me/")
    assert response.status_code == 200
    assert response.context["user"] == people.villager_here
    reads = _session_reads(captured)
    # One read by the key alone: the expiry is compared in Python, not in the statement.
    assert len(reads) == 1 and "expire_date" not in reads[0].split("WHERE")[1]


def test_an_expired_session_is_signed_out_and_forgotten(people, client):
    client.force_login(people.villager_here)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(f"/v/{people.here.slug}/me/")
    assert response.status_code == 302  # to sign in
    store = SessionStore(key)
    assert store.load() == {} and store.session_key is None


def test_an_unknown_key_is_an_empty_session(db):
    store = SessionStore("k" * 32)
    assert store.load() == {} and store.session_key is None


def test_a_malformed_key_costs_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        store = SessionStore("short")
        assert store.load() == {} and store.session_key is None


def test_a_saved_session_reads_back(db):
    store = SessionStore()
    store["village"] = "友谊村"
    store.create()
    again = SessionStore(store.session_key)
    assert again["village"] == "友谊村"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_read_is_a_prepared_statement(people, settings):
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")
    settings.PREPARED_STATEMENTS = True
    connection.close()
    store = SessionStore()
    store["n"] = 1
    store.create()
    sqls = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            assert SessionStore(store.session_key).load() == {"n": 1}
        sqls = [q["sql"] for q in captured.captured_queries]
    assert len(sqls) == 1 and sqls[0].startswith("EXECUTE va_prepared_")
