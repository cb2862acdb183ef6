"""The demo data: the Sanshui branch, its policy, and Wen Peili's application at 4.42%."""

from decimal import Decimal

import pytest
from django.contrib.auth import authenticate

from loans import demo as loans_demo
from loans.models import Application, Bank, Branch, BranchRole, Consent, RatePolicy
from points import demo as points_demo
from villageaffairs import demo as core_demo


def _seed():
    ctx = core_demo.seed()
    points_demo.seed(ctx)
    loans_demo.seed(ctx)
    return ctx


@pytest.mark.django_db
def test_demo_has_the_reported_loan_and_is_idempotent():
    ctx = _seed()
    branch = Branch.objects.get(name="三水支行", bank__name="广汉农村商业银行")
    assert list(branch.villages.all()) == [ctx.villages["youyi"]]
    app = Application.objects.get(household=ctx.households["wenpeili"])
    assert (app.amount, app.rate, app.score) == (Decimal("300000.00"), Decimal("4.420"), 583)
    assert app.working == "5.00% − 583 × 0.10 / 100 = 4.42%"
    assert Consent.objects.filter(household=ctx.households["wenpeili"], branch=branch).exists()
    officer = authenticate(username="sanshui_officer", password=core_demo.DEMO_PASSWORD)
    assert officer is not None
    assert BranchRole.objects.filter(user=officer, branch=branch, role="officer").exists()
    counts = [m.objects.count() for m in (Bank, Branch, BranchRole, RatePolicy, Application)]
    _seed()
    assert [
        m.objects.count() for m in (Bank, Branch, BranchRole, RatePolicy, Application)
    ] == counts
