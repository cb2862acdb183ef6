"""Fault injection on the real services: a private Redis (cache and broker) that tests stop,
hang (SIGSTOP) and bring back, and a real Celery worker process they may kill.

The machine's Redis on 6379 is never touched: each test starts its own redis-server on a
spare port in 6390-6399. Import the fixtures into a test module to use them.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from villageaffairs import outbox
from villageaffairs.celery import app
from villageaffairs.queues import all_queues
from villageaffairs.sms import LogBackend

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 0.5


class PrivateRedis:
    def __init__(self, port: int, tmp: Path):
        self.port, self.tmp = port, tmp
        self.url = f"redis://127.0.0.1:{port}/0"
        self.pidfile = tmp / f"redis-{port}.pid"
        self.paused = False

    def start(self):
        subprocess.run(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--daemonize", "yes",
                "--save", "",
                "--appendonly", "no",
                "--pidfile", str(self.pidfile),
                "--dir", str(self.tmp),
            ],
            check=True,
        )  # fmt: skip
        for _ in range(50):
            if self._cli("ping").stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError(f"redis-server on {self.port} did not start")

    def stop(self):
        self._cli("shutdown", "nosave")
        for _ in range(50):
            if not _listening(self.port):
                return
            time.sleep(0.1)

    def pause(self):
        os.kill(self._pid(), signal.SIGSTOP)
        self.paused = True

    def resume(self):
        os.kill(self._pid(), signal.SIGCONT)
        self.paused = False

    def _pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    def _cli(self, *args):
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def private_redis(tmp_path):
    port = next((p for p in range(6390, 6400) if not _listening(p)), None)
    if port is None:
        pytest.skip("no spare port in 6390-6399 for a private redis-server")
    redis = PrivateRedis(port, tmp_path)
    redis.start()
    yield redis
    if redis.paused:
        redis.resume()
    redis.stop()


@pytest.fixture
def on_private_redis(private_redis, settings, monkeypatch):
    """Cache and broker of this process on the private Redis; the outbox ready to send."""
    # Celery first: its configuration reads the Django settings live, so the values to restore
    # must be taken before CELERY_BROKER_URL changes.
    app.conf.broker_url  # noqa: B018 - load Celery's configuration before changing it
    monkeypatch.setitem(app.conf, "broker_url", private_redis.url)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    settings.CELERY_BROKER_URL = private_redis.url
    settings.CACHES = {
        "default": {
            "BACKEND": "villageaffairs.cache.ResilientRedisCache",
            "LOCATION": private_redis.url,
            "OPTIONS": {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT},
        }
    }
    monkeypatch.setattr(outbox, "_broker_paused_until", 0.0)
    LogBackend.outbox.clear()
    return private_redis


@pytest.fixture
def start_worker(transactional_db, on_private_redis):
    """Start a real `celery worker` process on the private Redis and the test database."""
    workers = []

    def start(**extra_env):
        db = connection.settings_dict
        env = os.environ | {
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{db['NAME']}"
            ),
            "REDIS_URL": on_private_redis.url,
            "DJANGO_SETTINGS_MODULE": "villageaffairs.settings_test",
            **extra_env,
        }
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable, "-m", "celery", "-A", "villageaffairs", "worker",
                "--pool", "solo", "--loglevel", "WARNING",
                "--include", "tests.core.slow_tasks",
                "-Q", ",".join(all_queues(app.conf.task_default_queue)),
                "-n", f"resilience-{on_private_redis.port}@%h",
            ],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        workers.append(proc)
        return proc

    yield start
    for proc in workers:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def later():
    """A sweep as beat would run it once every enqueue countdown is over."""
    return timezone.now() + timedelta(seconds=30)
