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
