"""Builders of the open data API tests: a published month, a closed secret vote."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from publicity.models import FinanceMonth
from talks.models import Receipt, Topic
from tests.publicity.factories import book, entry
from tests.talks.factories import VoteFactory, topic_in


def published_month(village, month=date(2026, 1, 1), *, entries=3, status="published"):
    """The village's books from January 2026 and ``month`` with ``entries`` income entries."""
    the_book = getattr(village, "finance_book", None) or book(village, starts_on=date(2026, 1, 1))
    for i in range(entries):
        entry(village, month + timedelta(days=i % 28), f"{10 + i}.00")
    income = sum(Decimal(f"{10 + i}.00") for i in range(entries))
    return FinanceMonth.objects.create(
        village=village,
        month=month,
        status=status,
        opening_balance=the_book.opening_balance,
        income=income,
        expense=Decimal("0.00"),
        closing_balance=the_book.opening_balance + income,
        entry_count=entries,
        published_at=timezone.now() if status == "published" else None,
    )


def closed_secret_vote(village, codes=("ABCD2345", "WXYZ6789"), *, closed=True):
    topic = topic_in(Topic.Status.DISCUSSING, village=village)
    vote = VoteFactory(
        topic=topic,
        secret=True,
        live_results=False,
        closed_at=timezone.now() if closed else None,
        counts=[len(codes), 0, 0] if closed else [],
        ballots_cast=len(codes) if closed else 0,
    )
    for code in codes:
        Receipt.objects.create(vote=vote, village=village, code=code)
    return vote
