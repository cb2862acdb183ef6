"""Read replicas, the parts that need no standby: settings, the router's rules, the page list.

The routing itself is tested against a real streaming standby in tests/replicas/.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import router
from django.test import Client
from django.urls import URLResolver, get_resolver

from villageaffairs import replicas
from villageaffairs.db_router import ReplicaRouter, lsn_value, replica_databases, routing
from villageaffairs.models import Village

POSTGRES = {"ENGINE": "django.db.backends.postgresql"}
SQLITE = {"ENGINE": "django.db.backends.sqlite3"}


def test_each_replica_url_becomes_a_standby_alias():
    databases = replica_databases(
        ["postgres://u@10.0.0.2:5432/village", "postgres://u@10.0.0.3:5433/village"],
        POSTGRES,
        conn_max_age=60,
        connect_timeout=3,
    )
    assert list(databases) == ["replica_0", "replica_1"]
    first, second = databases["replica_0"], databases["replica_1"]
    assert first["ENGINE"] == second["ENGINE"] == "villageaffairs.standby"
    assert (first["HOST"], first["PORT"], first["NAME"]) == ("10.0.0.2", 5432, "village")
    assert second["PORT"] == 5433 and second["CONN_MAX_AGE"] == 60
    assert first["OPTIONS"]["connect_timeout"] == 3
    assert "MIRROR" not in first.get("TEST", {})  # the tests reach the real standby


def test_no_replica_urls_change_nothing(settings):
    assert replica_databases([], SQLITE) == {}
    assert settings.DATABASE_REPLICA_URLS or list(settings.DATABASES) == ["default"]
    assert settings.DATABASE_REPLICA_URLS or settings.DATABASE_ROUTERS == []


def test_replicas_need_postgresql():
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        replica_databases(["postgres://u@h/db"], SQLITE)
    with pytest.raises(ImproperlyConfigured, match="not a PostgreSQL URL"):
        replica_databases(["mysql://u@h/db"], POSTGRES)


def test_wal_positions_compare_as_numbers():
    assert lsn_value("0/16B3748") == 0x16B3748
    assert lsn_value("1/0") > lsn_value("0/FFFFFFFF")
    assert lsn_value("16/B374D848") == (0x16 << 32) | 0xB374D848


def test_outside_a_public_page_every_read_and_write_goes_to_the_primary():
    r = ReplicaRouter()
    assert r.db_for_read(Village) == "default"  # a Celery task, a command, the admin
    assert r.db_for_write(Village) == "default"
    with routing(None):  # a signed-in user's request, a POST
        assert r.db_for_read(Village) == "default"
    with routing("replica_0") as state:  # a public page for an anonymous visitor
        assert r.db_for_read(Village) == "replica_0"
        assert r.db_for_write(Village) == "default"
        assert state.wrote and r.db_for_read(Village) == "default"
    assert r.allow_migrate("replica_0", "villageaffairs") is False
    assert r.allow_migrate("default", "villageaffairs") is None


def _view_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _view_names(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def test_the_replica_pages_exist_and_are_public():
    views = dict(_view_names(get_resolver().url_patterns))
    assert set(views) >= replicas.REPLICA_VIEWS, replicas.REPLICA_VIEWS - set(views)
    for name in replicas.REPLICA_VIEWS:
        # village_view(permission) records the flag; a public page has none.
        assert getattr(views[name], "permission", None) is None, name
    assert not {"admin:index", "points:review", "talks:inbox"} & replicas.REPLICA_VIEWS


def test_without_replicas_the_middleware_stays_out_of_the_way(db, settings):
    assert "villageaffairs.replicas.ReplicaMiddleware" in settings.MIDDLEWARE
    if settings.DATABASE_REPLICA_URLS:
        pytest.skip("replicas configured")
    response = Client().post("/i18n/setlang/", {"language": "en"})
    assert replicas.PIN_COOKIE not in response.cookies
    assert router.db_for_read(Village) == "default"
