"""`make load`: the villagers' evening mix under concurrent load, against gunicorn as deployed.

Usage: python -m tests.load.run [--scale small|full] [--users 20,50] [--rate 50] [--open-users 10]
                                [--seconds 15] [--rounds 3] [--workers N] [--port 8090]
                                [--json PATH] [--cold]

1. Data: the bench's villages (tests/bench/bench_points.py) in DATABASE_URL, built on the first
   run and reused, plus villagers, a rule and topics (tests/load/data.py); fresh sessions.
2. gunicorn with deploy/gunicorn.conf.py and the production settings (DEBUG off, whitenoise's
   compressed manifest, PostgreSQL, the Redis cache, persistent connections as in compose), on
   127.0.0.1 only. Plain HTTP on loopback: SECURE_SSL_REDIRECT=false, as the README says for
   trying the production settings without HTTPS. /_empty is mounted (LOAD_EMPTY_VIEW).
3. Priming (unless --cold): every read URL of the pools is visited once, as an evening finds
   the pages, each seen once since the night's recompute.
4. Phases, each a locust process (tests/load/swarm.py): at the largest user count the empty
   view and the mix in a closed loop, alternating in --rounds rounds (the saturation ratio is
   the median of the rounds' own: tests/load/summary.py); the mix in a closed loop at each
   smaller user count; the mix in an open loop at --rate req/s.
5. A table like `make bench`'s and a JSON summary. Exit status 1 if any request failed.

gunicorn is stopped on every way out (also Ctrl-C). Workers: 2 × cores + 1 sync workers by
default (gunicorn's own advice: a worker waits on PostgreSQL part of each request).
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.load import summary

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1) + 1


def server_env(args) -> dict[str, str]:
    """The production settings, on loopback. SECRET_KEY is new each run; the sessions made for
    the writers are signed with it, so the harness uses the same environment as gunicorn."""
    env = {k: v for k, v in os.environ.items() if k not in ("TESTING", "DEBUG", "SERVER_TIMING")}
    host = f"127.0.0.1:{args.port}"
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "villageaffairs.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": f"http://{host}",
            "SITE_URL": f"http://{host}",
            "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback (README, Production)
            "REDIS_URL": args.redis_url,
            "CACHE_KEY_PREFIX": "va-load",
            "CELERY_QUEUE": "va_load",  # no worker: tasks wait there and are removed after
            "DATABASE_CONN_MAX_AGE": "60",  # as docker-compose.yml
            "LOAD_EMPTY_VIEW": "true",
            "GUNICORN_BIND": host,
            "WEB_CONCURRENCY": str(args.workers),
            "MEDIA_ROOT": str(Path(tempfile.gettempdir()) / "va-load-media"),
        }
    )
    if not env.get("DATABASE_URL"):
        raise SystemExit("make load needs PostgreSQL: set DATABASE_URL (LOAD_DATABASE_URL).")
    return env


def prepare(args, env) -> dict:
    """Database, static files and the fixture (in this process, with gunicorn's settings)."""
    os.environ.update(env)
    from tests.bench.run import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command

    from tests.load import data

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
    return data.prepare(args.scale, writers=max(args.users + [int(args.rate or 0)]))


def redis_cleanup(url: str) -> None:
    """Remove what the run left in Redis: its cache keys and the tasks nobody consumed."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    keys = list(client.scan_iter("va-load:*")) + list(client.scan_iter("*va_load*"))
    if keys:
        client.delete(*keys)


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_up(server: subprocess.Popen, base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode} (see its log)")
        try:
            with urllib.request.urlopen(f"{base}/_empty", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer on {base} within {timeout:.0f} s")


def check_pages(base: str, fixture: dict) -> None:
    """Each kind's first URL answers 200 before the clock starts (and warms the caches)."""
    for kind, urls in fixture["pools"].items():
        for url in urls[:3]:
            with urllib.request.urlopen(base + url, timeout=30) as response:  # noqa: S310
                if response.status != 200:
                    raise SystemExit(f"{kind} {url}: {response.status}")


def prime(base: str, fixture: dict, threads: int = 4) -> tuple[int, float]:
    """Visit every read URL of the pools once, signed out, before the clock starts: the pages
    as an evening finds them, each seen once since the night's recompute (its fragments
    rendered and cached). Returns how many pages and the seconds it took. ``--cold`` skips it:
    every first visit then renders, as right after a recompute."""
    from concurrent.futures import ThreadPoolExecutor

    urls = [url for pool in fixture["pools"].values() for url in pool]
    started = time.perf_counter()

    def visit(url):
        with urllib.request.urlopen(base + url, timeout=60) as response:  # noqa: S310
            response.read()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(visit, urls))
    return len(urls), time.perf_counter() - started


def stop(process: subprocess.Popen | None, grace: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def phase(args, env, fixture_path, workdir, name, target, users, rate=None, seconds=None) -> dict:
    out = workdir / f"{name}.json"
    command = [
        str(BIN / "python"),
        "-m",
        "tests.load.swarm",
        "--fixture",
        str(fixture_path),
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--target",
        target,
        "--users",
        str(users),
        "--seconds",
        str(seconds or args.seconds),
        "--warmup",
        str(args.warmup),
        "--out",
        str(out),
    ]
    if rate:
        command += ["--rate", str(rate)]
    swarm = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})  # noqa: S603
    try:
        if swarm.wait() != 0:
            raise SystemExit(f"load phase {name} failed (status {swarm.returncode})")
    finally:
        stop(swarm, grace=5)
    result = json.loads(out.read_text())
    result["name"] = name
    print(
        f"  {name}: {result['requests']} requests in {result['seconds']:.0f} s, "
        f"{result['rps']:.1f} req/s, {result['failures']} failed",
        flush=True,
    )
    return result


def _rounds(args, env, fixture_path, workdir, users) -> dict[str, list[dict]]:
    """The empty view and the mix at ``users``, alternating (empty, mix; then mix, empty; …) in
    ``--rounds`` rounds of ``--seconds / --rounds`` each: each round's two figures are taken
    seconds apart, and a drift of the machine's speed over the run falls on both."""
    seconds = args.seconds / args.rounds
    done: dict[str, list[dict]] = {"empty": [], "mix": []}
    for n in range(args.rounds):
        for target in ("empty", "mix") if n % 2 == 0 else ("mix", "empty"):
            name = f"{target}-{users}-round{n + 1}"
            result = phase(args, env, fixture_path, workdir, name, target, users, seconds=seconds)
            done[target].append(result)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "full"), default="full")
    parser.add_argument("--users", default="20,50", help="closed-loop user counts (comma list)")
    parser.add_argument("--rate", type=float, default=50, help="open loop: requests/s (0: skip)")
    # Open loop: the users sharing --rate, each at rate/users requests a second. locust adds
    # latency of its own that grows with its users at the same rate (at 50 req/s, measured
    # against gunicorn's own request times of p95 12 ms: 5 users p95 33 ms, 10 users 57 ms,
    # 25 users 110 ms, 50 users 250 ms); 10 users at 5 requests a second each keep the loop
    # open for any request under 200 ms.
    parser.add_argument("--open-users", type=int, default=10, help="open loop: users (≤ rate)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds per phase")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the empty view and the mix at the most users alternate in this many rounds, "
        "each of --seconds / rounds (the ratio: the median of the rounds')",
    )
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "load.json")
    parser.add_argument(
        "--cold", action="store_true", help="skip priming: every page's first visit renders it"
    )
    args = parser.parse_args()
    args.users = sorted({int(u) for u in args.users.split(",") if u.strip()})
    if not args.users or min(args.users) < 1 or max(args.users + [args.rate]) > 500:
        raise SystemExit("--users and --rate: between 1 and 500.")
    if not 1 <= args.rounds <= 10:
        raise SystemExit("--rounds: between 1 and 10.")

    if not port_free(args.port):
        raise SystemExit(f"127.0.0.1:{args.port} is in use: choose another --port.")
    # A plain `kill` of the harness stops gunicorn too (the finally below), as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    env = server_env(args)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    fixture = prepare(args, env)
    print(f"data ready in {time.perf_counter() - started:.1f} s: {fixture['data']}", flush=True)
    base = f"http://127.0.0.1:{args.port}"
    args.json.parent.mkdir(parents=True, exist_ok=True)
    log_path = args.json.with_name("load-gunicorn.log")
    server = None
    phases: list[dict] = []
    try:
        redis_cleanup(args.redis_url)
        with tempfile.TemporaryDirectory(prefix="va-load-") as tmp:
            workdir = Path(tmp)
            fixture_path = workdir / "fixture.json"
            fixture_path.write_text(json.dumps(fixture))
            with open(log_path, "w") as log:
                server = subprocess.Popen(  # noqa: S603
                    [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
                    + ["villageaffairs.wsgi:application"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C reaches the harness, which stops it
                )
            wait_up(server, base)
            check_pages(base, fixture)
            if not args.cold:
                primed, took = prime(base, fixture)
                print(f"primed: {primed} pages visited once in {took:.0f} s", flush=True)
            print(
                f"gunicorn: {args.workers} sync workers on {base} ({os.cpu_count()} cores); "
                f"{args.seconds:g} s per phase after {args.warmup:g} s warm-up "
                f"(at {max(args.users)} users: {args.rounds} rounds of each)",
                flush=True,
            )
            top = max(args.users)
            paired = _rounds(args, env, fixture_path, workdir, top)
            phases.append(summary.combine(paired["empty"], f"empty-{top}"))
            for users in args.users[:-1]:
                phases.append(phase(args, env, fixture_path, workdir, f"mix-{users}", "mix", users))
            phases.append(summary.combine(paired["mix"], f"mix-{top}"))
            if args.rate:
                users = max(1, min(args.open_users, int(args.rate)))
                name = f"mix-open-{args.rate:g}"
                open_loop = phase(args, env, fixture_path, workdir, name, "mix", users, args.rate)
                phases.append(open_loop)
    finally:
        stop(server)
        from tests.load import data

        data.drop_sessions(fixture)
        redis_cleanup(args.redis_url)

    setup = {
        "scale": args.scale,
        "data": fixture["data"],
        "workers": args.workers,
        "cores": os.cpu_count(),
        "seconds": args.seconds,
        "warmup": args.warmup,
        # Primed: every page of the pools was visited once before the clock started.
        "cache": "cold" if args.cold else "primed",
        # The machine's 1-minute load average before and after: on a shared machine it says
        # how much else competed for the cores.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    result = summary.summary(phases, setup)
    print(
        f"\n## load ({args.scale}, gunicorn {args.workers} workers, {os.cpu_count()} cores, "
        f"{setup['cache']} cache, load average {setup['load_average'][0]:g} before, "
        f"{setup['load_average'][1]:g} after)\n"
    )
    print(summary.table(summary.figures(phases)))
    mixes = [p for p in phases if p["target"] == "mix" and p["mode"] == "closed"]
    if mixes:
        top = max(mixes, key=lambda p: p["users"])
        empty = next(p for p in phases if p["target"] == "empty")
        pairs = summary.paired_ratios(top, empty)
        if pairs:
            print(
                f"\nThe mix over the empty view at {top['users']} users, by round of "
                f"{args.seconds / args.rounds:g} s: "
                + ", ".join(f"{r:.2f}" for r in pairs)
                + " (the ratio above is their median)."
            )
        print()
        print(summary.kinds_table(top))
    if result["client_cpu_bound"]:
        print(
            "\nThe load generator used most of a core in: "
            + ", ".join(result["client_cpu_bound"])
            + " (its figures are a lower bound for the server)."
        )
    for name in result["open_loop_short"]:
        print(
            f"\n{name} fell short of its rate: the server was saturated, so its latencies are "
            "those of a closed loop."
        )
    print(
        "\nFigures from one machine shared with the load generator (and whatever else runs on "
        "it): indicative, not the capacity of a dedicated server."
    )
    args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"summary: {args.json}")
    if result["failures"]:
        for p in phases:
            for error, count in p["errors"].items():
                print(f"  {p['name']}: {count} × {error}")
        raise SystemExit(f"{result['failures']} requests failed")


if __name__ == "__main__":
    main()
