"""The demo data: Youyi as reported, claims in every state, idempotent."""

import pytest

from points import demo as points_demo
from points.models import Claim, Item, LedgerEntry, Rule
from points.selectors import household_standing
from villageaffairs import demo as core_demo


@pytest.mark.django_db
def test_demo_matches_the_reported_household_and_is_idempotent():
    ctx = core_demo.seed()
    points_demo.seed(ctx)
    xie = household_standing(ctx.households["xieqifu"])
    assert (xie.score, xie.rank, xie.star_level) == (483, 17, 5)
    assert xie.balance < xie.score  # it has redeemed in the supermarket
    assert household_standing(ctx.households["wenpeili"]).score == 583
    assert set(Claim.objects.values_list("state", flat=True)) == set(Claim.State.values)
    texts = set(Rule.objects.filter(village=ctx.villages["youyi"]).values_list("text", flat=True))
    for rule in ("家庭成员应征入伍", "打架斗殴", "生活垃圾未入桶", "子女考取重点本科"):
        assert rule in texts
    assert Item.objects.filter(village=ctx.villages["youyi"]).count() >= 5
    counts = (LedgerEntry.objects.count(), Rule.objects.count(), Claim.objects.count())
    ctx = core_demo.seed()
    points_demo.seed(ctx)
    assert (LedgerEntry.objects.count(), Rule.objects.count(), Claim.objects.count()) == counts
    xie = household_standing(ctx.households["xieqifu"])
    assert (xie.score, xie.rank) == (483, 17)


@pytest.mark.django_db
def test_the_demo_households_earned_their_points_in_small_entries_over_a_year():
    """Wen Peili's page shows a year of village life, not one "+563" entry; the totals hold."""
    from django.utils import timezone

    ctx = core_demo.seed()
    points_demo.seed(ctx)
    today = timezone.localdate()
    for name in points_demo.DEMO_PEOPLE:
        household = ctx.households[name]
        entries = list(LedgerEntry.objects.filter(household=household, in_score=True))
        assert entries, name
        assert max(abs(e.points) for e in entries) <= 50, name
        assert any(e.points < 0 for e in entries) or name == "xieqifu", name
        days = {timezone.localtime(e.created_at).date() for e in entries}
        assert min(days) >= today.replace(day=1).replace(year=today.year - 1), name
        assert max(days) <= today, name
        months = {(d.year, d.month) for d in days}
        assert len(entries) >= 20 and len(months) >= 10, (name, len(entries), len(months))
        assert len({e.reason for e in entries}) >= 8, name  # notes, not one line repeated
        standing = household_standing(household)
        assert standing.score == sum(e.points for e in entries), name
    wen = LedgerEntry.objects.filter(household=ctx.households["wenpeili"])
    assert wen.count() >= 20 and wen.filter(rule__isnull=False).count() >= 10
    assert household_standing(ctx.households["wenpeili"]).score == 583
    xie = household_standing(ctx.households["xieqifu"])
    assert (xie.score, xie.rank, xie.star_level) == (483, 17, 5)
