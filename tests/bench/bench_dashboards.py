"""Region dashboards: a county of 300 villages with two years of daily statistics (the page, by
period and sorted, and its CSV), and the nightly aggregation over 5,000 villages.

Run: python -m tests.bench.run --only dashboards [--scale small]
The data is made once and kept in the bench database (regions and villages named ``bench-…``).
"""

import argparse
import datetime
import random
import time

from tests.bench.common import Row, report, setup, time_page

SCALES = {
    # villages of the county, days of statistics, villages of the nightly run
    "small": (30, 120, 200),
    "full": (300, 730, 5000),
}


def _region(name, level, parent=None, slug=None):
    from villageaffairs.models import Region

    region, _ = Region.objects.get_or_create(
        name=name, parent=parent, defaults={"level": level, "slug": slug}
    )
    return region


def _villages(town_of, prefix: str, count: int):
    """``count`` villages named ``<prefix>-<n>``, spread over the towns ``town_of(n)``."""
    from villageaffairs.models import Village

    existing = set(
        Village.objects.filter(slug__startswith=f"{prefix}-").values_list("slug", flat=True)
    )
    new = [
        Village(
            name=f"{prefix}村{n:05d}",
            slug=f"{prefix}-{n:05d}",
            region=town_of(n),
            region_path=prefix,
        )
        for n in range(count)
        if f"{prefix}-{n:05d}" not in existing
    ]
    Village.objects.bulk_create(new, batch_size=1000)
    return list(Village.objects.filter(slug__startswith=f"{prefix}-").order_by("slug")[:count])


def county_data(villages: int, days: int):
    """A county of ``villages`` villages in 10 towns, each with ``days`` days of statistics."""
    from villageaffairs import stats
    from villageaffairs.models import DailyStats, Household

    province = _region("bench-省", "province", slug="bench-province")
    city = _region("bench-市", "city", province, slug="bench-city")
    county = _region(f"bench-县{villages}", "county", city, slug=f"bench-county-{villages}")
    towns = [
        _region(f"bench-镇{villages}-{t}", "town", county, slug=f"bench-town-{villages}-{t}")
        for t in range(10)
    ]
    rows = _villages(lambda n: towns[n % 10], f"bench-c{villages}", villages)
    ids = [v.pk for v in rows]
    today = datetime.date.today()
    first = today - datetime.timedelta(days=days - 1)
    if DailyStats.objects.filter(village_id__in=ids, day__gte=first).count() < len(ids) * days:
        DailyStats.objects.filter(village_id__in=ids).delete()
        if not Household.objects.filter(village_id=ids[0]).exists():
            Household.objects.bulk_create(
                [Household(village_id=v, house_number=f"{h:03d}") for v in ids for h in range(20)],
                batch_size=2000,
            )
        rng = random.Random(14)  # noqa: S311 - bench figures
        names = stats.columns()
        batch = []
        for village_id in ids:
            for d in range(days):
                values = {name: rng.randint(0, 3) for name in names}
                batch.append(
                    DailyStats(
                        village_id=village_id, day=first + datetime.timedelta(days=d), **values
                    )
                )
                if len(batch) >= 5000:
                    DailyStats.objects.bulk_create(batch)
                    batch = []
        DailyStats.objects.bulk_create(batch)
        stats.rollup(stats._months(first, today))
    return county


def nightly_data(villages: int):
    """``villages`` villages, each with matters, ratings, ledger entries and claims yesterday."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from points.models import Claim, LedgerEntry, Rule
    from talks.models import Event, Topic
    from villageaffairs.models import Household

    province = _region("bench-夜省", "province", slug="bench-night-province")
    city = _region("bench-夜市", "city", province, slug="bench-night-city")
    county = _region("bench-夜县", "county", city, slug="bench-night-county")
    towns = [
        _region(f"bench-夜镇{t}", "town", county, slug=f"bench-night-town-{t}") for t in range(50)
    ]
    rows = _villages(lambda n: towns[n % 50], "bench-n", villages)
    ids = [v.pk for v in rows]
    yesterday = timezone.now() - datetime.timedelta(days=1)
    done = set(
        Topic.objects.filter(village_id__in=ids, title="bench").values_list("village_id", flat=True)
    )
    todo = [v for v in ids if v not in done]
    if not todo:
        return
    author, _ = get_user_model().objects.get_or_create(username="bench-author")
    Household.objects.bulk_create(
        [Household(village_id=v, house_number=f"{h:03d}") for v in todo for h in range(3)],
        batch_size=2000,
    )
    households = {}
    for household in Household.objects.filter(village_id__in=todo):
        households.setdefault(household.village_id, []).append(household)
    rules = Rule.objects.bulk_create(
        [Rule(village_id=v, category=Rule.Category.CIVILITY, text="bench", points=5) for v in todo]
    )
    topics = Topic.objects.bulk_create(
        [
            Topic(
                village_id=v,
                author=author,
                title="bench",
                text="x",
                category="other",
                created_at=yesterday - datetime.timedelta(hours=k * 30),
                first_reply_at=yesterday + datetime.timedelta(minutes=k),
                handled_at=yesterday if k == 0 else None,
            )
            for v in todo
            for k in range(3)
        ],
        batch_size=2000,
    )
    Event.objects.bulk_create(
        [
            Event(village_id=t.village_id, topic=t, kind="handled", created_at=yesterday)
            for t in topics
            if t.handled_at
        ],
        batch_size=2000,
    )
    entries, claims = [], []
    for rule in rules:
        for household in households[rule.village_id]:
            entries.append(
                LedgerEntry(
                    village_id=rule.village_id,
                    household=household,
                    kind="award",
                    points=5,
                    in_score=True,
                    year=yesterday.year,
                    reason="bench",
                    created_at=yesterday,
                )
            )
            claims.append(
                Claim(
                    village_id=rule.village_id,
                    household=household,
                    rule=rule,
                    points=5,
                    state="approved",
                    created_at=yesterday - datetime.timedelta(days=3),
                    decided_at=yesterday,
                )
            )
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    Claim.objects.bulk_create(claims, batch_size=2000)


def main(scale: str = "full") -> None:
    setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from villageaffairs import stats

    villages, days, night = SCALES[scale]
    county = county_data(villages, days)
    client = Client()
    rows = []
    base = f"/r/{county.slug}/"
    data = f"{villages} villages × {days} days"
    for name, url, target in [
        ("county dashboard, month", f"{base}?period=month", 150),
        ("county dashboard, year, by reply time", f"{base}?period=year&sort=reply_median", 250),
        ("county CSV, year", f"{base}export.csv?period=year", 300),
    ]:
        median, p95, queries, size = time_page(client, url, repeat=10)
        rows.append(Row(name, f"{data}, {size // 1024} KB", median, p95, queries, target))

    nightly_data(night)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            stats.run()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    target = 60_000 if scale == "full" else 20_000
    rows.append(
        Row(
            f"nightly aggregation ({stats.SETTLE_DAYS} days, all villages)",
            f"{night} villages with data",
            timings[1],
            timings[-1],
            len(ctx.captured_queries),
            target,
        )
    )
    report(rows, "dashboards: a county and the nightly aggregation")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="full")
    main(parser.parse_args().scale)
