"""Open data: the village directory and a village."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.api.open_helpers import assert_bad_cursor, assert_bad_date, assert_revalidates, walk
from tests.factories import RegionFactory, VillageFactory
from villageaffairs.models import Region, Village

pytestmark = pytest.mark.django_db
URL = "/api/v1/villages/"


def test_the_directory_lists_active_villages_with_links(client):
    village = VillageFactory(name="友谊村", name_en="Youyi Village", slug="youyi", code=None)
    VillageFactory(name="旧村", slug="old", is_active=False)
    rows = walk(client, URL)
    assert [r["slug"] for r in rows] == ["youyi"]
    row = rows[0]
    assert row["name"] == "友谊村" and row["name_en"] == "Youyi Village"
    assert row["region_path"] == village.region_path and row["division_code"] is None
    links = row["links"]
    assert links["self"].endswith("/api/v1/villages/youyi/")
    for key in ("rules", "ranking", "topics", "votes", "disclosures", "statements"):
        assert links[key].endswith(f"/api/v1/villages/youyi/{key}/")


def test_the_search_is_the_directory_pages(client):
    VillageFactory(name="友谊村", name_en="Youyi", slug="youyi")
    VillageFactory(name="西前村", name_en="Xiqian", slug="xiqian")
    assert [r["slug"] for r in walk(client, URL, q="友谊")] == ["youyi"]
    assert [r["slug"] for r in walk(client, URL, q="xiqian")] == ["xiqian"]


def test_a_region_filter_takes_villages_anywhere_below_it(client):
    county = Region.objects.create(name="三水县", level=Region.Level.COUNTY, slug="sanshui")
    town = RegionFactory(parent=county, slug="fancun")
    VillageFactory(slug="inside", region=town)
    VillageFactory(slug="outside")
    assert [r["slug"] for r in walk(client, URL, region="sanshui")] == ["inside"]
    assert [r["slug"] for r in walk(client, URL, region="fancun")] == ["inside"]
    assert walk(client, URL, region="nowhere") == []


def test_the_directory_pages_by_cursor(client):
    for i in range(5):
        VillageFactory(slug=f"v{i}")
    first = client.get(URL, {"limit": 2}).json()
    assert [r["slug"] for r in first["results"]] == ["v0", "v1"] and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [r["slug"] for r in second["results"]] == ["v2", "v3"]
    back = client.get(second["previous"]).json()
    assert [r["slug"] for r in back["results"]] == ["v0", "v1"]
    assert [r["slug"] for r in walk(client, URL, limit=2)] == [f"v{i}" for i in range(5)]
    assert_bad_cursor(client, URL)


def test_the_date_filter_bounds_the_day_a_village_joined(client):
    old = VillageFactory(slug="old")
    Village.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    VillageFactory(slug="new")
    since = (timezone.localdate() - timedelta(days=10)).isoformat()
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert [r["slug"] for r in walk(client, URL, since=since)] == ["new"]
    assert [r["slug"] for r in walk(client, URL, until=until)] == ["old"]
    assert_bad_date(client, URL, "since")
    assert_bad_date(client, URL, "until")
    reversed_ = client.get(URL, {"since": "2026-02-01", "until": "2026-01-01"})
    assert reversed_.status_code == 400 and "since" in reversed_.json()["errors"]


def test_the_directory_revalidates_and_changes_with_the_data(client):
    VillageFactory(slug="a")
    first = assert_revalidates(client, URL)
    assert first["Last-Modified"]
    VillageFactory(slug="b")
    response = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 200 and response["ETag"] != first["ETag"]


@pytest.mark.parametrize("size", [3, 30])
def test_the_directory_queries_do_not_grow(client, size, django_assert_num_queries):
    VillageFactory.create_batch(size)
    with django_assert_num_queries(2):  # the version, the page
        assert client.get(URL).status_code == 200


def test_a_village_and_its_404s(client):
    VillageFactory(slug="youyi", name="友谊村")
    VillageFactory(slug="old", is_active=False)
    assert_revalidates(client, f"{URL}youyi/")
    assert client.get(f"{URL}youyi/").json()["name"] == "友谊村"
    for slug in ("nowhere", "old"):
        response = client.get(f"{URL}{slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 404
        body = response.json()
        assert body["code"] == "village_not_found"
        assert body["message"]["zh-hans"] != body["message"]["en"]
    assert reverse("api_village", args=["youyi"]) == f"{URL}youyi/"


def test_the_open_data_is_rate_limited_per_client(client, settings):
    settings.API_RATE_LIMIT = "2/min"
    VillageFactory(slug="youyi")
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}youyi/").status_code == 200
    response = client.get(URL)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["code"] == "rate_limited"
    assert client.get(URL, REMOTE_ADDR="10.1.2.3").status_code == 200
