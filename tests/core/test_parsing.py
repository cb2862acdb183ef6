"""Issue 10: integers from query parameters are read by one helper that never raises."""

from urllib.parse import quote

import pytest
from django.http import QueryDict
from django.urls import reverse

from talks.models import Topic
from tests.talks.factories import TopicFactory
from villageaffairs.parsing import MAX_PAGE, int_param, page_param, text_param


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("²", None),  # isdigit() says yes, int() says no: this was a 500
        ("١٢", None),  # int() reads Arabic-Indic digits; we take ASCII only
        ("１２", None),
        ("99999999999999999999", None),  # would overflow the database's integer
        ("-3", None),
        ("1e3", None),
        ("", None),
        ("\x00", None),
    ],
)
def test_int_param_takes_ascii_digits_within_bounds(raw, expected):
    assert int_param(QueryDict(f"n={quote(raw)}"), "n", lo=0, hi=10**9) == expected


def test_int_param_default_and_bounds():
    assert int_param({}, "n", default=5) == 5
    assert int_param({"n": "11"}, "n", default=1, lo=1, hi=10) == 1
    assert int_param({"n": ["1"]}, "n", default=2) == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3", 3), ("0", 1), ("-2", 1), ("x", 1), ("²", 1), ("99999999999999999999", MAX_PAGE)],
)
def test_page_param(raw, expected):
    assert page_param({"page": raw}) == expected


def test_text_param_drops_nul_and_cuts():
    assert text_param({"q": " 谢\x00启富 "}, "q") == "谢启富"
    assert len(text_param({"q": "x" * 500}, "q", max_length=40)) == 40


@pytest.mark.parametrize("reply", ["²", "١٢", "99999999999999999999"])
def test_a_topic_page_with_a_strange_reply_parameter_is_no_server_error(client, people, reply):
    topic = TopicFactory(
        village=people.here, author=people.villager_here, status=Topic.Status.DISCUSSING
    )
    client.force_login(people.villager_here)
    url = reverse("talks:detail", args=[people.here.slug, topic.pk])
    assert client.get(url, {"reply": reply, "page": "99999999999999999999"}).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/?page=99999999999999999999",
        "/villages/?page=²&q=%00",
        "/v/youyi/ranking/?page=١٢&period=year",
        "/v/youyi/talks/?page=-1",
        "/v/youyi/open/?page=99999999999999999999",
    ],
)
def test_public_pages_take_any_page_parameter(client, people, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/v/youyi/talks/99999999999999999999/",
        "/v/youyi/open/items/99999999999999999999/",
        "/v/youyi/talks/9223372036854775808/timeline/",
    ],
)
def test_a_huge_id_in_the_path_is_not_found(client, people, url):
    assert client.get(url).status_code == 404
