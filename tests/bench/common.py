"""Shared helpers of the benchmarks (`make bench`): timing of pages and code, one table format.

Every benchmark prints rows of the same table:

    | benchmark | data | median ms | p95 ms | queries | target | ratio | ok |

``ratio`` is median / target (≤ 1.00 meets the target), or a named ratio where a benchmark
compares two timings (e.g. recompute time / bare SQL time).
"""

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import django


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villageaffairs.settings")
    # Not DEBUG: Django would log every query and slow the very thing being measured.
    os.environ.setdefault("TESTING", "1")
    django.setup()


@dataclass
class Row:
    benchmark: str
    data: str
    median_ms: float
    p95_ms: float | None = None
    queries: int | None = None
    target_ms: float | None = None
    ratio: float | None = None
    ratio_label: str = ""

    @property
    def ok(self) -> str:
        if self.ratio is None and self.target_ms is None:
            return "-"
        ratio = self.ratio if self.ratio is not None else self.median_ms / self.target_ms
        limit = 1.0 if self.ratio_label == "" else self.ratio_limit
        queries_ok = self.max_queries is None or (self.queries or 0) <= self.max_queries
        return "yes" if ratio <= limit and queries_ok else "NO"

    ratio_limit: float = 1.0
    max_queries: int | None = None  # a page's query budget, when it has one

    def __post_init__(self):
        if self.max_queries is not None and self.queries is not None:
            self.benchmark += f" (≤ {self.max_queries} queries)"
            if self.queries > self.max_queries:
                self.benchmark += " — over the query budget"


def time_calls(fn: Callable[[], object], repeat: int = 30, warmup: int = 3) -> tuple[float, float]:
    """Median and 95th percentile wall time of fn() in milliseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return statistics.median(samples), p95


def time_page(client, url: str, repeat: int = 30) -> tuple[float, float, int, int]:
    """Median/p95 server time (ms), query count and body size of GET url via the test client."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    # Count now: every later request clears the connection's query log (request_started).
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    queries = len(ctx.captured_queries)
    median, p95 = time_calls(lambda: client.get(url), repeat=repeat)
    return median, p95, queries, len(response.content)


def _counted(fn) -> tuple[object, int]:
    """fn()'s result and the number of queries it ran (on every connection)."""
    from django.db import connections

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    wrappers = [connections[alias].execute_wrapper(counter) for alias in connections]
    for wrapper in wrappers:
        wrapper.__enter__()
    try:
        result = fn()
    finally:
        for wrapper in reversed(wrappers):
            wrapper.__exit__(None, None, None)
    return result, count


def time_page_cold(client, url: str, repeat: int = 30) -> tuple[float, float, int, int]:
    """Like ``time_page``, with the cache emptied before each request (a first visit after a
    change: every cached fragment of the page is rendered again)."""
    from django.core.cache import cache

    from villageaffairs.fragments import clear_local

    cache.clear()
    clear_local()
    response, queries = _counted(lambda: client.get(url))
    assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(repeat):
        cache.clear()
        clear_local()
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return statistics.median(samples), p95, queries, len(response.content)


def time_not_modified(client, url: str, repeat: int = 30) -> tuple[float, float, int]:
    """Median/p95 ms and query count of a phone's return visit with the page's ETag (a 304)."""
    etag = client.get(url)["ETag"]
    response, queries = _counted(lambda: client.get(url, HTTP_IF_NONE_MATCH=etag))
    assert response.status_code == 304, (url, response.status_code)
    median, p95 = time_calls(lambda: client.get(url, HTTP_IF_NONE_MATCH=etag), repeat=repeat)
    return median, p95, queries


def cache_label() -> str:
    """Which cache the pages' fragments live in (Redis when REDIS_URL is set)."""
    from django.conf import settings

    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return "Redis" if "Redis" in backend else f"{backend} (set REDIS_URL for Redis)"


def report(rows: list[Row], title: str = "") -> None:
    if title:
        print(f"\n## {title}\n")
    print("| benchmark | data | median ms | p95 ms | queries | target | ratio | ok |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        target = f"≤ {r.target_ms:g} ms" if r.target_ms is not None else "-"
        if r.ratio is not None:
            ratio = f"{r.ratio:.2f}{' ' + r.ratio_label if r.ratio_label else ''}"
        elif r.target_ms:
            ratio = f"{r.median_ms / r.target_ms:.2f}"
        else:
            ratio = "-"
        p95 = f"{r.p95_ms:.1f}" if r.p95_ms is not None else "-"
        queries = str(r.queries) if r.queries is not None else "-"
        print(
            f"| {r.benchmark} | {r.data} | {r.median_ms:.1f} | {p95} | {queries} | {target} "
            f"| {ratio} | {r.ok} |"
        )
