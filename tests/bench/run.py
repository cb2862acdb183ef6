"""`make bench`: every area's benchmark on PostgreSQL, one table each.

Usage: python -m tests.bench.run [--scale small|full|national] [--only core,points,...]
Each module tests/bench/bench_<area>.py exposes ``main(scale: str)``.
"""

import argparse
import importlib
import os
import time

from tests.bench.common import setup

AREAS = ("core", "points", "talks", "loans", "publicity", "signs", "notices", "dashboards")


def ensure_database() -> None:
    """Create the bench database on first use (``make bench`` on a fresh machine)."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise SystemExit("make bench needs PostgreSQL: set DATABASE_URL (BENCH_DATABASE_URL).")
    server = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=("small", "full", "national"), default="full")
    parser.add_argument("--only", default=None)
    args = parser.parse_args()
    # The national scale (35,000 villages, 35 million entries) is the points recompute's:
    # the other areas have no such scale.
    args.only = args.only or ("points" if args.scale == "national" else ",".join(AREAS))
    ensure_database()
    setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    for area in args.only.split(","):
        try:
            module = importlib.import_module(f"tests.bench.bench_{area}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.bench.bench_{area}":
                raise
            continue
        started = time.perf_counter()
        module.main(scale=args.scale)
        print(f"\n({area}: {time.perf_counter() - started:.1f} s including data set-up)")


if __name__ == "__main__":
    main()
