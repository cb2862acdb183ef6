"""The rules of the books and of the items: order, checks, revisions, questions, lateness."""

from datetime import date
from decimal import Decimal

import pytest

from publicity import services
from publicity.models import (
    Disclosure,
    DisclosureRevision,
    FinanceEntry,
    FinanceMonth,
    OverdueNotice,
    Question,
)
from publicity.services import PublicityError
from tests.factories import VillageFactory
from tests.publicity.factories import book, entry, publish, published_item
from villageaffairs.models import AuditEntry

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    """The messages are matched in English here (the pages are tested in Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def _record(staff, youyi, day, amount, direction="income", category="contract"):
    return services.entry_record(
        actor=staff.accountant,
        village=youyi,
        date=day,
        direction=direction,
        category=category,
        amount=Decimal(amount),
        counterparty="鱼塘承包户",
    )


def test_publishing_a_month_is_refused_before_the_finance_group_checks_it(
    staff, youyi, books, today
):
    _record(staff, youyi, date(2026, 1, 5), "2400.00")
    with pytest.raises(PublicityError, match="not checked"):
        services.month_publish(actor=staff.secretary, village=youyi, month=JAN)
    assert not FinanceMonth.objects.filter(village=youyi, status="published").exists()

    services.month_check(actor=staff.checker, village=youyi, month=JAN)
    row = services.month_publish(actor=staff.secretary, village=youyi, month=JAN)
    assert row.status == "published" and row.published_by == staff.secretary
    assert AuditEntry.objects.filter(action="finance_month.publish", object_id=str(row.pk)).exists()


def test_checking_freezes_the_figures_and_locks_the_month(staff, youyi, books, today):
    _record(staff, youyi, date(2026, 1, 5), "2400.00")
    e = _record(staff, youyi, date(2026, 1, 9), "500.50", "expense", "public_works")
    row = services.month_check(actor=staff.checker, village=youyi, month=JAN, note="账实相符")
    assert (row.opening_balance, row.income, row.expense, row.closing_balance) == (
        Decimal("1000.00"),
        Decimal("2400.00"),
        Decimal("500.50"),
        Decimal("2899.50"),
    )
    with pytest.raises(PublicityError, match="checked by the finance group"):
        _record(staff, youyi, date(2026, 1, 20), "1.00")
    with pytest.raises(PublicityError):
        services.entry_update(actor=staff.accountant, entry=e, amount=Decimal("1.00"))
    with pytest.raises(PublicityError):
        services.entry_delete(actor=staff.accountant, entry=e)
    # An entry cannot be moved out of an open month into a checked one either.
    f = _record(staff, youyi, date(2026, 2, 3), "10.00")
    with pytest.raises(PublicityError):
        services.entry_update(actor=staff.accountant, entry=f, date=date(2026, 1, 3))
    assert FinanceEntry.objects.get(pk=e.pk).amount == Decimal("500.50")
    assert FinanceEntry.objects.filter(village=youyi, date__month=1).count() == 2
    with pytest.raises(PublicityError, match="already been checked"):
        services.month_check(actor=staff.checker, village=youyi, month=JAN)


def test_months_are_checked_in_order(staff, youyi, books, today):
    _record(staff, youyi, date(2026, 2, 5), "10.00")
    with pytest.raises(PublicityError, match="2026-01"):
        services.month_check(actor=staff.checker, village=youyi, month=FEB)
    services.month_check(actor=staff.checker, village=youyi, month=JAN)  # an empty month
    row = services.month_check(actor=staff.checker, village=youyi, month=FEB)
    assert row.opening_balance == Decimal("1000.00") and row.closing_balance == Decimal("1010.00")


def test_entries_outside_the_books_or_in_the_future_are_refused(staff, youyi, books, today):
    with pytest.raises(PublicityError, match="future"):
        _record(staff, youyi, date(2026, 6, 16), "1.00")
    with pytest.raises(PublicityError, match="2026-01"):
        _record(staff, youyi, date(2025, 12, 31), "1.00")
    with pytest.raises(PublicityError):
        _record(staff, youyi, date(2026, 1, 2), "1.00", "income", "public_works")
    other = VillageFactory()
    with pytest.raises(PublicityError, match="Open the books"):
        _record(staff, other, date(2026, 1, 2), "1.00")
    assert not FinanceEntry.objects.exists()


def test_the_start_of_the_books_is_fixed_once_a_month_is_checked(staff, youyi, books, today):
    services.book_open(
        actor=staff.accountant,
        village=youyi,
        starts_on=date(2026, 1, 20),
        opening_balance=Decimal("5.00"),
    )
    books.refresh_from_db()
    assert books.starts_on == JAN and books.opening_balance == Decimal("5.00")
    services.month_check(actor=staff.checker, village=youyi, month=JAN)
    with pytest.raises(PublicityError):
        services.book_open(
            actor=staff.accountant, village=youyi, starts_on=JAN, opening_balance=Decimal("9.00")
        )


def test_an_edit_after_publishing_leaves_a_visible_revision(staff, youyi, client):
    item = services.disclosure_create(
        actor=staff.secretary,
        village=youyi,
        kind="village",
        title="村道硬化工程招标结果",
        text="工期 60 天。",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
    )
    # A draft changes freely: no revision.
    services.disclosure_update(
        actor=staff.secretary,
        disclosure=item,
        title=item.title,
        text="工期 60 天，中标价 38 万。",
        period_start=item.period_start,
        period_end=item.period_end,
    )
    assert not DisclosureRevision.objects.exists()
    services.disclosure_publish(actor=staff.secretary, disclosure=item)
    with pytest.raises(PublicityError):  # a published item needs a reason
        services.disclosure_update(
            actor=staff.secretary,
            disclosure=item,
            title=item.title,
            text="工期 75 天。",
            period_start=item.period_start,
            period_end=item.period_end,
        )
    services.disclosure_update(
        actor=staff.secretary,
        disclosure=item,
        title=item.title,
        text="工期 75 天。",
        period_start=item.period_start,
        period_end=item.period_end,
        reason="雨季顺延",
    )
    item.refresh_from_db()
    revision = item.revisions.get()
    assert revision.text == "工期 60 天，中标价 38 万。" and revision.reason == "雨季顺延"
    assert item.text == "工期 75 天。" and item.amended_at is not None
    page = client.get(item.get_absolute_url()).content.decode()
    assert "工期 75 天。" in page and "工期 60 天，中标价 38 万。" in page
    assert "修改于" in page or "Amended on" in page
    assert "雨季顺延" in page


def test_drafts_are_not_public(staff, youyi, client):
    draft = services.disclosure_create(
        actor=staff.secretary,
        village=youyi,
        kind="party",
        title="草稿",
        text="…",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 1),
    )
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff.villager)
    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(staff.secretary)
    assert client.get(draft.get_absolute_url()).status_code == 200


def test_a_villager_asks_and_a_cadre_answers_both_public(staff, youyi, books, today, client):
    e = entry(youyi, date(2026, 1, 5), "36500.00", "expense", counterparty="水利建筑队")
    publish(youyi, JAN, checker=staff.checker, publisher=staff.secretary)
    client.force_login(staff.villager)
    url = "/v/youyi/open/finance/2026-01/ask/"
    response = client.post(url, {"text": "沟渠维修谁施工的？", "entry": e.pk})
    assert response.status_code == 302
    question = Question.objects.get()
    assert question.entry == e and question.month.month == JAN and question.author == staff.villager
    client.force_login(staff.secretary)
    client.post(f"/v/youyi/open/questions/{question.pk}/answer/", {"answer": "水利建筑队施工。"})
    client.logout()
    page = client.get("/v/youyi/open/finance/2026-01/").content.decode()
    assert "沟渠维修谁施工的？" in page and "水利建筑队施工。" in page
    assert str(staff.villager) in page and str(staff.secretary) in page


def test_questions_about_unpublished_things_are_refused(staff, youyi, books, today):
    draft = Disclosure.objects.create(
        village=youyi,
        kind="party",
        title="t",
        text="t",
        period_start=JAN,
        period_end=JAN,
        author=staff.secretary,
    )
    with pytest.raises(PublicityError):
        services.question_ask(actor=staff.villager, village=youyi, disclosure=draft, text="?")
    with pytest.raises(PublicityError):
        services.question_ask(actor=staff.villager, village=youyi, month=JAN, text="?")
    with pytest.raises(PublicityError):
        services.question_ask(
            actor=staff.villager, village=youyi, disclosure=published_item(youyi), text="  "
        )


def test_overdue_accounts_are_marked_from_the_10th_and_cleared_when_published(staff, youyi):
    book(VillageFactory(), starts_on=date(2026, 1, 1))  # another village, also late
    book(youyi, starts_on=date(2026, 1, 1))
    fresh = VillageFactory()
    book(fresh, starts_on=date(2026, 6, 1))  # its books start this month: nothing is due yet
    assert services.overdue_mark(today=date(2026, 6, 9)) == 0
    assert services.overdue_mark(today=date(2026, 6, 10)) == 2
    assert services.overdue_mark(today=date(2026, 6, 11)) == 0  # idempotent
    notice = OverdueNotice.objects.get(village=youyi)
    assert notice.month == date(2026, 5, 1) and notice.cleared_at is None
    for m in range(1, 6):
        services.month_check(actor=staff.checker, village=youyi, month=date(2026, m, 1))
    services.month_publish(actor=staff.secretary, village=youyi, month=date(2026, 5, 1))
    notice.refresh_from_db()
    assert notice.cleared_at is not None
    assert not OverdueNotice.objects.filter(village=fresh).exists()


def test_a_village_that_published_on_time_is_not_marked(staff, youyi):
    book(youyi, starts_on=date(2026, 5, 1))
    publish(youyi, date(2026, 5, 1), checker=staff.checker, publisher=staff.secretary)
    assert services.overdue_mark(today=date(2026, 6, 10)) == 0


def test_the_beat_schedule_runs_the_overdue_job(staff, youyi, monkeypatch):
    from publicity import tasks
    from villageaffairs.celery import app

    entry = app.conf.beat_schedule["publicity-mark-overdue-accounts"]
    assert entry["task"] == "publicity.tasks.mark_overdue_accounts"
    book(youyi, starts_on=date(2026, 1, 1))
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 6, 12))
    assert tasks.mark_overdue_accounts.apply().get() == 1
    assert tasks.mark_overdue_accounts.apply().get() == 0


@pytest.mark.integration
def test_a_real_worker_marks_overdue_villages(celery_live_worker, monkeypatch):
    import time

    from django.utils import timezone

    from publicity import tasks

    village = VillageFactory()
    book(village, starts_on=date(2026, 1, 1))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 6, 12))
    tasks.mark_overdue_accounts.delay()
    tasks.mark_overdue_accounts.delay()  # twice: still one notice
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not OverdueNotice.objects.filter(village=village):
        time.sleep(0.2)
    time.sleep(0.5)
    assert OverdueNotice.objects.filter(village=village, month=date(2026, 5, 1)).count() == 1
