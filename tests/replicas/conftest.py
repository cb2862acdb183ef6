"""The read-replica tests run against a real PostgreSQL streaming standby.

`.ci/standby.sh start` makes a primary and its standby (pg_basebackup -R) on their own ports
and prints DATABASE_URL (the primary) and DATABASE_REPLICA_URLS (the standby); `make
test-replicas` runs these tests with them. Without DATABASE_REPLICA_URLS they are skipped, unless
REPLICA_TESTS_REQUIRED is set (CI), where that is an error.

The standby replicates the whole primary cluster, so the test database that pytest-django
creates on the primary appears on the standby: the replica alias is pointed at it by its
backend (villageaffairs/standby/base.py), with no TEST MIRROR standing in for it.
"""

import time

import pytest
from django.conf import settings
from django.db import connections

from villageaffairs import replicas
from villageaffairs.db_router import current_lsn, replayed_past
from villageaffairs.env import env_bool

CONFIGURED = bool(settings.DATABASE_REPLICA_URLS)
REPLICA = "replica_0"
DATABASES = ["default", REPLICA]


def pytest_collection_modifyitems(config, items):
    here = [item for item in items if "tests/replicas/" in str(item.path)]
    if CONFIGURED or not here:
        return
    if env_bool("REPLICA_TESTS_REQUIRED"):
        raise pytest.UsageError(
            "REPLICA_TESTS_REQUIRED is set but DATABASE_REPLICA_URLS is not: "
            "start the standby with `.ci/standby.sh start`."
        )
    skip = pytest.mark.skip(reason="no standby: DATABASE_REPLICA_URLS is not set")
    for item in here:
        item.add_marker(skip)


def _standby_sql(sql):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_for_replay(seconds=30.0):
    """Until the standby has replayed everything the primary has written so far."""
    target = current_lsn(connections["default"])
    deadline = time.monotonic() + seconds
    while not replayed_past(connections[REPLICA], target):
        assert time.monotonic() < deadline, f"the standby did not replay {target}"
        time.sleep(0.05)


@pytest.fixture
def standby():
    """The standby, caught up with the primary, its replay running and marked up."""
    replicas._down_until.clear()
    _standby_sql("SELECT pg_wal_replay_resume()")
    wait_for_replay()
    yield REPLICA
    connections[REPLICA].close()  # a test may have left it pointing elsewhere or broken
    _standby_sql("SELECT pg_wal_replay_resume()")
    replicas._down_until.clear()


@pytest.fixture
def paused_replay(standby):
    """The standby stops replaying: what the primary writes now is not on the standby."""
    _standby_sql("SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 10
    while _standby_sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield
    _standby_sql("SELECT pg_wal_replay_resume()")


def resume_replay():
    _standby_sql("SELECT pg_wal_replay_resume()")
    wait_for_replay()
