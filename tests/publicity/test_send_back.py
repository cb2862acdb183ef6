"""The finance group sends a month back to the accountant with a note, instead of checking it."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from publicity import services
from publicity.models import FinanceMonth
from publicity.selectors import cadre_work_items
from publicity.services import PublicityError
from tests.publicity.factories import entry, publish
from villageaffairs.models import AuditEntry

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)
MONTH_URL = "/v/youyi/open/finance/2026-01/"
SEND_BACK = MONTH_URL + "send-back/"
NOTE = "第 3 号凭证的金额与发票不符，请核对后改正。"


def _sent_back_audits():
    return AuditEntry.objects.filter(action="finance_month.send_back")


@pytest.fixture
def checked_january(staff, youyi, books, today):
    """January recorded by the accountant (one entry) and checked by the finance group."""
    line = entry(youyi, date(2026, 1, 3), "300.00", user=staff.accountant)
    services.month_check(actor=staff.checker, village=youyi, month=JAN)
    return line


def test_the_finance_group_sends_a_month_back_and_the_accountant_corrects_it(
    client, staff, youyi, checked_january
):
    client.force_login(staff.checker)
    response = client.post(SEND_BACK, {"note": NOTE})
    assert response.status_code == 302 and response["Location"] == MONTH_URL
    row = youyi.finance_months.get()
    assert row.status == FinanceMonth.Status.OPEN and row.is_sent_back
    assert (row.return_note, row.returned_by) == (NOTE, staff.checker)
    assert row.closing_balance is None and row.checked_by is None  # no longer frozen
    audit = _sent_back_audits().get()
    assert audit.actor == staff.checker and audit.object_id == str(row.pk)

    # The accountant sees the note on the month and on the blackboard's index (their to-do list).
    client.force_login(staff.accountant)
    assert NOTE in client.get(MONTH_URL).content.decode()
    index = client.get("/v/youyi/open/").content.decode()
    assert NOTE in index and MONTH_URL in index
    assert cadre_work_items(youyi)[1]["count"] == 1  # on the cadres' work page too
    # The month is editable again.
    edit = f"/v/youyi/open/finance/entries/{checked_january.pk}/edit/"
    form = {
        "date": "2026-01-03",
        "direction": "income",
        "category": "contract",
        "amount": "350.00",
        "counterparty": "鱼塘承包户",
    }
    assert client.post(edit, form).status_code == 302
    checked_january.refresh_from_db()
    assert checked_january.amount == Decimal("350.00")

    # Visitors never see the note of a month that is not published.
    client.logout()
    assert NOTE not in client.get(MONTH_URL).content.decode()

    # The finance group checks it again; the note leaves the accountant's list; it is published.
    client.force_login(staff.checker)
    assert client.post(MONTH_URL + "check/", {"note": "已改正"}).status_code == 302
    row.refresh_from_db()
    assert row.status == FinanceMonth.Status.CHECKED and not row.is_sent_back
    assert row.income == Decimal("350.00")
    client.force_login(staff.accountant)
    assert NOTE not in client.get("/v/youyi/open/").content.decode()
    client.force_login(staff.secretary)
    client.post(MONTH_URL + "publish/")
    row.refresh_from_db()
    assert row.status == FinanceMonth.Status.PUBLISHED


def test_an_open_month_can_be_sent_back_too(client, staff, youyi, books, today):
    entry(youyi, date(2026, 1, 3), "300.00")
    client.force_login(staff.checker)
    assert client.post(SEND_BACK, {"note": NOTE}).status_code == 302
    assert youyi.finance_months.get().is_sent_back


@pytest.mark.parametrize("note", ["", "   \n "])
def test_a_blank_note_is_refused_and_nothing_changes(client, staff, youyi, checked_january, note):
    client.force_login(staff.checker)
    response = client.post(SEND_BACK, {"note": note})
    assert response.status_code == 400
    with translation.override("zh-hans"):
        error = translation.gettext(
            "Write what the accountant must correct: they will see your note."
        )
    assert error in response.content.decode()
    row = youyi.finance_months.get()
    assert row.status == FinanceMonth.Status.CHECKED and row.closing_balance is not None
    assert not row.returned_at and not _sent_back_audits().exists()
    with pytest.raises(PublicityError):
        services.month_send_back(actor=staff.checker, village=youyi, month=JAN, note=" ")


def test_a_published_month_cannot_be_sent_back(client, staff, youyi, books, today):
    entry(youyi, date(2026, 1, 3), "300.00")
    publish(youyi, JAN, checker=staff.checker, publisher=staff.secretary)
    client.force_login(staff.checker)
    response = client.post(SEND_BACK, {"note": NOTE}, follow=True)
    with translation.override("zh-hans"):
        refused = translation.gettext(
            "%(month)s is already published and can no longer be sent back. "
            "Record a correction in the current month."
        ) % {"month": "2026-01"}
    assert refused in response.content.decode()
    row = youyi.finance_months.get()
    assert row.status == FinanceMonth.Status.PUBLISHED and not row.return_note
    assert not _sent_back_audits().exists()


def test_a_month_goes_back_only_after_the_later_checked_months(staff, youyi, checked_january):
    services.month_check(actor=staff.checker, village=youyi, month=FEB)
    with pytest.raises(PublicityError, match="2026-02"):
        services.month_send_back(actor=staff.checker, village=youyi, month=JAN, note=NOTE)
    services.month_send_back(actor=staff.checker, village=youyi, month=FEB, note=NOTE)
    services.month_send_back(actor=staff.checker, village=youyi, month=JAN, note=NOTE)
    assert set(youyi.finance_months.values_list("status", flat=True)) == {"open"}


@pytest.mark.parametrize("who", ["accountant", "secretary", "villager"])
def test_only_the_finance_group_sends_back(client, staff, youyi, checked_january, who):
    client.force_login(getattr(staff, who))
    assert client.post(SEND_BACK, {"note": NOTE}).status_code == 404
    assert youyi.finance_months.get().status == FinanceMonth.Status.CHECKED
    assert not _sent_back_audits().exists()
