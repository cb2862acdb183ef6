"""Core pages: the village directory and a village home, with the demo data.

Run: python -m tests.bench.run --only core  (loads the demo data if it is missing)
"""

from tests.bench.common import Row, cache_label, report, setup, time_page, time_page_cold

HOME_TARGET_MS = 10  # issue 16: median server time, warm cache


def main(scale: str = "full") -> None:
    setup()
    from django.test import Client

    from villageaffairs import demo
    from villageaffairs.models import Household, Village

    demo.seed()
    client = Client()
    village = Village.objects.get(slug="youyi")
    households = Household.objects.filter(village=village).count()
    rows = []
    for name, url, target in [
        ("directory", "/", 30),
        ("directory search", "/villages/?q=Sanshui", 30),
        ("village home, warm", f"/v/{village.slug}/", HOME_TARGET_MS),
    ]:
        median, p95, queries, size = time_page(client, url)
        rows.append(
            Row(name, f"{households} households, {size // 1024} KB", median, p95, queries, target)
        )
    # The home's sections rendered again (a first visit, or after a change).
    median, p95, queries, size = time_page_cold(client, f"/v/{village.slug}/")
    rows.append(Row("village home, cold", f"{households} households", median, p95, queries))
    report(rows, f"core pages (fragments in {cache_label()})")


if __name__ == "__main__":
    main()
