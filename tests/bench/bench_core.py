"""Core pages: the village directory and a village home, with the demo data.

Run: python -m tests.bench.bench_core  (after `manage.py seed_demo`)
"""

from tests.bench.common import Row, report, setup, time_page


def main() -> None:
    setup()
    from django.test import Client

    from villageaffairs.models import Household, Village

    client = Client()
    village = Village.objects.order_by("-pk").first()
    if village is None:
        raise SystemExit("No data: run `python manage.py seed_demo` first.")
    households = Household.objects.filter(village=village).count()
    rows = []
    for name, url, target in [
        ("directory", "/", 30),
        ("directory search", "/villages/?q=Sanshui", 30),
        ("village home", f"/v/{village.slug}/", 30),
    ]:
        median, p95, queries, size = time_page(client, url)
        rows.append(
            Row(name, f"{households} households, {size // 1024} KB", median, p95, queries, target)
        )
    report(rows, "core pages")


if __name__ == "__main__":
    main()
