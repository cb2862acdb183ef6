"""What the open data endpoints share: the date filter, versioned lists, and cursor pages over
lists built in memory (a ranking snapshot).

A list answers with ``ETag`` and ``Last-Modified`` from its data's version (one aggregate over
the filtered rows: their count and newest time), and a client that already holds that version
gets a 304 before the page itself is read. The ETag also covers the request's query string, so
each page and each filter has its own.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from base64 import b64decode, b64encode
from datetime import date, datetime
from urllib import parse

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from villageaffairs.apikit import STANDARD, Cursor, Problem, etag_for, not_modified, validators

BAD_DATE = _("Write the date as YYYY-MM-DD.")
DATES_REVERSED = _("The first day is after the last.")

DATE_PARAMETERS = [
    OpenApiParameter(
        "since", OpenApiTypes.DATE, description="Only what falls on or after this day."
    ),
    OpenApiParameter(
        "until", OpenApiTypes.DATE, description="Only what falls on or before this day."
    ),
]


def date_range(request) -> tuple[date | None, date | None]:
    """``?since=`` and ``?until=`` as dates; a malformed one is a 400 naming the field."""
    found, errors = {}, {}
    for name in ("since", "until"):
        raw = request.query_params.get(name, "").strip()
        if not raw:
            found[name] = None
            continue
        try:
            found[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = [BAD_DATE]
    if not errors and found["since"] and found["until"] and found["since"] > found["until"]:
        errors["since"] = [DATES_REVERSED]
    if errors:
        raise Problem("bad_date", BAD_DATE, status=400, errors=errors)
    return found["since"], found["until"]


def payload_etag(data) -> str:
    """An ETag of a whole answer (detail resources: their data is their version)."""
    raw = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True)
    return etag_for(hashlib.blake2b(raw.encode(), digest_size=16).hexdigest())


def conditional(request, data, *, last_modified: datetime | None = None) -> Response:
    """A detail resource's answer, or 304 when the client holds it already."""
    etag = payload_etag(data)
    cached = not_modified(request, etag=etag, last_modified=last_modified)
    if cached is not None:
        return cached
    return validators(Response(data), etag=etag, last_modified=last_modified)


class OpenList(generics.ListAPIView):
    """A public, cursor-paged list with validators. Subclasses set ``serializer_class``,
    ``pagination_class`` (a ``Cursor`` with their ordering), ``version_fields`` (the times whose
    newest is the list's Last-Modified) and ``get_queryset``."""

    version_fields: tuple[str, ...] = ()

    def version(self, queryset) -> tuple[tuple, datetime | None]:
        aggregates = {f"v{i}": Max(name) for i, name in enumerate(self.version_fields)}
        found = queryset.order_by().aggregate(n=Count("pk"), **aggregates)
        times = [t for t in (found[f"v{i}"] for i in range(len(self.version_fields))) if t]
        return (found["n"], *times), max(times) if times else None

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        parts, last_modified = self.version(queryset)
        etag = etag_for(request.get_full_path(), *parts)
        cached = not_modified(request, etag=etag, last_modified=last_modified)
        if cached is not None:
            return cached
        page = self.paginate_queryset(queryset)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        return validators(response, etag=etag, last_modified=last_modified)


def cursor_for(ordering):
    """A ``Cursor`` class with this ordering (the last field must make it unique)."""
    return type("OrderedCursor", (Cursor,), {"ordering": ordering})


class RowCursor:
    """Cursor pages over a list already in memory, sorted by a unique integer key (a ranking
    snapshot's (rank, household id)). The cursor carries the key of the page's edge row, so a
    page is found by bisection and stays put when rows before it change."""

    page_size = Cursor.page_size
    max_page_size = Cursor.max_page_size

    def __init__(self, request, rows, key):
        self.request = request
        self.rows = rows
        self.keys = [key(row) for row in rows]
        try:
            limit = int(request.query_params.get("limit", self.page_size))
        except ValueError:
            limit = self.page_size
        self.limit = max(1, min(limit, self.max_page_size))

    def page(self) -> list:
        raw = self.request.query_params.get("cursor")
        start = 0
        if raw:
            backwards, position = self._decode(raw)
            if backwards:
                end = bisect.bisect_left(self.keys, position)
                start = max(0, end - self.limit)
                self.start, self.end = start, end
                return self.rows[start:end]
            start = bisect.bisect_right(self.keys, position)
        self.start, self.end = start, min(start + self.limit, len(self.rows))
        return self.rows[self.start : self.end]

    def links(self) -> dict:
        following = None
        if self.end < len(self.rows):
            # After the page's last row; an empty page (stepped back past the start) goes on
            # from the first row.
            following = self._link(False, self.keys[self.end - 1]) if self.end else self._first()
        previous = self._link(True, self.keys[self.start]) if self.start > 0 else None
        return {"next": following, "previous": previous}

    def _first(self) -> str:
        return remove_query_param(self.request.build_absolute_uri(), "cursor")

    def _link(self, backwards: bool, position: tuple) -> str:
        token = {"r": int(backwards), "p": ".".join(str(p) for p in position)}
        encoded = b64encode(parse.urlencode(token).encode()).decode()
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "cursor", encoded)

    def _decode(self, raw: str) -> tuple[bool, tuple]:
        try:
            token = parse.parse_qs(b64decode(raw.encode(), validate=True).decode())
            backwards = bool(int(token.get("r", ["0"])[0]))
            position = tuple(int(p) for p in token["p"][0].split("."))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise _bad_cursor() from None
        if self.keys and len(position) != len(self.keys[0]):
            raise _bad_cursor()
        return backwards, position


def _bad_cursor() -> Problem:
    message = STANDARD["bad_cursor"]
    return Problem("bad_cursor", message, status=400, errors={"cursor": [message]})
