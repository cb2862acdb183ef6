"""The points notices: the whole ranking and the public posting, as printed A4 PDFs."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from points import demo as points_demo
from points import services
from points.models import PointsSettings
from tests.factories import HouseholdFactory
from tests.printing_helpers import pdf_pages, pdf_qr_codes, pdf_text
from villageaffairs import demo as core_demo

SITE = "https://cun.example.cn"
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _row(text: str, needle: str) -> list[str]:
    """The cells of the one printed table row that has ``needle`` (pypdf extracts a row as
    one line, its cells separated by spaces)."""
    (line,) = [line for line in text.splitlines() if needle in line]
    return line.split()


def _line_of(text: str, needle: str) -> str:
    return " ".join(_row(text, needle))


def test_the_demo_ranking_prints_xie_qifu_with_483_points_at_rank_17(client):
    ctx = core_demo.seed()
    points_demo.seed(ctx)
    youyi = ctx.villages["youyi"]
    response = client.get(reverse("points:ranking_notice", args=[youyi.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="youyi-ranking-all.pdf"'
    text = pdf_text(response.content)
    xie = ctx.households["xieqifu"]
    rank, house_number, name, score, *stars = _row(text, xie.name)
    assert (rank, house_number, name, score) == ("17", xie.house_number, xie.name, "483")
    assert "5" in stars
    # Every household of the village is on it, once.
    assert all(str(h.name) in text for h in youyi.households.all()[:50])
    assert pdf_qr_codes(response.content) == [f"{SITE}/v/youyi/ranking/"]


def test_a_ranking_is_paged_with_star_levels_in_constant_queries(
    client, people, django_assert_num_queries
):
    def add(start, stop):
        for i in range(start, stop):
            household = HouseholdFactory(village=people.here, name=f"张{i:03d}户")
            services.award_direct(actor=None, household=household, points=10 + i, reason="x")
        services.rankings_recompute(village_id=people.here.pk)

    url = reverse("points:ranking_notice", args=[people.here.slug])
    add(0, 3)
    client.get(url)
    with django_assert_num_queries(4) as few:  # village, snapshot, stars, households
        small = client.get(url)
    add(3, 123)
    with django_assert_num_queries(len(few.captured_queries)):
        big = client.get(url)
    assert pdf_pages(big.content) > pdf_pages(small.content) >= 1
    text = pdf_text(big.content)
    rank, _number, _name, score, *_stars = _row(text, "张122户")
    assert (rank, score) == ("1", "132")  # the most points


def test_the_year_ranking_prints_the_years_scores(client, people):
    household = HouseholdFactory(village=people.here, name="李四")
    services.award_direct(actor=None, household=household, points=77, reason="x")
    services.rankings_recompute(village_id=people.here.pk)
    url = reverse("points:ranking_notice", args=[people.here.slug]) + "?period=year"
    response = client.get(url)
    assert response.status_code == 200
    assert "77" in _line_of(pdf_text(response.content), "李四")
    assert str(timezone.localdate().year) in pdf_text(response.content)
    assert pdf_qr_codes(response.content) == [f"{SITE}/v/youyi/ranking/?period=year"]


def test_a_village_without_a_ranking_yet_prints_a_notice_saying_so(client, people):
    response = client.get(reverse("points:ranking_notice", args=[people.here.slug]))
    assert response.status_code == 200
    assert pdf_pages(response.content) == 1


def test_the_posting_notice_lists_posted_changes_with_their_objection_deadline(client, people):
    PointsSettings.objects.create(village=people.here, posting_days=7)
    household = HouseholdFactory(village=people.here, name="王五", house_number="023")
    posted = services.award_direct(actor=None, household=household, points=30, reason="拾金不昧")
    long_ago = timezone.now() - timedelta(days=8)
    with mock.patch("points.services.timezone.now", return_value=long_ago):
        services.award_direct(actor=None, household=household, points=-5, reason="乱倒垃圾")
    elsewhere = HouseholdFactory(village=people.elsewhere, name="外村户")
    services.award_direct(actor=None, household=elsewhere, points=9, reason="外村的事")

    response = client.get(reverse("points:posting_notice", args=[people.here.slug]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    line = _line_of(text, "拾金不昧")
    assert "+30" in line and "023" in line and "王五" in line
    deadline = timezone.localtime(posted.posted_until).strftime("%Y-%m-%d %H:%M")
    assert deadline in line
    assert (timezone.localtime(posted.created_at) + timedelta(days=7)).strftime("%Y-%m-%d") in (
        deadline
    )
    assert "乱倒垃圾" not in text  # its posting period is over
    assert "外村" not in text
    assert "7" in text.split("拾金不昧")[0]  # the posting period is stated above the table
    assert pdf_qr_codes(response.content) == [f"{SITE}/v/youyi/posting/"]


def test_the_posting_notice_reads_the_entries_in_one_query(
    client, people, django_assert_num_queries
):
    url = reverse("points:posting_notice", args=[people.here.slug])
    household = HouseholdFactory(village=people.here)
    services.award_direct(actor=None, household=household, points=3, reason="a")
    client.get(url)
    with django_assert_num_queries(3) as few:  # village, settings, entries
        client.get(url)
    for i in range(40):
        services.award_direct(actor=None, household=household, points=3, reason=f"r{i}")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@override_settings(DEBUG=False, SITE_URL="http://localhost:8000")
@pytest.mark.parametrize("name", ["points:ranking_notice", "points:posting_notice"])
def test_without_a_public_site_address_nothing_is_printed(client, people, name):
    response = client.get(reverse(name, args=[people.here.slug]))
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert "SITE_URL" in response.content.decode()


def test_another_villages_slug_prints_its_own_ranking_only(client, people):
    mine = HouseholdFactory(village=people.here, name="本村户")
    theirs = HouseholdFactory(village=people.elsewhere, name="外村户")
    for household in (mine, theirs):
        services.award_direct(actor=None, household=household, points=5, reason="x")
    services.rankings_recompute()
    text = pdf_text(client.get(reverse("points:ranking_notice", args=["youyi"])).content)
    assert "本村户" in text and "外村户" not in text
    assert client.get("/v/no-such-village/notices/ranking.pdf").status_code == 404
