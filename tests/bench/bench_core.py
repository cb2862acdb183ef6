"""Core pages: the village directory and a village home, with the demo data.

Run: python -m tests.bench.run --only core  (loads the demo data if it is missing)
"""

from tests.bench.common import Row, report, setup, time_page


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
        ("village home", f"/v/{village.slug}/", 30),
    ]:
        median, p95, queries, size = time_page(client, url)
        rows.append(
            Row(name, f"{households} households, {size // 1024} KB", median, p95, queries, target)
        )
    report(rows, "core pages")


if __name__ == "__main__":
    main()
