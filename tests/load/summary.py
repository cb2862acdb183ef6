"""The figures of `make load`, from the phases' results: one table like `make bench`, and JSON.

A phase result (tests/load/swarm.py) is a dict: ``name``, ``target`` ("mix" or "empty"),
``mode`` ("closed" or "open"), ``users``, ``rate`` (open loop: requests/s asked for),
``seconds``, ``requests``, ``failures``, ``rps``, ``p50_ms``, ``p95_ms``, ``kinds`` (per kind:
requests, failures, p50_ms, p95_ms), ``errors`` and ``client_cpu`` (percent of one core used by
the load generator, to tell when it rather than the server was the limit).
"""

from dataclasses import asdict, dataclass

# The load targets of issue 16.
MIX_OF_EMPTY_MIN = 0.50  # at saturation, the mix's req/s is at least half the empty view's
OPEN_P95_MAX_MS = 100.0  # at a fixed 50 requests/s of the mix, p95 at most 100 ms
OPEN_RATE_REACHED = 0.9  # an open loop below 90% of its rate did not get its arrivals in
CLIENT_CPU_WARN = 85.0  # the load generator near one full core: its figures are a lower bound


@dataclass
class Figure:
    figure: str
    users: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    failures: int
    target: str = "-"
    ratio: float | None = None
    ok: bool | None = None


def figures(phases: list[dict]) -> list[Figure]:
    """The rows of the table: each phase, with the two targets checked where they apply."""
    empty = next((p for p in phases if p["target"] == "empty"), None)
    closed = [p for p in phases if p["target"] == "mix" and p["mode"] == "closed"]
    saturation = max(closed, key=lambda p: p["users"]) if closed else None
    rows = []
    for p in phases:
        row = Figure(
            figure=_label(p),
            users=p["users"],
            rps=p["rps"],
            p50_ms=p["p50_ms"],
            p95_ms=p["p95_ms"],
            failures=p["failures"],
        )
        if p["target"] == "mix" and p["mode"] == "closed" and empty and empty["rps"]:
            row.ratio = p["rps"] / empty["rps"]
            if p is saturation:
                row.target = f"≥ {MIX_OF_EMPTY_MIN:.0%} of empty view req/s"
                row.ok = row.ratio >= MIX_OF_EMPTY_MIN
        elif p["target"] == "mix" and p["mode"] == "open" and p["p95_ms"] is not None:
            row.target = f"p95 ≤ {OPEN_P95_MAX_MS:g} ms"
            row.ratio = p["p95_ms"] / OPEN_P95_MAX_MS
            row.ok = row.ratio <= 1.0
        rows.append(row)
    return rows


def _label(p: dict) -> str:
    what = "empty view" if p["target"] == "empty" else "evening mix"
    if p["mode"] == "open":
        return f"{what}, open loop at {p['rate']:g} req/s"
    return f"{what}, closed loop"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(rows: list[Figure]) -> str:
    lines = [
        "| figure | users | req/s | p50 ms | p95 ms | failures | target | ratio | ok |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        ok = "-" if r.ok is None else ("yes" if r.ok else "NO")
        lines.append(
            f"| {r.figure} | {r.users} | {r.rps:.1f} | {_ms(r.p50_ms)} | {_ms(r.p95_ms)} "
            f"| {r.failures} | {r.target} | {ratio} | {ok} |"
        )
    return "\n".join(lines)


def kinds_table(phase: dict) -> str:
    """Per kind of request in one phase: the mix as served, to check it against its weights."""
    total = phase["requests"] or 1
    lines = [
        f"| kind ({_label(phase)}, {phase['users']} users) | requests | share | p50 ms "
        "| p95 ms | failures |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, k in sorted(phase["kinds"].items(), key=lambda item: -item[1]["requests"]):
        lines.append(
            f"| {kind} | {k['requests']} | {k['requests'] / total:.0%} | {_ms(k['p50_ms'])} "
            f"| {_ms(k['p95_ms'])} | {k['failures']} |"
        )
    return "\n".join(lines)


def summary(phases: list[dict], setup: dict) -> dict:
    """The JSON written next to the table (test-artifacts/load.json by default)."""
    rows = figures(phases)
    return {
        "setup": setup,
        "figures": [asdict(r) for r in rows],
        "phases": phases,
        "failures": sum(p["failures"] for p in phases),
        "targets_met": all(r.ok for r in rows if r.ok is not None),
        "client_cpu_bound": [p["name"] for p in phases if p["client_cpu"] >= CLIENT_CPU_WARN],
        # An open loop that fell short of its rate met a saturated server: its latencies are
        # then those of a closed loop, not of the rate asked for.
        "open_loop_short": [
            p["name"]
            for p in phases
            if p["mode"] == "open" and p["rps"] < OPEN_RATE_REACHED * p["rate"]
        ],
    }
