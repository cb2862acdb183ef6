"""Open data of the points: rules, the ranking (codes, no names) and a household."""

import base64
from datetime import date

import pytest
from django.urls import reverse

from points import selectors, services
from points.models import Rule
from tests.api.open_helpers import assert_bad_cursor, assert_bad_date, assert_revalidates, walk
from tests.factories import HouseholdFactory, ResidentFactory
from tests.points.factories import RuleFactory
from villageaffairs.models import Village

pytestmark = pytest.mark.django_db


def _cursor(token: str) -> str:
    return base64.b64encode(token.encode()).decode()


def _ranked(village, size, scored=10):
    households = HouseholdFactory.create_batch(size, village=village)
    for i, household in enumerate(households[:scored]):
        services.award_direct(actor=None, household=household, points=(i % 4 + 1) * 10, reason="x")
    services.rankings_recompute(village_id=village.pk)
    return households


# --- rules ------------------------------------------------------------------------------------


def test_the_rules_are_the_rules_pages(client, people):
    mine = RuleFactory(village=people.here, text="门前三包", points=5, evidence_required=True)
    old = RuleFactory(
        village=people.here,
        text="旧规",
        in_force_from=date(2020, 1, 1),
        in_force_to=date(2020, 12, 31),
    )
    RuleFactory(village=people.elsewhere, text="别村的规矩")
    url = reverse("api_village_rules", args=[people.here.slug])
    rows = walk(client, url)
    assert [r["id"] for r in rows] == [r.pk for r in selectors.rules_of(people.here).order_by("pk")]
    by_id = {r["id"]: r for r in rows}
    assert by_id[mine.pk]["text"] == "门前三包" and by_id[mine.pk]["points"] == 5
    assert by_id[mine.pk]["in_force"] is True and by_id[old.pk]["in_force"] is False
    assert "别村的规矩" not in str(rows)
    # Rules in force at some time in 2020; and since 2021.
    assert [r["id"] for r in walk(client, url, since="2020-06-01", until="2020-06-30")] == [old.pk]
    assert old.pk not in [r["id"] for r in walk(client, url, since="2021-01-01")]
    assert_bad_date(client, url, "until")


def test_the_rules_page_by_cursor_and_revalidate(client, people):
    RuleFactory.create_batch(5, village=people.here)
    url = reverse("api_village_rules", args=[people.here.slug])
    first = client.get(url, {"limit": 3}).json()
    assert len(first["results"]) == 3
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert_bad_cursor(client, url)
    etag = assert_revalidates(client, url)["ETag"]
    # A rule changed in place (its revision recorded) is a new version of the list.
    rule = Rule.objects.filter(village=people.here).first()
    services.rule_update(actor=people.cadre_here, rule=rule, points=9)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.parametrize("size", [2, 20])
def test_the_rules_queries_do_not_grow(client, people, size, django_assert_num_queries):
    RuleFactory.create_batch(size, village=people.here)
    url = reverse("api_village_rules", args=[people.here.slug])
    with django_assert_num_queries(4):  # village, version, revisions, page
        assert client.get(url).status_code == 200


def test_an_unknown_or_inactive_village_is_a_404(client, people):
    Village.objects.filter(pk=people.elsewhere.pk).update(is_active=False)
    for slug in ("nowhere", people.elsewhere.slug):
        for name in ("api_village_rules", "api_village_ranking"):
            response = client.get(reverse(name, args=[slug]))
            assert response.status_code == 404
            assert response.json()["code"] == "village_not_found"


# --- the ranking ------------------------------------------------------------------------------


def test_the_ranking_equals_the_ranking_pages(client, people):
    _ranked(people.here, 60, scored=30)
    page = selectors.ranking(people.here, period="all", page=1)
    url = reverse("api_village_ranking", args=[people.here.slug])
    body = client.get(url).json()
    api = [(r["household_code"], r["rank"], r["score"]) for r in body["results"]]
    shown = [(row.household.code, row.rank, row.score) for row in page["page"].object_list]
    assert api == shown and len(api) == 50
    assert body["households_ranked"] == page["snapshot"].households_ranked
    thresholds = selectors.star_thresholds(people.here.pk)
    assert [r["stars"] for r in body["results"]] == [
        selectors.star_level(row.score, thresholds) for row in page["page"].object_list
    ]
    # All of it, page by page, is the whole snapshot, in order, each household once.
    everything = walk(client, url, limit=7)
    _snapshot, rows = selectors.ranking_rows(people.here, period="all")
    assert [(r["rank"], r["score"]) for r in everything] == [(r.rank, r.score) for r in rows]
    assert len({r["household_code"] for r in everything}) == len(rows)


def test_the_ranking_publishes_no_names(client, people):
    household = HouseholdFactory(village=people.here, name="谢启富")
    ResidentFactory(household=household, village=people.here, name="谢小梅")
    services.award_direct(actor=None, household=household, points=483, reason="参军")
    services.rankings_recompute(village_id=people.here.pk)
    url = reverse("api_village_ranking", args=[people.here.slug])
    response = client.get(url)
    text = response.content.decode()
    assert household.code in text
    for name in ("谢启富", "谢小梅", "villager_here", str(people.villager_here)):
        assert name not in text
    top = response.json()["results"][0]
    assert set(top) == {"household_code", "household", "rank", "score", "stars"}
    assert top == {
        "household_code": household.code,
        "household": f"http://testserver/api/v1/households/{household.code}/",
        "rank": 1,
        "score": 483,
        "stars": 5,
    }


def test_the_ranking_pages_by_cursor_both_ways(client, people):
    _ranked(people.here, 9)
    url = reverse("api_village_ranking", args=[people.here.slug])
    first = client.get(url, {"limit": 4}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    total = len(selectors.ranking_rows(people.here, period="all")[1])  # the people's too
    assert total == 11
    assert [len(p["results"]) for p in (first, second, third)] == [4, 4, 3]
    assert third["next"] is None and first["previous"] is None
    back = client.get(second["previous"]).json()
    assert back["results"] == first["results"]
    assert_bad_cursor(client, url)
    # A cursor back from the very first row: an empty page whose next is the first page.
    top = selectors.ranking_rows(people.here, period="all")[1][0]
    before_top = _cursor(f"r=1&p={top.rank}.{top.household_id}")
    empty = client.get(url, {"limit": 4, "cursor": before_top}).json()
    assert empty["results"] == [] and empty["previous"] is None
    assert client.get(empty["next"]).json()["results"] == first["results"]
    # A well-formed cursor of another list's shape is refused all the same.
    assert client.get(url, {"cursor": _cursor("r=0&p=5")}).status_code == 400
    response = client.get(url, {"period": "decade"})
    assert response.status_code == 400 and "period" in response.json()["errors"]


def test_the_ranking_revalidates_until_it_is_recomputed(client, people):
    households = _ranked(people.here, 3)
    url = reverse("api_village_ranking", args=[people.here.slug])
    first = assert_revalidates(client, url, period="year")
    services.award_direct(actor=None, household=households[2], points=100, reason="y")
    services.rankings_recompute(village_id=people.here.pk)
    again = client.get(url, {"period": "year"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again.json()["results"][0]["score"] >= 100


@pytest.mark.parametrize("size", [5, 120])
def test_the_ranking_queries_do_not_grow(client, people, size, django_assert_num_queries):
    _ranked(people.here, size)
    url = reverse("api_village_ranking", args=[people.here.slug])
    with django_assert_num_queries(4):  # village, snapshot, star thresholds, page's codes
        response = client.get(url, {"limit": 100})
    assert len(response.json()["results"]) == min(size + 2, 100)  # and the people's two


# --- a household ------------------------------------------------------------------------------


def test_a_household_is_what_its_sign_page_shows_without_names(client, people):
    household = HouseholdFactory(village=people.here, name="谢启富", villager_group="三组")
    ResidentFactory(household=household, village=people.here, name="谢小梅")
    services.award_direct(actor=None, household=household, points=483, reason="参军")
    services.rankings_recompute(village_id=people.here.pk)
    url = reverse("api_household", args=[household.code])
    response = assert_revalidates(client, url)
    body = response.json()
    standing = selectors.household_standing(household)
    assert body["score"] == standing.score == 483
    assert body["rank"] == standing.rank == 1 and body["stars"] == standing.star_level == 5
    assert body["village"] == people.here.slug and body["villager_group"] == "三组"
    assert [(e["points"], e["reason"]) for e in body["recent_entries"]] == [(483, "参军")]
    text = response.content.decode()
    assert "谢启富" not in text and "谢小梅" not in text
    # The page shows the same figures (and, for people reading it, the name).
    page = client.get(reverse("household_public", args=[household.code])).content.decode()
    assert "483" in page and "谢启富" in page


def test_an_unknown_code_or_an_inactive_villages_household_is_a_404(client, people):
    household = HouseholdFactory(village=people.elsewhere)
    Village.objects.filter(pk=people.elsewhere.pk).update(is_active=False)
    for code in ("no-such-code", household.code):
        response = client.get(reverse("api_household", args=[code]))
        assert response.status_code == 404
        assert response.json()["code"] == "household_not_found"


@pytest.mark.parametrize("entries", [1, 25])
def test_a_household_queries_do_not_grow(client, people, entries, django_assert_num_queries):
    household = HouseholdFactory(village=people.here)
    for _ in range(entries):
        services.award_direct(actor=None, household=household, points=1, reason="y")
    services.rankings_recompute(village_id=people.here.pk)
    with django_assert_num_queries(7):  # household, standing (5), entries
        assert client.get(reverse("api_household", args=[household.code])).status_code == 200


def test_the_ranking_of_a_village_without_one_is_empty(client, people):
    url = reverse("api_village_ranking", args=[people.here.slug])
    body = client.get(url).json()
    assert body["results"] == [] and body["computed_at"] is None and body["next"] is None
