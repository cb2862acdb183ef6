"""The claim form offers awards only, chooses nothing for the villager and shows long rules in
full; a cadre's deduction is written only once the household is confirmed by name."""

import pytest
from django.urls import reverse

from points import services
from points.models import Claim, LedgerEntry
from points.services import PointsError
from tests.factories import HouseholdFactory
from tests.points.factories import RuleFactory
from villageaffairs.models import Household

KEY = "6f1c8f52-7a8e-4a3a-9d7b-1f2e3d4c5b6a"
LONG = "积极参加村里组织的义务劳动、环境整治和志愿服务活动，" * 5  # 140 characters


@pytest.fixture
def rules(people):
    return {
        "award": RuleFactory(village=people.here, points=8, text=LONG),
        "deduction": RuleFactory(village=people.here, points=-10, text="乱倒垃圾"),
    }


def _claims_url(people):
    return reverse("points:claims", args=[people.here.slug])


def test_the_claim_form_offers_awards_only_none_chosen_long_names_whole(client, people, rules):
    client.force_login(people.villager_here)
    response = client.get(_claims_url(people))
    form = response.context["form"]
    assert list(form.fields["rule"].queryset) == [rules["award"]]
    html = response.content.decode()
    assert LONG in html  # the whole rule, not cut off
    assert "乱倒垃圾" not in html
    assert 'type="radio" name="rule"' in html and "checked" not in html
    assert "<select" not in html.split('name="rule"')[0].rsplit("<form", 1)[1]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"note": "帮邻居收稻子"}, "rule"),
        ({"rule": "", "note": "帮邻居收稻子"}, "rule"),
        ({"rule": "deduction", "note": "我自己扣分"}, "rule"),  # not offered, posted anyway
    ],
)
def test_a_refused_claim_changes_nothing_and_keeps_the_note(client, people, rules, data, field):
    client.force_login(people.villager_here)
    if data.get("rule") == "deduction":
        data = {**data, "rule": rules["deduction"].pk}
    response = client.post(_claims_url(people), {**data, "submission_key": KEY})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert html.index('id="error-summary"') < html.index("<h1>")
    assert 'href="#id_rule_error"' in html and 'id="id_rule_error"' in html
    assert data["note"] in html
    assert not Claim.objects.exists()


def test_a_chosen_award_rule_is_claimed(client, people, rules):
    client.force_login(people.villager_here)
    data = {"rule": rules["award"].pk, "note": "清理水渠", "submission_key": KEY}
    assert client.post(_claims_url(people), data).status_code == 302
    assert Claim.objects.get().points == 8


def test_the_service_refuses_to_claim_a_deduction(people, rules):
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    with pytest.raises(PointsError) as exc:
        services.claim_submit(
            actor=people.villager_here, household=household, rule=rules["deduction"]
        )
    assert exc.value.code == "deduction"
    assert not Claim.objects.exists()


# --- a cadre's deduction -------------------------------------------------------------------


@pytest.fixture
def households(people):
    return (
        HouseholdFactory(village=people.here, house_number="12", name="王建国"),
        HouseholdFactory(village=people.here, house_number="21", name="李秀英"),
    )


def _award(client, people, **data):
    client.force_login(people.cadre_here)
    url = reverse("points:award", args=[people.here.slug])
    return client.post(url, {"reason": "垃圾未入桶", "submission_key": KEY, **data})


def test_a_deduction_first_shows_the_household_and_writes_nothing(client, people, households):
    response = _award(client, people, house_number="12", points="-5")
    assert response.status_code == 400
    assert not LedgerEntry.objects.exists()
    html = response.content.decode()
    assert "王建国" in html and ">12<" in html and "-5" in html
    assert f'name="confirmed_household" value="{households[0].pk}"' in html
    assert html.index('id="error-summary"') < html.index("<h1>")
    assert 'href="#id_confirm_error"' in html and 'id="id_confirm_error"' in html
    assert "垃圾未入桶" in html  # what was typed is kept


def test_a_deduction_by_a_rule_asks_too(client, people, households):
    rule = RuleFactory(village=people.here, points=-10, text="乱倒垃圾")
    response = _award(client, people, house_number="12", rule=rule.pk)
    assert response.status_code == 400 and not LedgerEntry.objects.exists()
    assert "王建国" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"confirm": "on"},  # ticked without having seen the household
        {"confirmed_household": "HH"},  # seen, not ticked
        {"confirmed_household": "OTHER", "confirm": "on"},  # confirmed another household
    ],
)
def test_a_deduction_without_the_right_confirmation_writes_nothing(
    client, people, households, data
):
    ids = {"HH": str(households[0].pk), "OTHER": str(households[1].pk)}
    data = {k: ids.get(v, v) for k, v in data.items()}
    response = _award(client, people, house_number="12", points="-5", **data)
    assert response.status_code == 400
    assert "confirm" in response.context["form"].errors
    assert not LedgerEntry.objects.exists()


def test_a_confirmed_deduction_is_written_to_that_household(client, people, households):
    data = {"confirmed_household": households[0].pk, "confirm": "on"}
    response = _award(client, people, house_number="12", points="-5", **data)
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.household, entry.points, entry.kind) == (households[0], -5, "deduction")


def test_an_award_needs_no_confirmation(client, people, households):
    assert _award(client, people, house_number="21", points="5").status_code == 302
    assert LedgerEntry.objects.get().household == households[1]
