from decimal import Decimal

import pytest

from tests.factories import HouseholdFactory, ResidentFactory, VillageFactory, member
from tests.loans.factories import BranchFactory, consent_for, officer, policy
from villageaffairs.models import Role


def give_points(household, points: int, actor=None, **kwargs):
    from points.services import award_direct, rankings_recompute

    entry = award_direct(
        actor=actor, household=household, points=points, reason="测试积分", **kwargs
    )
    rankings_recompute(village_id=household.village_id)
    return entry


@pytest.fixture
def bank(db):
    """Youyi, the Sanshui branch serving it with the reported policy, an officer, a manager,
    and Wen Peili's household (head with a login, 583 points)."""
    youyi = VillageFactory(name="友谊村", slug="youyi")
    xiqian = VillageFactory(name="西前村", slug="xiqian")
    branch = BranchFactory(name="三水支行", villages=[youyi])
    other = BranchFactory(bank=branch.bank, name="樊村支行", villages=[xiqian])
    cadre = member(youyi, Role.SECRETARY, username="shujun")
    wen = member(youyi, username="wenpeili", display_name="文培力", phone="+8613800000012")
    household = wen.resident.household
    household.head.phone = "+8613800000012"
    household.head.save()
    ResidentFactory(household=household, name="文家人")
    give_points(household, 583, actor=cadre)

    class Bank:
        pass

    b = Bank()
    b.youyi, b.xiqian, b.branch, b.other, b.cadre = youyi, xiqian, branch, other, cadre
    b.wen, b.household = wen, household
    b.officer = officer(branch, username="sanshui_officer", display_name="王信贷")
    b.manager = officer(branch, role="manager", username="sanshui_manager")
    b.other_officer = officer(other, username="fancun_officer")
    b.policy = policy(branch, actor=b.manager)
    b.outsider = HouseholdFactory(village=xiqian)
    b.consent = lambda: consent_for(branch, household)
    b.limit = Decimal("300000.00")
    return b
