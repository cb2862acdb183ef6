"""The notices page: what each app can print for the notice board, drafts for insiders only."""

from datetime import date

import pytest
from django.test import override_settings
from django.urls import reverse

from points import services as points_services
from tests.factories import HouseholdFactory, member
from tests.publicity.factories import book, entry, publish
from villageaffairs.models import Role

pytestmark = [pytest.mark.django_db]


def _books(village):
    book(village, starts_on=date(2026, 1, 1))
    entry(village, date(2026, 1, 5), "100.00")
    entry(village, date(2026, 2, 5), "100.00")
    publish(village, date(2026, 1, 1))


def test_the_notices_page_lists_what_anyone_may_print(client, people):
    _books(people.here)
    body = client.get(reverse("notices", args=[people.here.slug])).content.decode()
    for url in (
        "/v/youyi/notices/ranking.pdf",
        "/v/youyi/notices/ranking.pdf?period=year",
        "/v/youyi/notices/posting.pdf",
        "/v/youyi/notices/accounts/2026-01.pdf",
    ):
        assert f'href="{url}"' in body
    assert "2026-02" not in body  # not published: not a notice


def test_cadres_also_see_the_drafts_they_may_print(client, people):
    _books(people.here)
    from publicity import services

    services.month_check(
        actor=member(people.here, Role.FINANCE_GROUP), village=people.here, month=date(2026, 2, 1)
    )
    client.force_login(people.cadre_here)
    body = client.get(reverse("notices", args=[people.here.slug])).content.decode()
    assert 'href="/v/youyi/notices/accounts/2026-02.pdf"' in body
    assert 'href="/v/youyi/notices/accounts/2026-01.pdf"' in body
    client.force_login(people.villager_here)
    body = client.get(reverse("notices", args=[people.here.slug])).content.decode()
    assert "2026-02" not in body


def test_the_notices_page_shows_only_its_own_villages_notices(client, people):
    _books(people.elsewhere)
    body = client.get(reverse("notices", args=[people.here.slug])).content.decode()
    assert "notices/accounts/" not in body
    assert client.get("/v/no-such-village/notices/").status_code == 404


def test_the_notices_page_is_linked_from_the_village_home_and_the_work_page(client, people):
    url = reverse("notices", args=[people.here.slug])
    assert f'href="{url}"' in client.get(reverse("village_home", args=["youyi"])).content.decode()
    client.force_login(people.cadre_here)
    assert f'href="{url}"' in client.get(reverse("cadre_work", args=["youyi"])).content.decode()


def test_the_notices_page_reads_a_fixed_number_of_queries(
    client, people, django_assert_num_queries
):
    _books(people.here)
    url = reverse("notices", args=[people.here.slug])
    client.get(url)
    # The village, the published months, the votes, the handled topics.
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200
    for day in (3, 4):
        entry(people.here, date(2026, 3, day), "5.00")
        publish(people.here, date(2026, 2 + day - 3, 1))
    with django_assert_num_queries(4):
        body = client.get(url).content.decode()
    assert "notices/accounts/2026-03.pdf" in body


@override_settings(DEBUG=False, SITE_URL="http://localhost:8000")
def test_a_notice_with_no_public_address_answers_with_a_clear_error_page(client, people):
    household = HouseholdFactory(village=people.here)
    points_services.award_direct(actor=None, household=household, points=5, reason="x")
    points_services.rankings_recompute(village_id=people.here.pk)
    response = client.get(reverse("points:ranking_notice", args=[people.here.slug]))
    assert response.status_code == 503
    body = response.content.decode()
    assert "SITE_URL" in body and "localhost" in body
    assert b"%PDF" not in response.content
