"""Which requests read from a replica, and the pin that keeps a writer on the primary.

A request reads from a replica (villageaffairs/db_router.py) only when all of these hold:
replicas are configured (DATABASE_REPLICA_URLS), it is a GET or HEAD, the visitor is not signed
in, and its view is one of REPLICA_VIEWS, the public pages. Anything else reads from the
primary.

Read your own writes: a request that wrote, and any POST, pins the client to the primary with a
signed cookie holding the primary's WAL position (LSN) after the commit. Until the pin expires
(DATABASE_REPLICA_PIN_SECONDS), that client reads from a replica only if the replica has
replayed past that position, else from the primary.

A replica that cannot be reached, or fails during a request, is left alone for DOWN_SECONDS and
the request is served by the primary: a request never fails because a replica is down.
"""

import contextlib
import logging
import random
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

from villageaffairs.db_router import (
    current_lsn,
    lsn_value,
    replay_lsn,
    replica_aliases,
    routing,
)

logger = logging.getLogger("villageaffairs.replicas")

# The public pages: the same for every anonymous visitor, and nothing on them is the visitor's
# own. URL names; add the region dashboards (/r/…) and the open-data API (/api/v1/) here.
REPLICA_VIEWS = frozenset(
    {
        "home",
        "directory",
        "village_home",
        "points:rules",
        "points:ranking",
        "points:posting",
        "household_public",
        "talks:list",
        "talks:detail",
        "talks:timeline",
        "publicity:index",
        "publicity:item",
        "publicity:month",
        "publicity:month_csv",
        # The public region dashboards.
        "region_index",
        "region_home",
        "region_export",
        "region_village",
        # The open data API (anonymous and read-only; never the bank API, which logs).
        "api_villages",
        "api_village",
        "api_village_rules",
        "api_village_ranking",
        "api_household",
        "api_village_topics",
        "api_village_topic",
        "api_village_votes",
        "api_village_vote_receipts",
        "api_village_disclosures",
        "api_village_statements",
        "api_village_statement",
        "api_village_statement_entries",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD"})
PIN_COOKIE = "va_primary"
PIN_SALT = "villageaffairs.replicas.pin"
# A replica that failed is not tried again by this process for this long.
DOWN_SECONDS = 30.0

_down_until: dict[str, float] = {}


def mark_down(alias: str) -> None:
    _down_until[alias] = time.monotonic() + DOWN_SECONDS
    with contextlib.suppress(DatabaseError):
        connections[alias].close()


def choose_replica(pinned_lsn: str | None = None) -> str | None:
    """A replica that answers (and has replayed ``pinned_lsn``), or None for the primary.

    ``pinned_lsn`` "" is a pin whose position is unknown: the primary until it expires.
    """
    if pinned_lsn == "":
        return None
    now = time.monotonic()
    candidates = [a for a in replica_aliases() if _down_until.get(a, 0.0) <= now]
    random.shuffle(candidates)
    for alias in candidates:
        try:
            # One cheap query that also proves the replica is up before the page relies on it.
            replayed = replay_lsn(connections[alias])
        except Exception:  # noqa: BLE001 - whatever went wrong, the primary serves
            logger.warning("replica %s unreachable, reading from the primary", alias, exc_info=True)
            mark_down(alias)
            continue
        if pinned_lsn is None:
            return alias
        if replayed is not None and lsn_value(replayed) >= lsn_value(pinned_lsn):
            return alias
    return None


@contextmanager
def use_replica(pinned_lsn: str | None = None):
    """Reads in the block go to a replica that answers, else to the primary. For code outside
    a request (a benchmark, a report); requests are routed by ReplicaMiddleware."""
    with routing(choose_replica(pinned_lsn)) as state:
        yield state


def pinned_lsn(request) -> str | None:
    """The client's pin: the primary's WAL position after its last write (None: no pin)."""
    return request.get_signed_cookie(
        PIN_COOKIE, default=None, salt=PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN_SECONDS
    )


def pin(response) -> None:
    try:
        lsn = current_lsn(connections[DEFAULT_DB_ALIAS])
    except DatabaseError:
        lsn = ""  # position unknown: the primary for the whole pin
    response.set_signed_cookie(
        PIN_COOKIE,
        lsn,
        salt=PIN_SALT,
        max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def replica_eligible(request) -> bool:
    match = request.resolver_match
    return (
        request.method in SAFE_METHODS
        and match is not None
        and match.view_name in REPLICA_VIEWS
        and not request.user.is_authenticated
    )


class ReplicaMiddleware:
    """Sets the routing of each request (see the module's docstring).

    It comes last, after the tenancy middleware, so that every read from a replica happens
    inside the view, where a replica that fails is caught (process_exception) and the page is
    read again from the primary. The village of a /v/<village>/ page is thus read from the
    primary: one query by a unique key.
    """

    def __init__(self, get_response):
        if not replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        with routing() as state:
            request.db_routing = state
            response = self.get_response(request)
            if state.wrote or request.method not in SAFE_METHODS:
                pin(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if replica_eligible(request):
            request.db_routing.replica = choose_replica(pinned_lsn(request))
            request._replica_view = (view_func, view_args, view_kwargs)
        return None

    def process_exception(self, request, exception):
        """A replica that failed mid-page: the page again, from the primary."""
        state = getattr(request, "db_routing", None)
        if state is None or state.replica is None:
            return None
        replica = state.replica
        # A lost or refused connection, or a query cancelled by replay: not a bad query.
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        if not connections[replica].errors_occurred:
            return None  # the primary's error
        logger.warning("replica %s failed during a page, reading from the primary", replica)
        mark_down(replica)
        state.replica = None
        view_func, view_args, view_kwargs = request._replica_view
        return view_func(request, *view_args, **view_kwargs)
