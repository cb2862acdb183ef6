"""The demo: twelve published months of Youyi's accounts, items, a question and its answer."""

from django.core.management import call_command

from publicity.demo import DITCH, QUESTION
from publicity.models import Disclosure, FinanceEntry, FinanceMonth, Question


def _counts():
    return tuple(m.objects.count() for m in (Disclosure, FinanceEntry, FinanceMonth, Question))


def test_the_demo_tells_youyis_accounts_and_is_idempotent(db, client):
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    first = _counts()
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    assert _counts() == first

    months = FinanceMonth.objects.filter(village__slug="youyi").order_by("month")
    assert months.count() == 12 and all(m.is_published and m.checked_by for m in months)
    for before, after in zip(months, months[1:], strict=False):
        assert before.closing_balance == after.opening_balance
    assert FinanceEntry.objects.filter(note="鱼塘承包费（按月）").count() == 12
    assert FinanceEntry.objects.filter(note=DITCH).exists()
    assert Disclosure.objects.filter(kind="party", status="published").exists()
    assert Disclosure.objects.filter(kind="village", status="published", amended_at__isnull=False)
    question = Question.objects.get(text=QUESTION)
    assert question.answered_by.username == "shujun" and question.entry.note == DITCH

    last = months.last()
    page = client.get(last.get_absolute_url()).content.decode()
    assert "<svg" in page and "鱼塘" in page
    home = client.get("/v/youyi/").content.decode()
    assert last.key in home
    assert QUESTION in client.get(question.month.get_absolute_url()).content.decode()
