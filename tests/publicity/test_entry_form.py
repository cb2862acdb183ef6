"""Money as typed: bad amounts get a clear error, nothing is saved, and the form keeps the input."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from publicity.models import FinanceEntry
from publicity.money import parse_amount

URL = "/v/youyi/open/finance/entries/new/"


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1250.50", "1250.50"),
        ("1,250.5", "1250.50"),
        ("¥300", "300.00"),
        ("0.01", "0.01"),
        (" 12 ", "12.00"),
        ("300元", "300.00"),
    ],
)
def test_amounts_in_yuan_and_fen_are_read(typed, amount):
    assert parse_amount(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("12.345", "decimals"),
        ("0.001", "decimals"),
        ("-5", "negative"),
        ("-0.01", "negative"),
        ("abc", "invalid"),
        ("12,3a", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        ("0", "zero"),
        ("", "required"),
        ("1e3", "invalid"),
        ("99999999999", "too_large"),
    ],
)
def test_bad_amounts_are_refused_not_rounded(typed, code):
    with pytest.raises(ValidationError) as info:
        parse_amount(typed)
    assert info.value.code == code


def _post(client, amount, **extra):
    data = {
        "date": "2026-01-05",
        "direction": "expense",
        "category": "public_works",
        "amount": amount,
        "counterparty": "德阳市水利建筑队",
        "voucher_no": "2601-07",
    }
    data.update(extra)
    return client.post(URL, data)


@pytest.mark.parametrize(
    ("typed", "message"),
    [("36500.555", "两位小数"), ("-36500", "不能为负"), ("三万六", "不是金额")],
)
def test_the_form_refuses_bad_amounts_and_keeps_the_input(
    client, staff, youyi, books, today, typed, message
):
    client.force_login(staff.accountant)
    response = _post(client, typed)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'value="{typed}"' in body and 'value="德阳市水利建筑队"' in body
    assert not FinanceEntry.objects.exists()


def test_a_good_entry_is_recorded_with_a_receipt_photo(client, staff, youyi, books, today):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 100, 50)).save(buf, "PNG")
    client.force_login(staff.accountant)
    response = _post(client, "36,500.50", receipt=SimpleUploadedFile("r.png", buf.getvalue()))
    assert response.status_code == 302
    e = FinanceEntry.objects.get()
    assert e.amount == Decimal("36500.50") and e.date == date(2026, 1, 5)
    assert e.receipt.name.endswith(".jpg") and e.receipt_thumbnail


def test_a_receipt_that_is_not_a_photo_is_refused(client, staff, youyi, books, today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff.accountant)
    response = _post(client, "10.00", receipt=SimpleUploadedFile("r.jpg", b"not a photo"))
    assert response.status_code == 400
    assert not FinanceEntry.objects.exists()
