"""Date fields opened in Chinese show their date: `<input type=date>` reads only ISO
(2026-03-07), while Django writes zh-hans dates as 2026/03/07 unless told otherwise."""

import re
from datetime import date

import pytest
from django.conf import settings

from publicity.models import Disclosure
from tests.publicity.factories import DisclosureFactory, entry


@pytest.fixture
def chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


def _value(body: str, name: str) -> str:
    tag = re.search(rf'<input type="date" name="{name}"[^>]*>', body)
    assert tag, f"no date input named {name}"
    return re.search(r'value="([^"]*)"', tag.group(0)).group(1)


def test_the_accountant_sees_the_date_of_the_entry_she_changes_and_keeps_it(
    chinese, staff, youyi, books, today
):
    kept = entry(
        youyi, date(2026, 3, 7), "1250.50", counterparty="鱼塘承包户", voucher_no="2603-01"
    )
    chinese.force_login(staff.accountant)
    url = f"/v/youyi/open/finance/entries/{kept.pk}/edit/"

    body = chinese.get(url).content.decode()
    assert _value(body, "date") == "2026-03-07"
    assert "2026/03/07" not in body

    response = chinese.post(
        url,
        {
            "date": _value(body, "date"),
            "direction": "income",
            "category": "contract",
            "amount": "1250.50",
            "counterparty": "鱼塘承包户",
            "voucher_no": "2603-01",
            "note": "改了备注",
        },
    )
    assert response.status_code == 302
    kept.refresh_from_db()
    assert kept.date == date(2026, 3, 7) and kept.note == "改了备注"


def test_a_new_entry_starts_on_today_in_iso(chinese, staff, youyi, books, today):
    chinese.force_login(staff.accountant)
    body = chinese.get("/v/youyi/open/finance/entries/new/").content.decode()
    assert _value(body, "date") == "2026-06-15"


def test_a_disclosure_opened_to_change_shows_its_period_and_keeps_it(chinese, staff, youyi):
    item = DisclosureFactory(
        village=youyi, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
    )
    chinese.force_login(staff.secretary)
    url = f"/v/youyi/open/items/{item.pk}/edit/"

    body = chinese.get(url).content.decode()
    assert _value(body, "period_start") == "2026-01-01"
    assert _value(body, "period_end") == "2026-03-31"

    response = chinese.post(
        url,
        {
            "title": item.title,
            "text": "改过的公示内容。",
            "period_start": _value(body, "period_start"),
            "period_end": _value(body, "period_end"),
        },
    )
    assert response.status_code == 302
    item = Disclosure.objects.get(pk=item.pk)
    assert (item.period_start, item.period_end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert item.text == "改过的公示内容。"
