"""The contract on the demo data: the bank API's credit figures are the credit page's.
Wen Peili (文培力): 583 points, rate "4.42"."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from loans import demo as loans_demo
from loans import services
from loans.models import Branch, Lookup
from points import demo as points_demo
from villageaffairs import demo as core_demo

pytestmark = pytest.mark.django_db


def test_the_api_gives_the_credit_pages_figures_for_wen_peili():
    ctx = core_demo.seed()
    points_demo.seed(ctx)
    loans_demo.seed(ctx)
    branch = Branch.objects.get(name="三水支行", bank__name="广汉农村商业银行")
    wen = ctx.households["wenpeili"]
    _token, plain = services.token_create(
        actor=None, branch=branch, name="信贷系统", scopes=["credit"], days=30
    )

    officer = Client()
    officer.force_login(branch.staff.get(user__username="sanshui_officer").user)
    page = officer.get(
        reverse("loans:profile", kwargs={"branch_id": branch.pk, "code": wen.code})
        + "?purpose=application"
    )
    assert page.status_code == 200
    figures = page.context["profile"]

    api = Client(HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_X_OFFICER_ID="GH-0071")
    response = api.get(reverse("api_bank_credit", args=[wen.code]) + "?purpose=application")
    assert response.status_code == 200, response.content
    body = response.json()

    assert body["score"] == figures.score == 583
    assert body["rate"] == "4.42"
    assert Decimal(body["rate"]) == figures.quote.rate
    assert body["working"]["text"] == figures.quote.working == "5.00% − 583 × 0.10 / 100 = 4.42%"
    assert body["working"]["notes"] == [str(n) for n in figures.quote.notes]
    assert body["rank"] == figures.rank
    assert body["households_ranked"] == figures.households_ranked
    assert body["star_level"] == figures.star_level
    assert Decimal(body["credit_limit"]) == figures.limit
    assert body["eligible"] == figures.eligible
    assert body["policy"]["version"] == figures.policy.version
    # Both looks are in the household's log: the officer's and the system's.
    api_lookup = Lookup.objects.filter(household=wen, token__isnull=False).get()
    assert api_lookup.bank_officer == "GH-0071"
    assert Lookup.objects.filter(household=wen, officer__username="sanshui_officer").exists()
