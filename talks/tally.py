"""Quorum and threshold of a vote: pure integer arithmetic (no floats), tested with hypothesis.

The Organic Law of Villagers' Committees: a villagers' meeting needs more than half of the
adult villagers, or representatives of two thirds of the households; a decision needs more than
half of those present. Villages may set two thirds for weighty matters.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

QUORUM_NONE = "none"
QUORUM_HALF = "half"
QUORUM_TWO_THIRDS_HOUSEHOLDS = "households_2_3"
THRESHOLD_MAJORITY = "majority"
THRESHOLD_TWO_THIRDS = "two_thirds"


@dataclass(frozen=True)
class Result:
    ballots: int
    quorum_met: bool
    threshold_met: bool
    passed: bool
    turnout: Decimal | None  # percent, one decimal, or None without an electorate


def quorum_met(
    *, quorum: str, ballots: int, electorate: int, households: int, households_voted: int
) -> bool:
    if quorum == QUORUM_NONE:
        return True
    if quorum == QUORUM_HALF:
        return electorate > 0 and ballots * 2 > electorate
    if quorum == QUORUM_TWO_THIRDS_HOUSEHOLDS:
        return households > 0 and households_voted * 3 >= households * 2
    raise ValueError(f"unknown quorum {quorum!r}")


def threshold_met(*, threshold: str, in_favour: int, ballots: int) -> bool:
    if ballots <= 0:
        return False
    if threshold == THRESHOLD_MAJORITY:
        return in_favour * 2 > ballots
    if threshold == THRESHOLD_TWO_THIRDS:
        return in_favour * 3 >= ballots * 2
    raise ValueError(f"unknown threshold {threshold!r}")


def turnout(ballots: int, electorate: int) -> Decimal | None:
    if electorate <= 0:
        return None
    return (Decimal(ballots) * 100 / Decimal(electorate)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def tally(
    *,
    counts: list[int],
    electorate: int,
    households: int,
    households_voted: int,
    quorum: str,
    threshold: str,
) -> Result:
    """``counts[0]`` is the option that passes (for); abstentions count as ballots cast."""
    ballots = sum(counts)
    q = quorum_met(
        quorum=quorum,
        ballots=ballots,
        electorate=electorate,
        households=households,
        households_voted=households_voted,
    )
    t = threshold_met(threshold=threshold, in_favour=counts[0] if counts else 0, ballots=ballots)
    return Result(
        ballots=ballots,
        quorum_met=q,
        threshold_met=t,
        passed=q and t,
        turnout=turnout(ballots, electorate),
    )
