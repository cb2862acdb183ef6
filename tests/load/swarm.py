"""One phase of `make load`: locust, as a library, against the server the harness started.

    python -m tests.load.swarm --fixture F --target mix|empty --users N --seconds S
                               [--rate R] [--warmup W] --out result.json

Closed loop (no --rate): every simulated villager sends its next request as soon as the last one
is answered, so the server runs at saturation. Open loop (--rate R): N users, each at R/N
requests a second (locust's constant_throughput), i.e. R requests/s arriving whatever the
latency (as long as a request takes under N/R seconds). Run in its own process: locust's
gevent monkey-patches the standard library, which the harness (Django, subprocesses) must not
share.
"""

import argparse
import contextlib
import itertools
import json
import random
import time
import uuid
from pathlib import Path

import gevent
import psutil

# locust monkey-patches the standard library (gevent) on import: before requests and ssl.
from locust import FastHttpUser, constant, constant_throughput, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment
from requests.cookies import create_cookie

from tests.load.mix import EXPECTED_STATUS, MIX, pick_kind

EMPTY_URL = "/_empty"


def user_class(fixture: dict, host: str, target: str, per_user_rate: float | None):
    pools = fixture["pools"]
    writes = fixture["writes"]
    writers = itertools.cycle(fixture["writers"])
    domain = host.split("://", 1)[1].split(":", 1)[0]

    class Villager(FastHttpUser):
        wait_time = constant_throughput(per_user_rate) if per_user_rate else constant(0)
        network_timeout = 30.0
        connection_timeout = 10.0

        def on_start(self):
            self.rng = random.Random()
            # A separate client (and cookie jar) for the signed-in writes: every read stays
            # anonymous, as a QR scan is.
            writer = next(writers)
            self.signed_in = FastHttpSession(
                base_url=self.host, request_event=self.environment.events.request, user=self
            )
            names = fixture["cookies"]
            for key in ("session", "csrf"):
                cookie = create_cookie(names[key], writer[key], domain=domain)
                self.signed_in.cookiejar.set_cookie(cookie)
            self.csrf = writer["csrf"]

        @task
        def request(self):
            if target == "empty":
                self._get("empty", EMPTY_URL)
                return
            kind = pick_kind(self.rng)
            if kind == "write":
                self._write()
            else:
                self._get(kind, self.rng.choice(pools[kind]))

        def _get(self, kind, url):
            with self.client.get(
                url, name=kind, allow_redirects=False, catch_response=True
            ) as response:
                _check(response, kind)

        def _write(self):
            # Half comments on a topic, half points claims (the "write" share of the mix).
            if self.rng.random() < 0.5:
                url, name = self.rng.choice(writes["comment"]), "write: comment"
                data = {"text": "同意，晚上确实太黑了。"}
            else:
                url, name = writes["claim"][0], "write: claim"
                data = {"rule": fixture["rule"], "note": "打扫村道", "submission_key": uuid.uuid4()}
            data["csrfmiddlewaretoken"] = self.csrf
            with self.signed_in.post(
                url, data=data, name=name, allow_redirects=False, catch_response=True
            ) as response:
                _check(response, "write")
            # The success message waits in a cookie for the page after the redirect, which a
            # phone would load next; it is not fetched here, so the message is dropped.
            with contextlib.suppress(KeyError):
                self.signed_in.cookiejar.clear(domain, "/", "messages")

    Villager.host = host
    return Villager


def _check(response, kind: str) -> None:
    expected = EXPECTED_STATUS[kind]
    if response.status_code != expected:
        response.failure(f"{kind}: {response.status_code}, expected {expected}")
    else:
        response.success()


def _percentile(entry, fraction: float) -> float | None:
    return entry.get_response_time_percentile(fraction) if entry.num_requests else None


def run(fixture: dict, host: str, target: str, users: int, seconds: float, rate, warmup) -> dict:
    per_user_rate = rate / users if rate else None
    environment = Environment(user_classes=[user_class(fixture, host, target, per_user_rate)])
    runner = environment.create_local_runner()
    # Everyone within a second: in the open loop this spreads the arrivals over the second.
    runner.start(users, spawn_rate=users)
    gevent.sleep(warmup)
    environment.stats.reset_all()
    me = psutil.Process()
    me.cpu_percent()
    started = time.perf_counter()
    gevent.sleep(seconds)
    elapsed = time.perf_counter() - started
    cpu = me.cpu_percent()
    total = environment.stats.total
    requests, failures = total.num_requests, total.num_failures
    p50, p95 = _percentile(total, 0.5), _percentile(total, 0.95)
    kinds = {}
    for (name, _method), entry in environment.stats.entries.items():
        kinds[name] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": _percentile(entry, 0.5),
            "p95_ms": _percentile(entry, 0.95),
        }
    errors = {str(e.error): e.occurrences for e in list(environment.stats.errors.values())[:20]}
    runner.quit()
    return {
        "target": target,
        "mode": "open" if rate else "closed",
        "users": users,
        "rate": rate,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "failures": failures,
        "rps": requests / elapsed if elapsed else 0.0,
        "p50_ms": p50,
        "p95_ms": p95,
        "kinds": kinds,
        "errors": errors,
        "client_cpu": cpu,
        "mix": MIX if target == "mix" else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixture", required=True, type=Path)
    parser.add_argument("--host", required=True)
    parser.add_argument("--target", choices=("mix", "empty"), default="mix")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=None)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args()
    fixture = json.loads(args.fixture.read_text())
    result = run(fixture, args.host, args.target, args.users, args.seconds, args.rate, args.warmup)
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
