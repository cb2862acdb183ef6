"""Printed notices: the whole ranking of a 2,000-household village and a 1,000-entry finance
month as A4 PDFs, through the real views (time, queries, PDF size and pages).

Run on PostgreSQL, on a database of its own:

    DATABASE_URL=postgres://…/va_notices_bench python -m tests.bench.bench_notices --scale full
    … --scale small   (a quick smoke run: 300 households, 100 entries)

The village is the one of ``manage.py bench_points_data`` (the same as bench_points' big
village, made once and reused); the month is the last one of ``publicity_bench_data``. A
notice is printed, not browsed: its target is a print's, a couple of seconds for forty pages,
not a page's 50 ms.
"""

import argparse

from tests.bench.common import Row, report, setup, time_page

SCALES = {
    "small": {"households": 300, "entries": 10_000, "month_entries": 100},
    "full": {"households": 2000, "entries": 100_000, "month_entries": 1000},
}
# Targets in ms for the full scale; the small scale's are scaled with its rows.
RANKING_TARGET_MS = 2500  # 2,000 rows, ~45 pages
ACCOUNTS_TARGET_MS = 1500  # 1,000 entries, ~25 pages
SITE = "https://cun.example.cn"


def _ranking_village(scale: str):
    from django.core.management import call_command

    from points import services
    from villageaffairs.models import Village

    sizes = SCALES[scale]
    tag = f"{scale}big"  # the village bench_points makes too
    slug = f"bench-{tag}-1"
    if not Village.objects.filter(slug=slug).exists():
        call_command(
            "bench_points_data",
            villages=1,
            households=sizes["households"],
            entries=sizes["entries"],
            tag=tag,
        )
    village = Village.objects.get(slug=slug)
    services.rankings_recompute(village_id=village.pk)
    return village


def _pdf_row(client, name, url, data, target, repeat):
    from tests.printing_helpers import pdf_pages

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    pages = pdf_pages(response.content)
    median, p95, queries, size = time_page(client, url, repeat=repeat)
    return Row(name, f"{data}, {pages} pages, {size // 1024} KB", median, p95, queries, target)


def main(scale: str = "full", repeat: int = 5) -> None:
    setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.utils import timezone

    from publicity import selectors
    from publicity.management.commands.publicity_bench_data import SLUG

    if connection.vendor != "postgresql":
        raise SystemExit("bench_notices needs PostgreSQL (DATABASE_URL).")
    sizes = SCALES[scale]
    share = 1.0 if scale == "full" else 0.5
    village = _ranking_village(scale)
    call_command("publicity_bench_data", entries=sizes["month_entries"], verbosity=0)
    month = selectors.add_months(timezone.localdate().replace(day=1), -1)
    client = Client()
    rows = []
    with override_settings(SITE_URL=SITE):
        rows.append(
            _pdf_row(
                client,
                "ranking notice (PDF)",
                f"/v/{village.slug}/notices/ranking.pdf",
                f"{sizes['households']} households",
                RANKING_TARGET_MS * share,
                repeat,
            )
        )
        rows.append(
            _pdf_row(
                client,
                "posting notice (PDF)",
                f"/v/{village.slug}/notices/posting.pdf",
                f"{sizes['entries']} entries in the ledger",
                RANKING_TARGET_MS * share,
                repeat,
            )
        )
        rows.append(
            _pdf_row(
                client,
                "accounts notice (PDF)",
                f"/v/{SLUG}/notices/accounts/{month:%Y-%m}.pdf",
                f"{sizes['month_entries']} entries",
                ACCOUNTS_TARGET_MS * share,
                repeat,
            )
        )
    report(rows, f"notices ({scale})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="small")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    main(scale=args.scale, repeat=args.repeat)
