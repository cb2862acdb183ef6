"""Read replicas: the database router and what it routes by.

With ``DATABASE_REPLICA_URLS`` set, each URL becomes an alias ``replica_0``, ``replica_1``…
(PostgreSQL streaming standbys; backend ``villageaffairs.standby``). The router never guesses
from URLs: it reads the routing of the current request or block, a context variable set by
``villageaffairs.replicas.ReplicaMiddleware`` (public anonymous pages) or ``use_replica()``.
Outside those (signed-in users, POSTs, the admin, Celery tasks, management commands) every
read goes to the primary. Writes always go to the primary, and after a write the rest of the
request reads from the primary too.

This module is read by the settings, so it imports nothing that needs them at the top.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS

POSTGRESQL = "django.db.backends.postgresql"
STANDBY = "villageaffairs.standby"
REPLICA_PREFIX = "replica_"


def replica_databases(urls, primary, *, conn_max_age=0, connect_timeout=2) -> dict:
    """settings.DATABASES entries for DATABASE_REPLICA_URLS: ``{"replica_0": {...}, ...}``.

    A short connect timeout: a replica that is down costs a request this long once, and is then
    left alone for a while (villageaffairs.replicas.DOWN_SECONDS).
    """
    if urls and primary["ENGINE"] != POSTGRESQL:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL.")
    databases = {}
    for index, url in enumerate(urls):
        config = dj_database_url.parse(url, conn_max_age=conn_max_age)
        if config["ENGINE"] != POSTGRESQL:
            raise ImproperlyConfigured(f"DATABASE_REPLICA_URLS: {url!r} is not a PostgreSQL URL.")
        config["ENGINE"] = STANDBY
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", connect_timeout)
        databases[f"{REPLICA_PREFIX}{index}"] = config
    return databases


def replica_aliases() -> list[str]:
    from django.conf import settings

    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


@dataclass
class Routing:
    """Where the reads of one request (or block) go."""

    replica: str | None = None  # the replica's alias; None: the primary
    wrote: bool = False  # something was written: reads follow it to the primary


_routing: ContextVar[Routing | None] = ContextVar("va_db_routing", default=None)


@contextmanager
def routing(replica: str | None = None):
    """Route the reads of the block to ``replica`` (None: the primary)."""
    state = Routing(replica)
    token = _routing.set(state)
    try:
        yield state
    finally:
        _routing.reset(token)


def current_routing() -> Routing | None:
    return _routing.get()


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when replicas are configured."""

    def db_for_read(self, model, **hints):
        state = _routing.get()
        if state is None or state.replica is None or state.wrote:
            # Said explicitly: an object read from a replica earlier must not draw its
            # related objects from there once the request has moved to the primary.
            return DEFAULT_DB_ALIAS
        return state.replica

    def db_for_write(self, model, **hints):
        state = _routing.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # A replica holds the very same rows as the primary.
        ours = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db.startswith(REPLICA_PREFIX):
            return False  # a standby follows the primary's schema
        return None


def lsn_value(lsn: str) -> int:
    """A WAL position as PostgreSQL prints it (``16/B374D848``), as a number."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def current_lsn(connection) -> str:
    """The primary's current WAL position."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def replay_lsn(connection) -> str | None:
    """How far a standby has replayed the primary's WAL (None on a server that is not one)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
        return cursor.fetchone()[0]


def replayed_past(connection, lsn: str) -> bool:
    replayed = replay_lsn(connection)
    return replayed is not None and lsn_value(replayed) >= lsn_value(lsn)
