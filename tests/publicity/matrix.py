"""The publicity pages in the URL × role permission matrix."""

from datetime import date

from django.urls import reverse

from publicity.models import EntryImport, Question
from tests.matrix import CADRES, CADRES_POST, MEMBERS_POST, OVERSEERS, PUBLIC, Case, expect
from tests.publicity.factories import (
    DisclosureFactory,
    attachment,
    book,
    entry,
    publish,
    published_item,
    receipt_entry,
)

_OUTSIDERS = {
    "villager_elsewhere": 404,
    "cadre_elsewhere": 404,
    "officer_serving": 404,
    "officer_other": 404,
}
# The accountant's pages ("publicity.finance"); the matrix's cadre is not the accountant.
FINANCE = expect(
    anonymous=302,
    villager_here=404,
    cadre_here=404,
    operator=200,
    accountant_here=200,
    **_OUTSIDERS,
)
FINANCE_POST = dict(FINANCE, operator=405, accountant_here=405)
# The finance group's check ("publicity.check_finance"): POST only, not the accountant's.
CHECK_POST = dict(FINANCE, operator=405, accountant_here=404, finance_here=405)
# Platform pages: operators only, not the village's accountant.
OPERATORS = dict(FINANCE, accountant_here=404)
ALL_404 = dict.fromkeys(PUBLIC, 404)
# Files of drafts and unpublished months: insiders only, 404 for everyone else, anonymous too
# (a file has no sign-in page to send them to).
# The finance group checks a month before it is published, so it is an insider too.
# The officials over the village read as insiders (read only).
INSIDER_FILE = dict(ALL_404, cadre_here=200, operator=200, finance_here=200) | OVERSEERS
# Real POSTs (with the CSRF token): whoever may act is sent back to the page.
CADRES_DONE = CADRES | {"cadre_here": 302, "operator": 302}
MEMBERS_DONE = MEMBERS_POST | {"villager_here": 302, "cadre_here": 302, "operator": 302}
FINANCE_DONE = dict(FINANCE, operator=302, accountant_here=302)
CHECK_DONE = dict(FINANCE, operator=302, accountant_here=404, finance_here=302)

MONTH = date(2026, 1, 1)


def _u(name, p, *args):
    return reverse(f"publicity:{name}", args=[p.here.slug, *args])


def _published_month(p):
    book(p.here, starts_on=MONTH)
    entry(p.here, date(2026, 1, 5), "100.00")
    publish(p.here, MONTH)
    return "2026-01"


def _open_entry(p):
    book(p.here, starts_on=MONTH)
    return entry(p.here, date(2026, 1, 5), "100.00")


def _batch(p):
    return EntryImport.objects.create(
        village=p.here,
        filename="a.csv",
        data="date,direction,category,amount,counterparty\n",
        uploaded_by=p.operator,
    )


def _draft_file(p, photo=False):
    return attachment(DisclosureFactory(village=p.here), photo=photo).pk


def _published_file(p, photo=False):
    return attachment(published_item(p.here), photo=photo).pk


def _receipt(p, published):
    book(p.here, starts_on=MONTH)
    pk = receipt_entry(p.here, date(2026, 1, 6)).pk
    if published:
        publish(p.here, MONTH)
    return pk


def _question(p):
    item = published_item(p.here)
    return Question.objects.create(
        village=p.here, disclosure=item, author=p.villager_here, text="?"
    )


def _post(name, build, expect, **kwargs):
    return Case(f"publicity:{name}", build, expect, method="post", **kwargs)


def _open_month(p):
    _open_entry(p)
    return "2026-01"


CASES = [
    Case("publicity:index", lambda p: _u("index", p), PUBLIC),
    Case("publicity:item", lambda p: _u("item", p, published_item(p.here).pk), PUBLIC),
    # A draft: for insiders only, the officials over the village included.
    Case(
        "publicity:item",
        lambda p: _u("item", p, DisclosureFactory(village=p.here).pk),
        INSIDER_FILE,
    ),
    # Posting to a page an official reads as an insider: read only (403); else not allowed.
    _post(
        "index",
        lambda p: _u("index", p),
        dict.fromkeys(PUBLIC, 405) | dict.fromkeys(OVERSEERS, 403),
    ),
    Case("publicity:item_new", lambda p: _u("item_new", p), CADRES),
    Case("publicity:item_edit", lambda p: _u("item_edit", p, published_item(p.here).pk), CADRES),
    Case(
        "publicity:item_publish",
        lambda p: _u("item_publish", p, published_item(p.here).pk),
        CADRES_POST,
        foreign=False,
    ),
    Case(
        "publicity:item_ask",
        lambda p: _u("item_ask", p, published_item(p.here).pk),
        MEMBERS_POST,
        foreign=False,
    ),
    Case(
        "publicity:answer", lambda p: _u("answer", p, _question(p).pk), CADRES_POST, foreign=False
    ),
    Case("publicity:month", lambda p: _u("month", p, _published_month(p)), PUBLIC),
    # A month that does not exist: a clear 404 page for everyone.
    Case("publicity:month", lambda p: _u("month", p, "2026-13"), ALL_404),
    Case("publicity:month_csv", lambda p: _u("month_csv", p, _published_month(p)), PUBLIC),
    Case("publicity:month_notice", lambda p: _u("month_notice", p, _published_month(p)), PUBLIC),
    # An unpublished month: a draft for insiders, not found for everyone else.
    Case("publicity:month_notice", lambda p: _u("month_notice", p, _open_month(p)), INSIDER_FILE),
    Case("publicity:month_check", lambda p: _u("month_check", p, "2026-01"), CHECK_POST),
    Case("publicity:month_send_back", lambda p: _u("month_send_back", p, "2026-01"), CHECK_POST),
    Case("publicity:month_publish", lambda p: _u("month_publish", p, "2026-01"), CADRES_POST),
    Case("publicity:month_ask", lambda p: _u("month_ask", p, "2026-01"), MEMBERS_POST),
    Case("publicity:book", lambda p: _u("book", p), FINANCE),
    Case("publicity:entry_new", lambda p: _u("entry_new", p), FINANCE),
    Case("publicity:entry_edit", lambda p: _u("entry_edit", p, _open_entry(p).pk), FINANCE),
    Case(
        "publicity:entry_delete",
        lambda p: _u("entry_delete", p, _open_entry(p).pk),
        FINANCE_POST,
        foreign=False,
    ),
    Case("publicity:entry_import", lambda p: _u("entry_import", p), FINANCE),
    Case("publicity:import_preview", lambda p: _u("import_preview", p, _batch(p).pk), FINANCE),
    Case(
        "publicity:attachment_file",
        lambda p: _u("attachment_file", p, _draft_file(p)),
        INSIDER_FILE,
    ),
    Case(
        "publicity:attachment_file", lambda p: _u("attachment_file", p, _published_file(p)), PUBLIC
    ),
    Case(
        "publicity:attachment_thumb",
        lambda p: _u("attachment_thumb", p, _draft_file(p, photo=True)),
        INSIDER_FILE,
    ),
    Case(
        "publicity:attachment_thumb",
        lambda p: _u("attachment_thumb", p, _published_file(p, photo=True)),
        PUBLIC,
    ),
    Case(
        "publicity:receipt_file", lambda p: _u("receipt_file", p, _receipt(p, False)), INSIDER_FILE
    ),
    Case("publicity:receipt_file", lambda p: _u("receipt_file", p, _receipt(p, True)), PUBLIC),
    Case(
        "publicity:receipt_thumb",
        lambda p: _u("receipt_thumb", p, _receipt(p, False)),
        INSIDER_FILE,
    ),
    Case("publicity:receipt_thumb", lambda p: _u("receipt_thumb", p, _receipt(p, True)), PUBLIC),
    Case("publicity_operator:overdue", lambda p: reverse("publicity_operator:overdue"), OPERATORS),
    # The POST-only pages, posted for real with the CSRF token.
    _post(
        "item_publish",
        lambda p: _u("item_publish", p, DisclosureFactory(village=p.here).pk),
        CADRES_DONE,
    ),
    _post(
        "item_ask",
        lambda p: _u("item_ask", p, published_item(p.here).pk),
        MEMBERS_DONE,
        data={"text": "这笔钱怎么花的？"},
    ),
    _post(
        "answer",
        lambda p: _u("answer", p, _question(p).pk),
        CADRES_DONE,
        data={"answer": "用于修路。"},
    ),
    _post("month_check", lambda p: _u("month_check", p, _open_month(p)), CHECK_DONE),
    _post(
        "month_send_back",
        lambda p: _u("month_send_back", p, _open_month(p)),
        CHECK_DONE,
        data={"note": "第 3 号凭证的金额与发票不符。"},
    ),
    _post("month_publish", lambda p: _u("month_publish", p, _open_month(p)), CADRES_DONE),
    _post(
        "month_ask",
        lambda p: _u("month_ask", p, _published_month(p)),
        MEMBERS_DONE,
        data={"text": "一月的收入是什么？"},
    ),
    _post("entry_delete", lambda p: _u("entry_delete", p, _open_entry(p).pk), FINANCE_DONE),
]
