"""Server-Timing: on only when the setting is, with the page's real query count."""

import re

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_it_is_off_by_default(client, people):
    assert client.get(f"/v/{people.here.slug}/").headers.get("Server-Timing") is None


def test_it_reports_the_queries_the_page_ran(people):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with override_settings(SERVER_TIMING=True):
        fresh = Client()  # a new handler loads the middleware with the setting on
        url = f"/v/{people.here.slug}/ranking/"
        fresh.get(url)
        with CaptureQueriesContext(connection) as queries:
            header = fresh.get(url).headers["Server-Timing"]
    match = re.search(r"queries;desc=(\d+)", header)
    assert match, header
    assert int(match.group(1)) == len(queries.captured_queries) > 0
    assert re.search(r"db;dur=\d+\.\d", header)
    total = float(re.search(r"total;dur=([\d.]+)", header).group(1))
    db = float(re.search(r"db;dur=([\d.]+)", header).group(1))
    assert total >= db


def test_it_counts_the_cached_pages_and_fragments_found_and_rendered(people):
    from django.test import Client

    from points.services import rankings_recompute

    rankings_recompute(village_id=people.here.pk)

    with override_settings(SERVER_TIMING=True):
        url = f"/v/{people.here.slug}/ranking/"
        first = Client().get(url).headers["Server-Timing"]
        again = Client().get(url).headers["Server-Timing"]
        signed_in = Client()
        signed_in.force_login(people.villager_here)
        own = signed_in.get(url).headers["Server-Timing"]

    def lookups(header):
        hits, misses = re.search(r'cache;desc="(\d+) hit, (\d+) miss"', header).groups()
        return int(hits), int(misses)

    assert lookups(first)[0] == 0 and lookups(first)[1] >= 2  # the page and its table
    assert lookups(again) == (1, 0)  # the signed-out page, whole from the cache
    # A signed-in viewer's page is rendered around the cached fragments, its place included.
    assert lookups(own)[0] >= 1
