"""Walking cursor pages and checking validators: shared by the open data API tests."""


def walk(client, url, **params) -> list[dict]:
    """Every row of a cursor-paged list, following ``next`` until it ends."""
    rows, seen = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        rows += body["results"]
        seen += 1
        assert seen < 100, "the cursor never ends"
        if not body["next"]:
            return rows
        response = client.get(body["next"])


def assert_bad_cursor(client, url):
    response = client.get(url, {"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "bad_cursor"


def assert_bad_date(client, url, field="since"):
    response = client.get(url, {field: "2026-13-40"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_date" and field in body["errors"]


def assert_revalidates(client, url, **params):
    """ETag and Last-Modified on the answer; the same ETag back gets a 304 without a body."""
    first = client.get(url, params)
    assert first.status_code == 200
    assert first["ETag"].startswith('"') and first["Cache-Control"].startswith("public")
    again = client.get(url, params, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    assert again["ETag"] == first["ETag"]
    return first
