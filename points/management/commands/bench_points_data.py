"""Synthetic data for the points benchmark (PostgreSQL only, set-based: generate_series).

    python manage.py bench_points_data --villages 5000 --households 50 --entries 5000000
    python manage.py bench_points_data --villages 1 --households 2000 --entries 100000 --tag big

Villages get the slugs ``bench-<tag>-<n>``; balances and year scores are summed from the
entries in SQL, so the invariant (balance row = sums of entries) holds for the generated data.
Run it on a database of its own (e.g. va_points_bench).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁"


class Command(BaseCommand):
    help = "Generate synthetic villages, households and ledger entries for bench_points."

    def add_arguments(self, parser):
        parser.add_argument("--villages", type=int, default=1)
        parser.add_argument("--households", type=int, default=2000)
        parser.add_argument("--entries", type=int, default=100_000)
        parser.add_argument("--tag", default="many")

    def handle(self, *args, villages, households, entries, tag, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_points_data needs PostgreSQL (generate_series).")
        prefix = f"bench-{tag}-"
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as c:
            c.execute(
                "SELECT 1 FROM villageaffairs_village WHERE slug LIKE %s LIMIT 1", [prefix + "%"]
            )
            if c.fetchone():
                raise CommandError(f"Villages {prefix}* exist already.")
            # Bulk load: skip the per-row foreign-key triggers (the data is generated consistent).
            c.execute("SET LOCAL session_replication_role = replica")
            c.execute(
                "INSERT INTO villageaffairs_region (name, name_en, level, parent_id) "
                "VALUES (%s, %s, 'town', NULL) RETURNING id",
                [f"基准镇{tag}", f"Bench Town {tag}"],
            )
            region_id = c.fetchone()[0]
            c.execute(
                """
                INSERT INTO villageaffairs_village
                    (name, name_en, slug, region_id, region_path, introduction, is_active,
                     created_at)
                SELECT '基准' || %s || g || '村', 'Bench ' || %s || ' ' || g, %s || g, %s,
                       'Bench Town', '', true, now()
                FROM generate_series(1, %s) g
                """,
                [tag, tag, prefix, region_id, villages],
            )
            c.execute(
                """
                INSERT INTO villageaffairs_household
                    (village_id, code, house_number, villager_group, head_id, name, created_at)
                SELECT v.id, substr(md5(%s || v.id || '-' || g), 1, 16), lpad(g::text, 4, '0'),
                       ((g - 1) / 40 + 1) || '组', NULL,
                       substr(%s, 1 + (abs(hashtext(v.id || ':' || g)) %% %s), 1) || '户' || g,
                       now()
                FROM villageaffairs_village v, generate_series(1, %s) g
                WHERE v.slug LIKE %s
                """,
                [prefix, SURNAMES, len(SURNAMES), households, prefix + "%"],
            )
            c.execute(
                "SELECT min(h.id), max(h.id) FROM villageaffairs_household h "
                "JOIN villageaffairs_village v ON v.id = h.village_id WHERE v.slug LIKE %s",
                [prefix + "%"],
            )
            low, high = c.fetchone()
            c.execute(
                """
                INSERT INTO points_ledgerentry
                    (village_id, household_id, kind, points, in_score, year, reason, created_at,
                     posted_until)
                SELECT h.village_id, h.id, e.kind, e.points, e.kind <> 'redemption',
                       extract(year FROM e.at AT TIME ZONE 'Asia/Shanghai')::int,
                       CASE e.kind WHEN 'award' THEN '参加义务劳动' WHEN 'deduction'
                            THEN '生活垃圾未入桶' ELSE '洗衣粉 × 1' END,
                       e.at, e.at + interval '3 days'
                FROM (
                    SELECT %s + floor(random() * (%s - %s + 1))::bigint AS hid, r.roll, r.at,
                           CASE WHEN r.roll < 0.85 THEN 'award'
                                WHEN r.roll < 0.95 THEN 'deduction' ELSE 'redemption' END AS kind,
                           CASE WHEN r.roll < 0.85 THEN (ARRAY[5, 8, 10, 20, 50])[1 + (g %% 5)]
                                WHEN r.roll < 0.95 THEN (ARRAY[-5, -20, -50])[1 + (g %% 3)]
                                ELSE -10 END AS points
                    FROM generate_series(1, %s) g,
                         LATERAL (SELECT random() + g * 0 AS roll,
                                  now() - random() * interval '900 days'
                                        + g * interval '0 s' AS at) r
                ) e
                JOIN villageaffairs_household h ON h.id = e.hid
                """,
                [low, high, low, entries],
            )
            c.execute(
                """
                INSERT INTO points_balance
                    (household_id, village_id, score, balance, updated_at, version)
                SELECT h.id, h.village_id,
                       COALESCE(SUM(e.points) FILTER (WHERE e.in_score), 0),
                       COALESCE(SUM(e.points), 0), now(), 0
                FROM villageaffairs_household h
                LEFT JOIN points_ledgerentry e ON e.household_id = h.id
                WHERE h.id BETWEEN %s AND %s
                GROUP BY h.id, h.village_id
                """,
                [low, high],
            )
            c.execute(
                """
                INSERT INTO points_yearscore (household_id, village_id, year, score)
                SELECT household_id, village_id, year, SUM(points)
                FROM points_ledgerentry
                WHERE household_id BETWEEN %s AND %s AND in_score
                GROUP BY household_id, village_id, year
                """,
                [low, high],
            )
        with connection.cursor() as c:
            c.execute("ANALYZE")
        self.stdout.write(
            f"{villages} villages × {households} households, {entries} entries "
            f"in {time.perf_counter() - start:.1f} s"
        )
