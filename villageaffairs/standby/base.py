"""PostgreSQL, as a hot standby that follows a primary (the replica aliases, ``replica_<n>``).

It is Django's PostgreSQL backend with two differences, both because a physical standby is a
read-only copy of the primary's whole cluster:

- There is nothing to create for the tests. The test database that Django creates on the
  primary reaches the standby by replication, so the replica alias is pointed at the same name
  once it has arrived. (A ``TEST: {"MIRROR": ...}`` would make the alias reuse the primary's
  connection, and the tests would never reach the standby.)
- There is nothing to flush: the tests' flush on the primary is replicated too.
"""

import time

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql import base, creation, operations

from villageaffairs.db_router import replayed_past

# How long the test set-up waits for the standby to replay the new test database.
REPLAY_WAIT_SECONDS = 60.0


class DatabaseCreation(creation.DatabaseCreation):
    def create_test_db(self, verbosity=1, autoclobber=False, serialize=True, keepdb=False):
        from django.conf import settings

        # The primary's test database exists by now: Django sets up the default alias first
        # (TEST DEPENDENCIES), and a standby replicates the primary.
        primary = connections[DEFAULT_DB_ALIAS]
        name = primary.settings_dict["NAME"]

        self.connection.close()
        settings.DATABASES[self.connection.alias]["NAME"] = name
        self.connection.settings_dict["NAME"] = name
        if verbosity >= 1:
            self.log(f"Using the standby's copy of {name!r} for alias {self.connection.alias!r}...")
        self.wait_for_replay(primary)
        return name

    def wait_for_replay(self, primary, seconds=REPLAY_WAIT_SECONDS):
        """Wait until the standby has replayed everything the primary has written so far."""
        with primary.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (target,) = cursor.fetchone()
        deadline = time.monotonic() + seconds
        while True:
            try:
                if replayed_past(self.connection, target):
                    return
            except Exception:  # noqa: BLE001 - the database may not have arrived yet
                self.connection.close()
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.connection.alias} did not replay {target}")
            time.sleep(0.1)

    def destroy_test_db(self, old_database_name=None, verbosity=1, keepdb=False, suffix=None):
        # Dropped on the primary; the standby follows.
        from django.conf import settings

        self.connection.close()
        if old_database_name is not None:
            settings.DATABASES[self.connection.alias]["NAME"] = old_database_name
            self.connection.settings_dict["NAME"] = old_database_name


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        return []


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
    ops_class = DatabaseOperations
