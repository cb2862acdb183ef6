"""Courtyard signs: ``manage.py print_signs <village> --figures`` for a village of 2,000
households, in a fresh process, as an operator runs it after each ranking period.

    DATABASE_URL=postgres://…/va_bench python -m tests.bench.bench_signs --scale full
    … --scale small   (a quick smoke run: 300 households)

Measures the wall time of the whole command (start-up, queries, drawing, writing), the size of
the PDF and the peak memory (RSS) of the process, against the targets of issue 13: ≤ 10 s,
≤ 10 MB, ≤ 150 MB. The village is the big one of ``manage.py bench_points_data`` (made once,
reused; the points benchmark uses it too). The raster signs of before took 74 s, 436 MB and
86 MB for the same village.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.common import setup

SCALES = {"small": (300, 10_000), "full": (2000, 100_000)}
TARGETS = {"time": 10.0, "size": 10.0, "memory": 150.0}  # s, MB, MB
BENCH_SITE = "https://cun.example.cn"  # a public address: printing refuses anything else


def _ensure_village(scale: str):
    from django.core.management import call_command

    from villageaffairs.models import Village

    households, entries = SCALES[scale]
    slug = f"bench-{scale}big-1"
    if not Village.objects.filter(slug=slug).exists():
        call_command(
            "bench_points_data",
            villages=1,
            households=households,
            entries=entries,
            tag=f"{scale}big",
        )
    return Village.objects.get(slug=slug)


def _print(village, output: Path) -> tuple[float, float, int]:
    """Run the command in a fresh process: its wall time and CPU time (s), peak RSS (bytes)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SITE_URL": os.environ.get("SITE_URL") or BENCH_SITE}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [sys.executable, str(root / "manage.py"), "print_signs", village.slug, "--figures"]
        + ["-o", str(output)],
        env=env,
        check=True,
        cwd=root,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    # The largest RSS of any waited-for child: this one (the bench starts no other process).
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = after.ru_maxrss * 1024  # kB on Linux
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return elapsed, cpu, peak


def main(scale: str = "full") -> None:
    setup()
    from django.db import connection

    from points import services
    from villageaffairs.models import Household

    if connection.vendor != "postgresql":
        raise SystemExit("bench_signs needs PostgreSQL (DATABASE_URL).")
    village = _ensure_village(scale)
    services.rankings_recompute(village_id=village.pk)  # the figures come from the ranking
    count = Household.objects.filter(village=village).count()
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "signs.pdf"
        elapsed, cpu, peak = _print(village, output)
        size = output.stat().st_size
    mb = 1024 * 1024
    measured = {"time": elapsed, "size": size / mb, "memory": peak / mb}
    units = {"time": "s", "size": "MB", "memory": "MB"}
    labels = {"time": "wall time", "size": "PDF size", "memory": "peak RSS"}
    data = f"{count} signs with figures"
    print(f"\n## signs ({scale})\n")
    print("| benchmark | data | measured | target | ratio | ok |")
    print("|---|---|---:|---:|---:|---|")
    for key, value in measured.items():
        target = TARGETS[key]  # for 2,000 signs: the small smoke run is far inside them
        ratio = value / target
        print(
            f"| print_signs --figures: {labels[key]} | {data} | {value:.2f} {units[key]} "
            f"| ≤ {target:.2f} {units[key]} | {ratio:.2f} | {'yes' if ratio <= 1 else 'NO'} |"
        )
    # On a shared machine the wall time includes waiting for a core; the CPU time does not.
    print(f"| print_signs --figures: CPU time | {data} | {cpu:.2f} s | - | - | - |")
    print(f"| per sign | {data} | {size / max(count, 1) / 1024:.1f} kB | - | - | - |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", choices=tuple(SCALES), default="full")
    main(scale=parser.parse_args().scale)
