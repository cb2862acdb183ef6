"""The month's accounts as a printed notice: totals, categories, every entry, the check."""

from datetime import date

import pytest
from django.test import override_settings
from django.urls import reverse

from publicity import services
from tests.factories import member
from tests.printing_helpers import pdf_qr_codes, pdf_text
from tests.publicity.factories import book, entry, finance_group, publish
from villageaffairs.models import Role

SITE = "https://cun.example.cn"
MONTH = date(2026, 1, 1)
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _url(village, period="2026-01"):
    return reverse("publicity:month_notice", args=[village.slug, period])


def _month(village):
    book(village, starts_on=MONTH)  # opening balance 1,000.00
    entry(village, date(2026, 1, 5), "2500.00", counterparty="鱼塘承包户", voucher_no="记-01")
    entry(village, date(2026, 1, 9), "730.50", "expense", counterparty="修路队", note="村道修补")
    entry(village, date(2026, 2, 1), "99.00", counterparty="二月的事")


def test_a_published_month_prints_its_statement_entries_and_check(client, people):
    _month(people.here)
    checker = finance_group(people.here, display_name="理财小组 刘敏")
    publish(people.here, MONTH, checker=checker)
    response = client.get(_url(people.here))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="youyi-accounts-2026-01.pdf"'
    text = pdf_text(response.content)
    for figure in ("1,000.00", "2,500.00", "730.50", "2,769.50"):  # opening … closing
        assert figure in text
    assert "鱼塘承包户" in text and "记-01" in text and "[1] 01-09 修路队: 村道修补" in text
    assert "二月的事" not in text and "99.00" not in text
    assert "理财小组 刘敏" in text
    row = [line for line in text.splitlines() if "修路队" in line][0]
    assert row.startswith("01-09") and row.endswith("730.50")  # an expense, in its column
    assert pdf_qr_codes(response.content) == [f"{SITE}/v/youyi/open/finance/2026-01/"]


def test_an_unpublished_month_is_not_found_for_the_public(client, people):
    _month(people.here)
    services.month_check(actor=finance_group(people.here), village=people.here, month=MONTH)
    assert client.get(_url(people.here)).status_code == 404
    client.force_login(people.villager_here)
    assert client.get(_url(people.here)).status_code == 404


@pytest.mark.parametrize("role", [Role.CADRE, Role.ACCOUNTANT, Role.FINANCE_GROUP])
def test_insiders_print_an_unpublished_month_as_a_draft(client, people, role):
    _month(people.here)
    client.force_login(member(people.here, role))
    response = client.get(_url(people.here))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "2,500.00" in text
    assert text.count("DRAFT") + text.count("草稿") >= 2  # the title on every page, and a line


def test_other_villages_and_months_outside_the_books_are_not_found(client, people):
    _month(people.here)
    publish(people.here, MONTH)
    client.force_login(people.cadre_elsewhere)
    assert client.get(_url(people.elsewhere)).status_code == 404  # no books there
    assert client.get(_url(people.here, "2025-12")).status_code == 404  # before the books
    assert client.get(_url(people.here, "2026-13")).status_code == 404


def test_the_notice_reads_a_month_in_constant_queries(client, people, django_assert_num_queries):
    _month(people.here)
    publish(people.here, MONTH)
    client.get(_url(people.here))
    with django_assert_num_queries(5) as few:  # village, book, month, totals, entries
        client.get(_url(people.here))
    for day in range(1, 29):
        entry(people.here, date(2026, 1, day), "10.00", "expense", category="office")
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(_url(people.here)).status_code == 200


@override_settings(DEBUG=False, SITE_URL="http://192.168.1.20")
def test_without_a_public_site_address_a_published_month_is_not_printed(client, people):
    _month(people.here)
    publish(people.here, MONTH)
    response = client.get(_url(people.here))
    assert response.status_code == 503
    assert "SITE_URL" in response.content.decode()
