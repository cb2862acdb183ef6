"""The daily statistics over any period equal the figures computed directly from the rows:
counts and sums exactly, medians within one bucket."""

import datetime
import statistics
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from points.models import Claim, LedgerEntry
from publicity.models import FinanceBook, FinanceMonth
from talks.models import Event, Participation, Rating, RollEntry, Topic, Vote
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory, VillageFactory
from tests.points.factories import RuleFactory
from villageaffairs import dashboards, stats
from villageaffairs.models import DailyStats, Household, Village

TZ = ZoneInfo("Asia/Shanghai")
ORIGIN = datetime.datetime(2026, 2, 20, tzinfo=TZ)  # the window crosses a quarter's end
WINDOW_MINUTES = 100 * 24 * 60
FIRST_DAY = ORIGIN.date()
LAST_DAY = FIRST_DAY + datetime.timedelta(days=160)  # later replies, handlings, ratings


def at(minutes: int) -> datetime.datetime:
    return ORIGIN + datetime.timedelta(minutes=minutes)


def local(moment) -> datetime.date:
    return moment.astimezone(TZ).date()


minutes = st.integers(0, WINDOW_MINUTES)
village_index = st.integers(0, 2)
topics = st.lists(
    st.tuples(
        village_index,
        minutes,
        st.none() | st.integers(0, 60 * 24 * 50),  # reply after (minutes)
        st.none() | st.integers(0, 60 * 24 * 45),  # handled after
        st.none() | st.integers(1, 40),  # handling deadline (days), None: the default
        st.lists(st.tuples(st.integers(1, 5), st.booleans()), max_size=3),  # ratings
        st.integers(0, 2),  # reopened events
    ),
    max_size=12,
)
ledger = st.lists(st.tuples(village_index, st.integers(0, 3), minutes), max_size=25)
claims = st.lists(
    st.tuples(
        village_index,
        minutes,
        st.none() | st.integers(0, 60 * 24 * 12),
        st.sampled_from(["approved", "rejected"]),
    ),
    max_size=10,
)
votes = st.lists(
    st.tuples(village_index, minutes, st.integers(0, 4), st.integers(0, 4)), max_size=4
)
# Per village: the month its books begin (None: no books) and, per month, when it published:
# None (not), or days after the 1st of the month after (the due day is the 10th).
finance = st.lists(
    st.tuples(st.none() | st.integers(0, 3), st.lists(st.none() | st.integers(0, 30), max_size=6)),
    min_size=3,
    max_size=3,
)
periods = st.tuples(st.integers(0, 160), st.integers(0, 160))
aligned = st.tuples(st.sampled_from(["month", "quarter", "year"]), st.integers(0, 100))
# The day each of the 12 households joined the platform, from 60 days before the window.
joined = st.lists(st.integers(-60, 160), min_size=12, max_size=12)


class TestAggregatesAgree(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.villages = [VillageFactory() for _ in range(3)]
        Village.objects.update(created_at=datetime.datetime(2025, 1, 1, tzinfo=TZ))
        cls.author = UserFactory()
        cls.households = [[HouseholdFactory(village=v) for _ in range(4)] for v in cls.villages]
        cls.residents = [[ResidentFactory(household=h) for h in hs] for hs in cls.households]
        cls.rules = [RuleFactory(village=v) for v in cls.villages]
        cls.raters = [UserFactory() for _ in range(3)]

    def _build(self, topic_rows, ledger_rows, claim_rows, vote_rows, finance_rows):
        for vi, created, reply, handle, due, ratings, reopened in topic_rows:
            village = self.villages[vi]
            created_at = at(created)
            topic = Topic.objects.create(
                village=village,
                author=self.author,
                title="t",
                text="x",
                category="other",
                created_at=created_at,
                first_reply_at=None
                if reply is None
                else created_at + datetime.timedelta(minutes=reply),
                handled_at=None
                if handle is None
                else created_at + datetime.timedelta(minutes=handle),
                handle_due_at=None if due is None else created_at + datetime.timedelta(days=due),
            )
            if handle is not None:
                handled_at = topic.handled_at
                Event.objects.create(
                    village=village, topic=topic, kind="handled", created_at=handled_at
                )
                for n in range(reopened):
                    Event.objects.create(
                        village=village,
                        topic=topic,
                        kind="reopened",
                        created_at=handled_at + datetime.timedelta(hours=7 * n + 5),
                    )
            for i, (stars, set_aside) in enumerate(ratings):
                Rating.objects.create(
                    village=village,
                    topic=topic,
                    user=self.raters[i],
                    stars=stars,
                    set_aside=set_aside,
                    created_at=created_at + datetime.timedelta(hours=13 * i + 20),
                )
        for vi, hi, minute in ledger_rows:
            LedgerEntry.objects.create(
                village=self.villages[vi],
                household=self.households[vi][hi],
                kind="award",
                points=5,
                in_score=True,
                year=2026,
                reason="r",
                created_at=at(minute),
            )
        for vi, created, decided, state in claim_rows:
            created_at = at(created)
            Claim.objects.create(
                village=self.villages[vi],
                household=self.households[vi][0],
                rule=self.rules[vi],
                points=5,
                state=state if decided is not None else "submitted",
                decision_reason="no" if state == "rejected" else "",
                created_at=created_at,
                decided_at=None
                if decided is None
                else created_at + datetime.timedelta(minutes=decided),
            )
        for vi, closed, on_roll, voted in vote_rows:
            village = self.villages[vi]
            topic = Topic.objects.create(
                village=village,
                author=self.author,
                title="v",
                text="x",
                category="other",
                created_at=at(0) - datetime.timedelta(days=30),
            )
            closed_at = at(closed)
            vote = Vote.objects.create(
                village=village,
                topic=topic,
                question="q",
                options=["a", "b"],
                opens_at=closed_at - datetime.timedelta(days=2),
                closes_at=closed_at,
                closed_at=closed_at,
                created_by=self.author,
            )
            entries = [
                RollEntry.objects.create(
                    village=village, vote=vote, resident=r, household=r.household, name="n"
                )
                for r in self.residents[vi][:on_roll]
            ]
            for entry in entries[:voted]:
                Participation.objects.create(
                    village=village, vote=vote, entry=entry, voted_on=closed_at.date()
                )
        for village, (book_month, published) in zip(self.villages, finance_rows, strict=True):
            if book_month is not None:
                FinanceBook.objects.create(
                    village=village,
                    starts_on=dashboards.add_months(datetime.date(2026, 1, 1), book_month),
                    opening_balance=0,
                )
            for i, after in enumerate(published):
                month = dashboards.add_months(datetime.date(2026, 1, 1), i)
                next_first = dashboards.add_months(month, 1)
                FinanceMonth.objects.create(
                    village=village,
                    month=month,
                    status="published" if after is not None else "checked",
                    published_at=None
                    if after is None
                    else datetime.datetime.combine(next_first, datetime.time(12), tzinfo=TZ)
                    + datetime.timedelta(days=after),
                )

    def _table(self, start, end):
        sums = {}
        for village in self.villages:
            rows = DailyStats.objects.filter(village=village, day__gte=start, day__lte=end)
            total = dict.fromkeys(stats.columns(), 0)
            for row in rows:
                for name in total:
                    total[name] += getattr(row, name)
            sums[village.pk] = total
        return sums

    def _direct(self, village, start, end):
        def inside(moment):
            return moment is not None and start <= local(moment) <= end

        topics = list(Topic.objects.filter(village=village, title="t"))
        replies = [
            (t.first_reply_at - t.created_at).total_seconds() / 3600
            for t in topics
            if inside(t.first_reply_at)
        ]
        handled = [t for t in topics if inside(t.handled_at)]
        in_time = [
            t
            for t in handled
            if t.handled_at <= (t.handle_due_at or t.created_at + datetime.timedelta(days=30))
        ]
        ratings = [
            r.stars
            for r in Rating.objects.filter(village=village, set_aside=False)
            if inside(r.created_at)
        ]
        events = [e.kind for e in Event.objects.filter(village=village) if inside(e.created_at)]
        decided = [
            c
            for c in Claim.objects.filter(village=village).exclude(decided_at=None)
            if inside(c.decided_at)
        ]
        votes = [v for v in Vote.objects.filter(village=village) if inside(v.closed_at)]
        due = {}
        book = FinanceBook.objects.filter(village=village).first()
        for fm_month in [dashboards.add_months(datetime.date(2025, 12, 1), n) for n in range(12)]:
            due_day = dashboards.add_months(fm_month, 1).replace(day=10)
            if not start <= due_day <= end:
                continue
            if book is not None and book.starts_on > fm_month:
                continue
            fm = FinanceMonth.objects.filter(
                village=village, month=fm_month, status="published"
            ).first()
            if fm is None:
                kind = "missing"
            elif local(fm.published_at) <= due_day:
                kind = "on_time"
            else:
                kind = "late"
            due[kind] = due.get(kind, 0) + 1
        return {
            "topics_raised": sum(1 for t in topics if inside(t.created_at)),
            "replied": len(replies),
            "replies": replies,
            "handled": len(handled),
            "handled_in_time": len(in_time),
            "rating_sum": sum(ratings),
            "rating_count": len(ratings),
            "handled_events": events.count("handled"),
            "reopened_events": events.count("reopened"),
            "claims_decided": len(decided),
            "claims_decided_in_time": sum(
                1 for c in decided if c.decided_at <= c.created_at + datetime.timedelta(days=7)
            ),
            "votes_closed": len(votes),
            "vote_participations": sum(v.participations.count() for v in votes),
            "vote_roll": sum(v.roll.filter(removed_at=None).count() for v in votes),
            "months_on_time": due.get("on_time", 0),
            "months_late": due.get("late", 0),
            "months_missing": due.get("missing", 0),
        }

    def _active(self, village, start, end):
        return len(
            {
                e.household_id
                for e in LedgerEntry.objects.filter(village=village)
                if start <= local(e.created_at) <= end
            }
        )

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(topics, ledger, claims, votes, finance, periods, aligned, joined)
    def test_daily_sums_equal_the_rows(
        self, topic_rows, ledger_rows, claim_rows, vote_rows, finance_rows, period, anchor, days
    ):
        self._build(topic_rows, ledger_rows, claim_rows, vote_rows, finance_rows)
        households = [h for hs in self.households for h in hs]
        for household, day in zip(households, days, strict=True):
            created = ORIGIN + datetime.timedelta(days=day, hours=3)
            Household.objects.filter(pk=household.pk).update(created_at=created)
        stats.backfill(FIRST_DAY, LAST_DAY)

        a, b = sorted(period)
        start = FIRST_DAY + datetime.timedelta(days=a)
        end = FIRST_DAY + datetime.timedelta(days=b)
        table = self._table(start, end)
        for village in self.villages:
            direct = self._direct(village, start, end)
            sums = table[village.pk]
            for name, value in direct.items():
                if name != "replies":
                    assert sums[name] == value, (name, village.pk, start, end)
            buckets = [sums[c] for c in stats.REPLY_BUCKETS]
            assert sum(buckets) == len(direct["replies"])
            if direct["replies"]:
                exact = statistics.median_low(direct["replies"])
                assert abs(stats.median_bucket(buckets) - stats.bucket_of_hours(exact)) <= 1

        # Distinct active households over a calendar month, quarter or year: exact.
        kind, offset = anchor
        day = FIRST_DAY + datetime.timedelta(days=offset)
        first, _today = dashboards.period_range(kind, day)
        last = {
            "month": dashboards.add_months(first, 1),
            "quarter": dashboards.add_months(first, 3),
            "year": first.replace(year=first.year + 1),
        }[kind] - datetime.timedelta(days=1)
        table = self._table(first, last)
        for village in self.villages:
            assert table[village.pk][f"active_new_{kind}"] == self._active(village, first, last)

        # The dashboard's share of active households: over the households the village had at
        # the end of the period, counted here from the rows.
        lines, _total = dashboards.village_lines(self.villages, kind, first, last, stats.figures())
        for village, line in zip(self.villages, lines, strict=True):
            had = Household.objects.filter(village=village)
            had = sum(1 for h in had if local(h.created_at) <= last)
            active = self._active(village, first, last)
            assert line.households == had
            assert line.value("active") == (min(1.0, active / had) if had else None)
