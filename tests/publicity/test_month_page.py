"""The monthly statement page: the chart, pagination, privacy of unchecked months, query counts,
the size budget, and a month that does not exist."""

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from publicity.models import FinanceEntry
from publicity.selectors import PLOT_HEIGHT, PLOT_TOP
from tests.publicity.factories import entry, publish

SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str) -> ET.Element:
    match = re.search(r"<svg.*?</svg>", html, re.S)
    assert match, "no SVG chart on the page"
    return ET.fromstring(match.group(0))  # noqa: S314 - our own page, not untrusted input


def _bulk(village, month, n, user):
    FinanceEntry.objects.bulk_create(
        FinanceEntry(
            village=village,
            date=month.replace(day=1 + i % 28),
            direction="income" if i % 3 else "expense",
            category="contract" if i % 3 else "public_works",
            amount=Decimal("12.34") + i,
            counterparty=f"对方{i}",
            recorded_by=user,
        )
        for i in range(n)
    )


def test_the_chart_draws_each_published_month_to_scale(client, staff, youyi, books, today):
    data = {1: ("8000.00", "2000.00"), 2: ("1500.50", "9999.99"), 4: ("0.01", "4321.00")}
    for m in range(1, 6):
        if m in data:
            entry(youyi, date(2026, m, 3), data[m][0], "income")
            entry(youyi, date(2026, m, 4), data[m][1], "expense")
        publish(youyi, date(2026, m, 1), checker=staff.checker, publisher=staff.secretary)
    entry(youyi, date(2026, 6, 2), "99999.00")  # this month: not published, not on the chart
    html = client.get("/v/youyi/open/finance/2026-05/").content.decode()
    bars = [r for r in _svg(html).iter(f"{SVG}rect") if "bar" in r.get("class", "")]
    found = {(b.get("data-month"), b.get("class").split()[1]): b for b in bars}
    expected = {}
    for m in range(1, 6):
        income, expense = data.get(m, ("0.00", "0.00"))
        expected[(f"2026-{m:02d}", "income")] = Decimal(income)
        expected[(f"2026-{m:02d}", "expense")] = Decimal(expense)
    assert set(found) == set(expected)  # 5 published months × 2, nothing for unpublished ones
    peak = max(expected.values())
    tallest = max(float(b.get("height")) for b in bars)
    assert PLOT_HEIGHT * 0.4 <= tallest <= PLOT_HEIGHT  # the scale's top is at most 2.5 × peak
    for key, value in expected.items():
        bar = found[key]
        height, y = float(bar.get("height")), float(bar.get("y"))
        assert Decimal(bar.get("data-value")) == value
        assert height == pytest.approx(tallest * float(value / peak), abs=0.15)
        assert y + height == pytest.approx(PLOT_TOP + PLOT_HEIGHT, abs=0.11)  # bars stand on 0
    assert "<script" not in html


def test_a_month_that_does_not_exist_gets_a_clear_404(client, youyi):
    for period in ("2026-13", "2026-00", "1999-05"):
        response = client.get(f"/v/youyi/open/finance/{period}/")
        assert response.status_code == 404
        body = response.content.decode()
        assert period in body and ("不是月份" in body or "is not a month" in body)
        assert client.get(f"/v/youyi/open/finance/{period}.csv").status_code == 404


def test_an_unchecked_month_is_not_public(client, staff, youyi, books, today):
    entry(youyi, date(2026, 2, 3), "300.00", counterparty="秘密的对方")
    body = client.get("/v/youyi/open/finance/2026-02/").content.decode()
    assert "秘密的对方" not in body and "300.00" not in body
    assert client.get("/v/youyi/open/finance/2026-02.csv").status_code == 404
    client.force_login(staff.villager)
    assert "秘密的对方" not in client.get("/v/youyi/open/finance/2026-02/").content.decode()
    client.force_login(staff.checker)
    body = client.get("/v/youyi/open/finance/2026-02/").content.decode()
    assert "秘密的对方" in body


def test_the_finance_group_checks_then_a_cadre_publishes_through_the_pages(
    client, staff, youyi, books, today
):
    entry(youyi, date(2026, 1, 3), "300.00")
    client.force_login(staff.secretary)
    client.post("/v/youyi/open/finance/2026-01/publish/")
    assert not youyi.finance_months.filter(status="published").exists()
    client.force_login(staff.checker)
    assert client.post("/v/youyi/open/finance/2026-01/check/", {"note": "无误"}).status_code == 302
    client.force_login(staff.secretary)
    client.post("/v/youyi/open/finance/2026-01/publish/")
    row = youyi.finance_months.get()
    assert row.status == "published" and row.check_note == "无误"


@pytest.mark.parametrize("who", ["anonymous", "accountant"])
def test_queries_do_not_grow_with_the_number_of_entries(client, staff, youyi, books, today, who):
    if who == "accountant":
        client.force_login(staff.accountant)
    _bulk(youyi, date(2026, 1, 1), 5, staff.accountant)
    _bulk(youyi, date(2026, 2, 1), 400, staff.accountant)
    for m in (1, 2):
        publish(youyi, date(2026, m, 1), checker=staff.checker, publisher=staff.secretary)
    counts = []
    for url in ("/v/youyi/open/finance/2026-01/", "/v/youyi/open/finance/2026-02/?page=3"):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 14


def test_a_thousand_entries_make_a_light_paginated_page(client, staff, youyi, books, today):
    _bulk(youyi, date(2026, 3, 1), 1000, staff.accountant)
    for m in (1, 2, 3):
        publish(youyi, date(2026, m, 1), checker=staff.checker, publisher=staff.secretary)
    response = client.get("/v/youyi/open/finance/2026-03/")
    body = response.content.decode()
    assert len(response.content) < 60 * 1024
    final = FinanceEntry.objects.order_by("date", "pk").last().counterparty
    assert "1000" in body and "对方0<" in body and f"{final}<" not in body
    last = client.get("/v/youyi/open/finance/2026-03/?page=20").content.decode()
    assert f"{final}<" in last
    income = sum(Decimal("12.34") + i for i in range(1000) if i % 3)
    assert f"{income:,.2f}" in body


def test_the_village_home_shows_the_latest_items_and_month(client, staff, youyi, books, today):
    from tests.publicity.factories import published_item

    published_item(youyi, title="低保户民主评议结果")
    entry(youyi, date(2026, 1, 3), "2400.00")
    publish(youyi, date(2026, 1, 1), checker=staff.checker, publisher=staff.secretary)
    body = client.get("/v/youyi/").content.decode()
    assert "低保户民主评议结果" in body and "2026-01" in body and "2,400.00" in body
