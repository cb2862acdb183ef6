"""Quorum and threshold math against a plain reference written with fractions."""

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from talks import tally

QUORUMS = [tally.QUORUM_NONE, tally.QUORUM_HALF, tally.QUORUM_TWO_THIRDS_HOUSEHOLDS]
THRESHOLDS = [tally.THRESHOLD_MAJORITY, tally.THRESHOLD_TWO_THIRDS]


def reference(counts, electorate, households, households_voted, quorum, threshold):
    """Read straight from the law: shares as exact fractions."""
    cast = sum(counts)
    if quorum == "none":
        q = True
    elif quorum == "half":
        q = electorate > 0 and Fraction(cast, electorate) > Fraction(1, 2)
    else:
        q = households > 0 and Fraction(households_voted, households) >= Fraction(2, 3)
    if cast == 0:
        t = False
    elif threshold == "majority":
        t = Fraction(counts[0], cast) > Fraction(1, 2)
    else:
        t = Fraction(counts[0], cast) >= Fraction(2, 3)
    return q, t, q and t


@st.composite
def elections(draw):
    counts = draw(st.lists(st.integers(0, 400), min_size=2, max_size=5))
    cast = sum(counts)
    electorate = (
        draw(st.integers(0, 800)) if draw(st.booleans()) else cast + draw(st.integers(0, 400))
    )
    households = draw(st.integers(0, 400))
    households_voted = draw(st.integers(0, households)) if households else 0
    return counts, electorate, households, households_voted


@given(elections(), st.sampled_from(QUORUMS), st.sampled_from(THRESHOLDS))
def test_tally_matches_the_reference(election, quorum, threshold):
    counts, electorate, households, households_voted = election
    result = tally.tally(
        counts=counts,
        electorate=electorate,
        households=households,
        households_voted=households_voted,
        quorum=quorum,
        threshold=threshold,
    )
    q, t, passed = reference(counts, electorate, households, households_voted, quorum, threshold)
    assert (result.quorum_met, result.threshold_met, result.passed) == (q, t, passed)
    assert result.ballots == sum(counts)


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_turnout_is_a_rounded_percentage(ballots, electorate):
    got = tally.turnout(ballots, electorate)
    exact = Fraction(ballots * 100, electorate)
    assert abs(Fraction(str(got)) - exact) <= Fraction(1, 20)


def test_the_xiqian_banquet_vote_passes():
    result = tally.tally(
        counts=[209, 1, 0],
        electorate=260,
        households=262,
        households_voted=200,
        quorum=tally.QUORUM_HALF,
        threshold=tally.THRESHOLD_TWO_THIRDS,
    )
    assert result.passed and result.quorum_met


def test_exact_boundaries():
    # Half is not "more than half"; two thirds is enough for the two-thirds threshold.
    assert not tally.quorum_met(
        quorum="half", ballots=5, electorate=10, households=0, households_voted=0
    )
    assert tally.threshold_met(threshold="two_thirds", in_favour=2, ballots=3)
    assert not tally.threshold_met(threshold="majority", in_favour=1, ballots=2)
