"""``Server-Timing`` on every response when ``SERVER_TIMING`` is on, so that an operator sees
in the browser's network panel where a page's time goes: database time and query count, the
cached fragments and pages found or rendered, and the whole request. Off by default: the
header tells anyone how much work a page is.
"""

import time
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections

# The cache lookups of the request being timed: [hits, misses], or None when nobody times.
_cache_lookups: ContextVar[list | None] = ContextVar("cache_lookups", default=None)


def cache_lookup(hits: int, misses: int = 0) -> None:
    """Count cache lookups of the cached fragments and pages (villageaffairs.fragments)."""
    found = _cache_lookups.get()
    if found is not None:
        found[0] += hits
        found[1] += misses


class _QueryClock:
    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


class ServerTimingMiddleware:
    def __init__(self, get_response):
        if not getattr(settings, "SERVER_TIMING", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        clock = _QueryClock()
        lookups = [0, 0]
        token = _cache_lookups.set(lookups)
        start = time.perf_counter()
        wrappers = [connections[alias].execute_wrapper(clock) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
            _cache_lookups.reset(token)
        total = (time.perf_counter() - start) * 1000
        response.headers["Server-Timing"] = ", ".join(
            [
                f'db;dur={clock.seconds * 1000:.1f};desc="{clock.count} queries"',
                f"queries;desc={clock.count}",
                f'cache;desc="{lookups[0]} hit, {lookups[1]} miss"',
                f"total;dur={total:.1f}",
            ]
        )
        return response
