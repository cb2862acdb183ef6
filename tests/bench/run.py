"""`make bench`: every area's benchmark on PostgreSQL, one table each.

Usage: python -m tests.bench.run [--scale small|full] [--only core,points,...]
Each module tests/bench/bench_<area>.py exposes ``main(scale: str)``.
"""

import argparse
import importlib
import time

from tests.bench.common import setup

AREAS = ("core", "points", "talks", "loans", "publicity")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=("small", "full"), default="full")
    parser.add_argument("--only", default=",".join(AREAS))
    args = parser.parse_args()
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
