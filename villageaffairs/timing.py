"""``Server-Timing`` on every response when ``SERVER_TIMING`` is on, so that an operator sees
in the browser's network panel where a page's time goes: database time and query count, and
the whole request. Off by default: the header tells anyone how much work a page is.
"""

import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections


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
        start = time.perf_counter()
        wrappers = [connections[alias].execute_wrapper(clock) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        total = (time.perf_counter() - start) * 1000
        response.headers["Server-Timing"] = ", ".join(
            [
                f'db;dur={clock.seconds * 1000:.1f};desc="{clock.count} queries"',
                f"queries;desc={clock.count}",
                f"total;dur={total:.1f}",
            ]
        )
        return response
