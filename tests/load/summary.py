"""The figures of `make load`, from the phases' results: one table like `make bench`, and JSON.

A phase result (tests/load/swarm.py) is a dict: ``name``, ``target`` ("mix" or "empty"),
``mode`` ("closed" or "open"), ``users``, ``rate`` (open loop: requests/s asked for),
``seconds``, ``requests``, ``failures``, ``rps``, ``p50_ms``, ``p95_ms``, ``kinds`` (per kind:
requests, failures, p50_ms, p95_ms), ``errors`` and ``client_cpu`` (percent of one core used by
the load generator, to tell when it rather than the server was the limit).

At the largest user count the empty view and the mix run in alternating rounds (``combine``):
on a shared machine the cores' speed drifts between runs of the same code (the empty view
measured anywhere between 1,355 and 1,630 req/s in one afternoon), so the saturation ratio is
the median of each round's mix over the same round's empty view, measured seconds apart.
"""

from dataclasses import asdict, dataclass
from statistics import median

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


def combine(rounds: list[dict], name: str) -> dict:
    """One phase from the rounds of one target: requests, failures and seconds summed (req/s
    over all the rounds), p50 and p95 the median of the rounds' (as per kind), the load
    generator's CPU their mean, and each round's req/s kept (``rounds_rps``) for the paired
    ratio."""
    first = rounds[0]
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    kinds = {}
    for kind in sorted({k for r in rounds for k in r["kinds"]}):
        of = [r["kinds"][kind] for r in rounds if kind in r["kinds"]]
        kinds[kind] = {
            "requests": sum(k["requests"] for k in of),
            "failures": sum(k["failures"] for k in of),
            "p50_ms": _median([k["p50_ms"] for k in of]),
            "p95_ms": _median([k["p95_ms"] for k in of]),
        }
    errors: dict[str, int] = {}
    for r in rounds:
        for error, count in r["errors"].items():
            errors[error] = errors.get(error, 0) + count
    return {
        **first,
        "name": name,
        "seconds": round(seconds, 2),
        "requests": requests,
        "failures": sum(r["failures"] for r in rounds),
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": _median([r["p50_ms"] for r in rounds]),
        "p95_ms": _median([r["p95_ms"] for r in rounds]),
        "kinds": kinds,
        "errors": errors,
        "client_cpu": sum(r["client_cpu"] for r in rounds) / len(rounds),
        "rounds_rps": [r["rps"] for r in rounds],
    }


def _median(values: list) -> float | None:
    known = [v for v in values if v is not None]
    return median(known) if known else None


def paired_ratios(mix: dict, empty: dict) -> list[float]:
    """Each round's mix req/s over the same round's empty view (none if not run in rounds)."""
    mixed, bare = mix.get("rounds_rps") or [], empty.get("rounds_rps") or []
    if len(mixed) != len(bare) or not all(bare):
        return []
    return [m / e for m, e in zip(mixed, bare, strict=True)]


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
            pairs = paired_ratios(p, empty)
            row.ratio = median(pairs) if pairs else p["rps"] / empty["rps"]
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
