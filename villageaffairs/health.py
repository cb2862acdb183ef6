"""What /healthz reports: each dependency, each check bounded to about a second.

Web is alive while it and the database work; the broker, the cache, the worker and beat are
reported by name ("down" when down) but do not fail the check, so a broker outage does not
take web down with it (the outbox keeps the work, see villageaffairs/outbox.py).
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

OK, DOWN, OFF = "ok", "down", "not configured"
# Beat's sweep writes its heartbeat every minute; three missed minutes mean beat is down.
BEAT_STALE = timedelta(minutes=3)
TIMEOUT = 1.0


def database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure is reported, not raised
        return DOWN
    return OK


def cache_state() -> str:
    is_up = getattr(cache, "is_up", None)
    if is_up is None:
        return OK  # a per-process memory cache (the one-command local run)
    return OK if is_up() else DOWN


def broker() -> str:
    from villageaffairs.celery import app

    url = app.conf.broker_url
    if not url or app.conf.task_always_eager:
        return OFF
    try:
        if url.startswith(("redis://", "rediss://")):
            import redis

            client = redis.Redis.from_url(
                url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=TIMEOUT)
    except Exception:  # noqa: BLE001
        return DOWN
    return OK


def worker() -> str:
    from villageaffairs.celery import app

    try:
        replies = app.control.ping(timeout=TIMEOUT)
    except Exception:  # noqa: BLE001
        return DOWN
    return OK if replies else DOWN


def beat() -> str:
    from villageaffairs.models import Heartbeat

    try:
        at = Heartbeat.objects.filter(name="beat").values_list("at", flat=True).first()
    except Exception:  # noqa: BLE001
        return DOWN
    return OK if at is not None and timezone.now() - at < BEAT_STALE else DOWN


def report() -> tuple[bool, dict[str, str]]:
    """(alive, checks): alive means web can serve, i.e. the database answers."""
    checks = {"database": database(), "cache": cache_state(), "broker": broker()}
    if checks["broker"] == OFF:
        checks["worker"] = checks["beat"] = OFF  # tasks run in-process
    else:
        # Without a broker a ping cannot reach a worker; do not spend a timeout finding out.
        checks["worker"] = worker() if checks["broker"] == OK else DOWN
        checks["beat"] = beat() if checks["database"] == OK else DOWN
    return checks["database"] == OK, checks
