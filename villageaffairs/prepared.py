"""Hot querysets compiled once, then run again with new values.

Building and compiling a queryset with a few subqueries costs Django more than PostgreSQL takes
to run it (about 3 ms against 0.3 ms for the courtyard page's one query). ``Prepared`` builds
the queryset once per process, thread and database with stand-in values for its parameters,
keeps the compiled SQL, and on each call puts the real values in their places and lets the
same compiler turn the rows into model instances (``select_related`` and annotations
included), exactly as the queryset would.

Strings and integers are prepared (their stand-ins, a string with a NUL in it and a large
negative number, are never another value of these queries); values that change the query's
shape or its other parameters are passed as ``key`` and compiled once per distinct key. The
values are compared for equality (an integer beyond 64 bits matches nothing).

**On PostgreSQL the plan is kept too.** PostgreSQL plans every statement it is sent: 2.4 ms for
the topic page's read of its topic (nine joins), 0.6 ms for the courtyard page's, against 0.3
and 0.2 ms to run them. So a query run a second time on the same connection is made a
server-side prepared statement (``PREPARE va_prepared_N AS …``), and from then on that
connection is sent ``EXECUTE va_prepared_N(values)``; after five runs PostgreSQL keeps a generic
plan and plans no more. A connection used once (``CONN_MAX_AGE = 0``) never prepares anything. A
prepared statement lives as long as its connection (a new connection prepares again) and
survives a rolled-back transaction; one that cannot be prepared is run as plain SQL.

**The statements are kept per connection, on the connection that runs them**: the database
wrapper that executes a query holds the driver connection its statements were prepared on, and
a new driver connection (after a close, in another thread) starts with none. Should the server
still answer that a statement does not exist, the wrapper forgets its statements and, outside a
transaction, runs the query again as plain SQL (inside one, the error is raised: the transaction
is spoiled). Never turn them on behind a pooler in transaction mode (PgBouncer's), where a
session's statements do not follow it: ``DATABASE_PREPARED_STATEMENTS=false``.
"""

import copy
import itertools
import logging
import re
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)
_INT64 = (-(2**63), 2**63 - 1)
_STAND_INS = {str: lambda n: f"\x00prepared-{n}\x00", int: lambda n: -2_000_000_000 - n}


#: The attribute of a database wrapper holding (driver connection, {SQL: statement name, or None
#: if it could not be prepared}, {SQL: runs before being prepared}).
_STATE = "_va_prepared"
_UNKNOWN_STATEMENT = "26000"  # PostgreSQL's invalid_sql_statement_name
_names = itertools.count(1)
#: One name per SQL, whatever the connection; and back (logs show ``EXECUTE name(…)``).
_name_of: dict[str, str] = {}
_sources: dict[str, str] = {}
_PLACEHOLDER = re.compile(r"%[s%]")
_EXECUTE = re.compile(r"^EXECUTE (va_prepared_\d+)\b")


def source(sql: str) -> str:
    """The SQL a logged ``EXECUTE va_prepared_N(…)`` ran (other SQL as it is)."""
    found = _EXECUTE.match(sql)
    return _sources.get(found.group(1), sql) if found else sql


def _numbered(sql: str) -> str:
    """Django's ``%s`` placeholders as PostgreSQL's ``$1 … $n`` (and ``%%`` as ``%``)."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)


def _state(wrapper) -> tuple:
    """The statements prepared on ``wrapper``'s current driver connection. The state holds that
    connection itself, so a new one (a reconnect, another thread's) is never taken for it."""
    raw = wrapper.connection
    state = wrapper.__dict__.get(_STATE)
    if state is None or state[0] is not raw:
        state = wrapper.__dict__[_STATE] = (raw, {}, {})
    return state


def forget(wrapper) -> None:
    """Drop what ``wrapper`` knows of its prepared statements (they are prepared again)."""
    wrapper.__dict__.pop(_STATE, None)


def _server_statement(wrapper, sql: str) -> str | None:
    """The name of ``sql`` prepared on the driver connection of ``wrapper`` (the database
    wrapper that will run it): prepared at its second run there; None while it runs plain."""
    if wrapper.vendor != "postgresql" or not getattr(settings, "PREPARED_STATEMENTS", False):
        return None
    wrapper.ensure_connection()
    raw, known, runs = _state(wrapper)
    if sql in known:
        return known[sql]
    runs[sql] = runs.get(sql, 0) + 1
    if runs[sql] < 2:
        return None
    from psycopg2 import DatabaseError
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS

    status = raw.get_transaction_status()
    if status not in (TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS):
        return None  # a failed transaction: try again on a later run
    name = _name_of.get(sql) or _name_of.setdefault(sql, f"va_prepared_{next(_names)}")
    _sources[name] = sql
    # Outside autocommit the driver opens the caller's transaction with the first statement: a
    # refused PREPARE must not spoil it, so it runs in a savepoint there.
    guarded = not raw.autocommit
    # Straight on the driver's cursor: a one-off per connection, not one of the page's queries.
    with raw.cursor() as cursor:
        try:
            if guarded:
                cursor.execute("SAVEPOINT va_prepare")
            cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
            if guarded:
                cursor.execute("RELEASE SAVEPOINT va_prepare")
        except DatabaseError:
            if guarded:
                cursor.execute("ROLLBACK TO SAVEPOINT va_prepare")
            name = None
    known[sql] = name
    return name


def _unknown_statement(exc: Exception) -> bool:
    cause = exc.__cause__
    return getattr(cause, "pgcode", None) == _UNKNOWN_STATEMENT


class Prepared:
    """``Prepared(build, kinds)``; ``prepared(*values, key=(), using=alias)`` is the list of
    what ``build(*values, *key)`` would give, where ``build`` returns a queryset and each value,
    of the type ``kinds`` names (``str`` or ``int``), is a parameter of the queryset."""

    def __init__(self, build: Callable, kinds: tuple[type, ...] = (str,)):
        self.build = build
        self.kinds = kinds
        self._local = threading.local()

    def _compiled(self, key: tuple, using: str):
        # Per thread: a compiler holds its thread's connection.
        compiled = self._local.__dict__.setdefault("compiled", {})
        wrapper = connections[using]
        slot = (using, wrapper.vendor, key)
        # A compiler runs on the wrapper it was made with: compiled again should the thread's
        # wrapper for ``using`` ever be another.
        if slot not in compiled or compiled[slot][2].connection is not wrapper:
            stand_ins = [_STAND_INS[kind](n) for n, kind in enumerate(self.kinds)]
            queryset = self.build(*stand_ins, *key).using(using)
            compiler = queryset.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
            places = [[i for i, p in enumerate(params) if p == s] for s in stand_ins]
            if not all(places):  # a value did not reach the SQL as itself: nothing to prepare
                raise ValueError(f"{self.build.__qualname__}: a value is not a plain parameter")
            converters = {}

            def get_converters(expressions, _compute=compiler.get_converters):
                # The same columns each run: Django would work their converters out each time.
                if "found" not in converters:
                    converters["found"] = _compute(expressions)
                return converters["found"]

            # One queryset to iterate, made once: its compiler is the run's (below). Iterated
            # by its iterable class, never evaluated, so it keeps no rows between runs.
            if queryset._prefetch_related_lookups:
                raise ValueError(f"{self.build.__qualname__}: prefetching is not prepared")
            runs = []
            iterated = queryset._chain()
            iterated.query.get_compiler = lambda *args, **kwargs: runs[-1]
            compiled[slot] = (iterated, runs, compiler, sql, tuple(params), places, get_converters)
        return compiled[slot]

    def __call__(self, *values: str, key: tuple = (), using: str = "default") -> list:
        values = [kind(value) for value, kind in zip(values, self.kinds, strict=True)]
        if any(type(value) is int and not _INT64[0] <= value <= _INT64[1] for value in values):
            return []  # no key is that large (the ORM answers so too; SQLite would raise)
        iterated, runs, compiler, sql, params, places, get_converters = self._compiled(key, using)
        filled = list(params)
        for value, at in zip(values, places, strict=True):
            for i in at:
                filled[i] = value
        wrapper = compiler.connection
        name = _server_statement(wrapper, sql)
        try:
            return self._run(iterated, runs, compiler, sql, filled, get_converters, name)
        except DatabaseError as exc:
            if name is None or not _unknown_statement(exc):
                raise
            # The server lost a statement this connection prepared (it cannot, short of someone
            # else's DEALLOCATE or a socket shared by mistake): start again from nothing.
            forget(wrapper)
            logger.warning("prepared statement %s is unknown to the server; prepared again", name)
            if wrapper.in_atomic_block:
                raise
            return self._run(iterated, runs, compiler, sql, filled, get_converters, None)

    @staticmethod
    def _run(iterated, runs, compiler, sql, filled, get_converters, name) -> list:
        run = copy.copy(compiler)
        if name is not None:
            run.as_sql = lambda *args, **kwargs: (
                f"EXECUTE {name}({', '.join(['%s'] * len(filled))})",
                filled,
            )
        else:
            run.as_sql = lambda *args, **kwargs: (sql, filled)
        run.get_converters = get_converters
        runs.append(run)
        try:
            # What evaluating the queryset does, without copying it for every run.
            return list(iterated._iterable_class(iterated))
        finally:
            runs.pop()

    def first(self, *values, key: tuple = (), using: str = "default"):
        """The first of ``self(...)``, or None."""
        found = self(*values, key=key, using=using)
        return found[0] if found else None
