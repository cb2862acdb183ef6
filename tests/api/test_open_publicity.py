"""Open data of the publicity: published disclosures, statements and their entries."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from publicity import selectors
from publicity.models import Disclosure
from tests.api.open_data import published_month
from tests.api.open_helpers import assert_bad_cursor, assert_bad_date, assert_revalidates, walk
from tests.publicity.factories import DisclosureFactory, published_item

pytestmark = pytest.mark.django_db


def test_only_published_disclosures_of_the_village(client, people):
    item = published_item(people.here, title="低保名单公示", kind=Disclosure.Kind.VILLAGE)
    party = published_item(people.here, title="党费收缴", kind=Disclosure.Kind.PARTY)
    DisclosureFactory(village=people.here, title="草稿")
    published_item(people.elsewhere, title="别村的公示")
    url = reverse("api_village_disclosures", args=[people.here.slug])
    rows = walk(client, url)
    assert {r["id"] for r in rows} == {item.pk, party.pk}
    assert {r["id"] for r in rows} == {
        d.pk for d in selectors.disclosure_rows(people.here, insider=False)
    }
    assert "草稿" not in str(rows) and "别村的公示" not in str(rows)
    assert [r["id"] for r in walk(client, url, kind="party")] == [party.pk]
    assert rows[0]["text"] and rows[0]["period_start"] == "2026-01-01"


def test_disclosures_page_filter_and_revalidate(client, people):
    old = published_item(people.here)
    Disclosure.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=20))
    for _ in range(4):
        published_item(people.here)
    url = reverse("api_village_disclosures", args=[people.here.slug])
    first = client.get(url, {"limit": 3}).json()
    second = client.get(first["next"]).json()
    assert len(first["results"]) == 3 and [r["id"] for r in second["results"]][-1] == old.pk
    assert_bad_cursor(client, url)
    day = (timezone.localdate() - timedelta(days=20)).isoformat()
    assert [r["id"] for r in walk(client, url, until=day)] == [old.pk]
    assert old.pk not in [r["id"] for r in walk(client, url, since=timezone.localdate())]
    assert_bad_date(client, url, "until")
    etag = assert_revalidates(client, url)["ETag"]
    Disclosure.objects.filter(pk=old.pk).update(amended_at=timezone.now())
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("size", [2, 20])
def test_the_disclosures_queries_do_not_grow(client, people, size, django_assert_num_queries):
    for _ in range(size):
        published_item(people.here)
    url = reverse("api_village_disclosures", args=[people.here.slug])
    with django_assert_num_queries(3):  # village, version, page
        assert client.get(url).status_code == 200


def test_statements_are_the_published_months(client, people):
    january = published_month(people.here, date(2026, 1, 1), entries=2)
    published_month(people.here, date(2026, 2, 1), entries=1, status="checked")
    march = published_month(people.here, date(2026, 3, 1), entries=1)
    url = reverse("api_village_statements", args=[people.here.slug])
    rows = walk(client, url)
    assert [r["month"] for r in rows] == ["2026-03", "2026-01"]
    assert rows[1]["income"] == "21.00" and rows[1]["closing_balance"] == "1021.00"
    assert [r["month"] for r in walk(client, url, since="2026-02-15")] == ["2026-03"]
    assert [r["month"] for r in walk(client, url, until="2026-02-28")] == ["2026-01"]
    first = client.get(url, {"limit": 1}).json()
    assert client.get(first["next"]).json()["results"][0]["month"] == january.key
    assert march.key == first["results"][0]["month"]
    assert_bad_cursor(client, url)
    assert_bad_date(client, url)
    assert_revalidates(client, url)


def test_a_statement_has_the_month_pages_figures(client, people):
    row = published_month(people.here, date(2026, 1, 1), entries=3)
    url = reverse("api_village_statement", args=[people.here.slug, "2026-01"])
    body = assert_revalidates(client, url).json()
    page = selectors.statement(people.here, date(2026, 1, 1), insider=False, today=date(2026, 6, 1))
    assert body["income"] == f"{page.figures.income:.2f}" == "33.00"
    assert body["opening_balance"] == "1000.00" and body["closing_balance"] == "1033.00"
    assert body["entry_count"] == row.entry_count == 3
    (total,) = body["by_category"]
    assert total.pop("label")  # in the request's language
    assert total == {"direction": "income", "category": "contract", "total": "33.00", "entries": 3}
    assert body["entries"].endswith("/statements/2026-01/entries/")


def test_unpublished_or_unknown_months_are_404(client, people):
    published_month(people.here, date(2026, 2, 1), status="checked")
    published_month(people.elsewhere, date(2026, 1, 1))
    for period in ("2026-02", "2026-01", "2026-13", "1999-01"):
        for name in ("api_village_statement", "api_village_statement_entries"):
            response = client.get(reverse(name, args=[people.here.slug, period]))
            assert response.status_code == 404, (name, period)
            assert response.json()["code"] == "statement_not_published"


def test_a_statements_entries_page_by_cursor(client, people):
    published_month(people.here, date(2026, 1, 1), entries=7)
    url = reverse("api_village_statement_entries", args=[people.here.slug, "2026-01"])
    rows = walk(client, url, limit=3)
    expected = list(selectors.month_entries(people.here, date(2026, 1, 1)))
    assert [r["id"] for r in rows] == [e.pk for e in expected]
    assert rows[0]["amount"] == "10.00" and rows[0]["counterparty"] == "鱼塘承包户"
    assert [r["date"] for r in walk(client, url, since="2026-01-03", until="2026-01-04")] == [
        "2026-01-03",
        "2026-01-04",
    ]
    assert_bad_cursor(client, url)
    assert_bad_date(client, url)
    assert_revalidates(client, url)


@pytest.mark.parametrize("size", [2, 40])
def test_the_entries_queries_do_not_grow(client, people, size, django_assert_num_queries):
    published_month(people.here, date(2026, 1, 1), entries=size)
    url = reverse("api_village_statement_entries", args=[people.here.slug, "2026-01"])
    with django_assert_num_queries(5):  # village, book, month, version, page
        assert client.get(url).status_code == 200
