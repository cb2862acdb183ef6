"""Publicity: a finance month with 1,000 entries (statement page, a later page of entries, the CSV
export) and the statement's reads on their own.

Run: python -m tests.bench.bench_publicity [--scale small]   (or tests.bench.run --only publicity)
"""

import argparse

from tests.bench.common import Row, report, setup, time_calls, time_page

SCALES = {"small": 100, "full": 1000}


def main(scale: str = "full") -> None:
    setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from publicity import selectors
    from publicity.management.commands.publicity_bench_data import SLUG
    from villageaffairs.models import Village

    n = SCALES[scale]
    call_command("publicity_bench_data", entries=n, verbosity=0)
    village = Village.objects.get(slug=SLUG)
    month = selectors.add_months(timezone.localdate().replace(day=1), -1)
    key = f"{month:%Y-%m}"
    base = f"/v/{SLUG}/open/finance/{key}"
    client = Client()
    rows = []
    pages = max(1, n // selectors.ENTRIES_PER_PAGE)
    for name, url, target in [
        ("finance month page", f"{base}/", 50),
        (f"finance month page {pages}", f"{base}/?page={pages}", 50),
        ("finance month CSV", f"{base}.csv", 100),
        ("open affairs index", f"/v/{SLUG}/open/", 30),
    ]:
        median, p95, queries, size = time_page(client, url)
        rows.append(Row(name, f"{n} entries, {size // 1024} KB", median, p95, queries, target))
    today = timezone.localdate()
    median, p95 = time_calls(
        lambda: selectors.statement(village, month, insider=False, page=1, today=today)
    )
    rows.append(Row("statement reads", f"{n} entries", median, p95, None, 20))
    report(rows, "publicity: a finance month")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="full")
    main(parser.parse_args().scale)
