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
