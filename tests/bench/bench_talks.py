"""Talks: one beat run closing 10,000 due votes, and the topic page with 500 comments.

Run: python -m tests.bench.run --only talks [--scale small]   (PostgreSQL for the real figures)
Data: ``manage.py talks_bench_data`` (synthetic, bulk inserts; re-running resets the votes).
"""

import time

from tests.bench.common import Row, report, setup, time_page

SCALES = {"full": {"votes": 10_000, "comments": 500}, "small": {"votes": 500, "comments": 100}}
# Issue 16: one beat run closes 10,000 due votes within 2 s (scaled to the votes of the run).
CLOSE_TARGET_MS_PER_10K = 2_000


def main(scale: str = "full") -> None:
    setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from talks import services
    from talks.management.commands.talks_bench_data import BIG_TOPIC, SLUG
    from talks.models import Event, Topic, Vote

    size = SCALES[scale]
    call_command("talks_bench_data", verbosity=0, **size)
    due = Vote.objects.filter(village__slug=SLUG, closed_at__isnull=True).count()
    # The beat runs in a worker that loaded the URL configuration at its first task (the first
    # reverse() imports every app's urls and the API schema, about 0.4 s): not on the clock.
    reverse("talks:list", args=[SLUG])
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        closed = services.votes_close_due()
        elapsed = (time.perf_counter() - started) * 1000
    events = Event.objects.filter(village__slug=SLUG, kind=Event.Kind.VOTE_CLOSED).count()
    assert closed >= due and events == due, (closed, due, events)
    again = services.votes_close_due()
    assert again == 0
    rows = [
        Row(
            "close due votes (one beat run)",
            f"{due} votes, {connection.vendor}",
            elapsed,
            None,
            len(ctx.captured_queries),
            CLOSE_TARGET_MS_PER_10K * due / 10_000,
        )
    ]
    topic = Topic.objects.get(village__slug=SLUG, title=BIG_TOPIC)
    client = Client()
    for label, suffix in (("topic page", ""), ("topic page, last comments", "?page=20")):
        median, p95, queries, body = time_page(client, topic.get_absolute_url() + suffix)
        rows.append(
            Row(label, f"{size['comments']} comments, {body // 1024} KB", median, p95, queries, 100)
        )
    report(rows, "talks")


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "full")
