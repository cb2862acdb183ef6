"""Ranking snapshots: both stored formats of ``standings`` read to the same ranks and ties."""

import pytest
from django.db import connection

from points import selectors, services
from points.models import Rank, RankingSnapshot
from tests.factories import HouseholdFactory

# One ranking, 50 / 30 / 30 / 10 / 0 (standard competition ranking: 1, 2, 2, 4, 5), written
# in the current format (best first, no rank) and in the older one (rank stored, any order).
CURRENT = "11:50,13:30,12:30,14:10,15:0"
OLDER = "14:4:10,12:2:30,11:1:50,15:5:0,13:2:30"
EXPECTED = [(11, 1, 50), (12, 2, 30), (13, 2, 30), (14, 4, 10), (15, 5, 0)]


def _triples(rows: list[Rank]) -> list[tuple[int, int, int]]:
    return [(row.household_id, row.rank, row.score) for row in rows]


@pytest.mark.parametrize("standings", [CURRENT, OLDER], ids=["current", "older"])
def test_both_formats_read_the_same_ranks_and_ties(standings):
    snapshot = RankingSnapshot(standings=standings)
    assert _triples(snapshot.ranks()) == EXPECTED
    assert snapshot.rank_map() == {11: 1, 12: 2, 13: 2, 14: 4, 15: 5}
    for household_id, rank, score in EXPECTED:
        found = snapshot.rank_of(household_id)
        assert (found.household_id, found.rank, found.score) == (household_id, rank, score)
    assert snapshot.rank_of(1) is None
    assert snapshot.rank_of(111) is None


@pytest.mark.parametrize("standings", ["", "7:0"])
def test_an_empty_and_a_single_household_ranking(standings):
    snapshot = RankingSnapshot(standings=standings)
    ranked = [(7, 1, 0)] if standings else []
    assert _triples(snapshot.ranks()) == ranked
    assert snapshot.rank_map() == {h: r for h, r, _s in ranked}
    assert (snapshot.rank_of(7) is None) == (not standings)


def test_current_format_ties_with_ids_that_look_like_scores():
    # Household ids equal to scores and prefixes of each other: ":5," and ",5:" must only
    # match their own fields. Scores below zero (deductions) tie as well.
    snapshot = RankingSnapshot(standings="12:5,5:5,51:3,3:3,35:0,53:-5,50:-5")
    expected = [(5, 1, 5), (12, 1, 5), (3, 3, 3), (51, 3, 3), (35, 5, 0), (50, 6, -5), (53, 6, -5)]
    assert _triples(snapshot.ranks()) == expected
    for household_id, rank, score in expected:
        found = snapshot.rank_of(household_id)
        assert (found.rank, found.score) == (rank, score)
    assert snapshot.rank_map() == {h: r for h, r, _s in expected}


def test_recompute_writes_ranks_every_reader_agrees_on(people):
    village = people.here
    scores = [50, 30, 30, 10, -5]
    households = [HouseholdFactory(village=village) for _ in scores]
    for household, points in zip(households, scores, strict=True):
        services.award_direct(
            actor=people.cadre_here, household=household, points=points, reason="x"
        )
    services.rankings_recompute(village_id=village.pk)
    snapshot = selectors.latest_snapshot(village.pk)
    first = snapshot.standings.split(",")[0]
    if connection.vendor == "postgresql":
        # Best first, the rank left out: the first entry is the best household and its score.
        assert first == f"{households[0].pk}:50"
    else:
        assert first.count(":") == 2
    rows = snapshot.ranks()
    by_household = {row.household_id: (row.rank, row.score) for row in rows}
    others = len(rows) - len(households)  # the village's other households, all at 0
    assert [by_household[h.pk] for h in households] == [
        (1, 50),
        (2, 30),
        (2, 30),
        (4, 10),
        (5 + others, -5),
    ]
    ranked = {h.pk for h in households}
    assert all(place == (5, 0) for pk, place in by_household.items() if pk not in ranked)
    assert [row.rank for row in rows] == sorted(row.rank for row in rows)
    assert snapshot.rank_map() == {pk: rank for pk, (rank, _score) in by_household.items()}
    for row in rows:
        found = snapshot.rank_of(row.household_id)
        assert (found.rank, found.score) == (row.rank, row.score)
