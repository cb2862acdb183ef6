import datetime
from decimal import Decimal

import pytest

from loans import selectors, services
from loans.models import Application, Consent, Lookup, RatePolicy
from loans.services import LoanError
from tests.loans.conftest import give_points
from tests.loans.factories import policy
from villageaffairs.models import AuditEntry
from villageaffairs.sms import LogBackend

D = Decimal


def test_credit_profile_of_the_reported_household(bank):
    profile = selectors.credit_profile(bank.branch.pk, bank.household)
    assert profile.score == 583
    assert profile.star_level == 5
    assert profile.rank == 1
    assert profile.limit == D("300000.00")
    assert profile.quote.rate == D("4.42")
    assert profile.quote.working == "5.00% − 583 × 0.10 / 100 = 4.42%"
    assert profile.eligible


def test_policy_versions_follow_the_effective_date(bank):
    later = policy(bank.branch, base_rate=D("4.80"), effective_from=datetime.date(2099, 1, 1))
    assert later.version == 2
    assert selectors.policy_in_force(bank.branch.pk) == bank.policy
    assert selectors.policy_in_force(bank.branch.pk, datetime.date(2099, 1, 2)) == later


def test_a_floor_above_the_base_is_refused_and_nothing_is_saved(bank):
    with pytest.raises(LoanError) as exc:
        policy(bank.branch, floor_rate=D("5.50"))
    assert exc.value.field == "floor_rate"
    assert RatePolicy.objects.filter(branch=bank.branch).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"base_rate": D("0")}, "base_rate"),
        ({"reduction_per_100": D("-0.1")}, "reduction_per_100"),
        ({"min_term_months": 12, "max_term_months": 6}, "max_term_months"),
        ({"tiers": {5: D("0")}}, None),
        ({"tiers": {6: D("1000")}}, None),
    ],
)
def test_other_impossible_policies_are_refused(bank, overrides, field):
    with pytest.raises(LoanError) as exc:
        policy(bank.branch, **overrides)
    assert exc.value.field == field
    assert RatePolicy.objects.filter(branch=bank.branch).count() == 1


def test_only_the_head_grants_consent_and_granting_twice_keeps_one(bank):
    from tests.factories import member

    relative = member(bank.youyi, household=bank.household)
    with pytest.raises(LoanError):
        services.consent_grant(actor=relative, household=bank.household, branch=bank.branch)
    first = services.consent_grant(actor=bank.wen, household=bank.household, branch=bank.branch)
    again = services.consent_grant(actor=bank.wen, household=bank.household, branch=bank.branch)
    assert first == again
    assert Consent.objects.filter(household=bank.household).count() == 1
    assert services.consent_revoke(actor=bank.wen, household=bank.household, branch=bank.branch)
    assert selectors.consent_of(bank.branch.pk, bank.household) is None
    assert AuditEntry.objects.filter(action__startswith="loans.consent").count() == 2


def test_consent_only_for_a_branch_serving_the_village(bank):
    with pytest.raises(LoanError):
        services.consent_grant(actor=bank.wen, household=bank.household, branch=bank.other)


def test_head_applies_and_the_quote_is_frozen(bank):
    app = services.application_submit(
        actor=bank.wen,
        branch=bank.branch,
        household=bank.household,
        amount="300000",
        term_months=12,
        purpose="鱼塘周转",
    )
    assert (app.score, app.star_level, app.policy_version) == (583, 5, 1)
    assert app.rate == D("4.42") and app.credit_limit == D("300000.00")
    # Later points and a new policy version change the quote of new applications only.
    give_points(bank.household, 100, actor=bank.cadre)
    policy(bank.branch, base_rate=D("4.00"), effective_from=datetime.date(2021, 1, 1))
    assert selectors.credit_profile(bank.branch.pk, bank.household).quote.rate == D("3.45")
    app.refresh_from_db()
    assert app.rate == D("4.42") and app.score == 583 and app.policy_version == 1


@pytest.mark.parametrize(
    ("amount", "term", "field"),
    [
        ("0", 12, "amount"),
        ("-5", 12, "amount"),
        ("abc", 12, "amount"),
        ("300000.01", 12, "amount"),
        ("1000.001", 12, "amount"),
        ("1000", 0, "term_months"),
        ("1000", 37, "term_months"),
    ],
)
def test_bad_applications_change_nothing(bank, amount, term, field):
    with pytest.raises(LoanError) as exc:
        services.application_submit(
            actor=bank.wen,
            branch=bank.branch,
            household=bank.household,
            amount=amount,
            term_months=term,
            purpose="x",
        )
    assert exc.value.field == field
    assert not Application.objects.exists()


def test_an_unserved_household_cannot_apply(bank):
    with pytest.raises(LoanError):
        services.application_submit(
            actor=bank.officer,
            branch=bank.branch,
            household=bank.outsider,
            amount="1000",
            term_months=12,
            purpose="x",
        )


def test_an_officer_enters_an_application_only_with_consent(bank):
    kwargs = {
        "actor": bank.officer,
        "branch": bank.branch,
        "household": bank.household,
        "amount": "200000",
        "term_months": 24,
        "purpose": "扩塘",
    }
    with pytest.raises(LoanError):
        services.application_submit(**kwargs)
    bank.consent()
    app = services.application_submit(**kwargs)
    assert app.applicant == bank.officer and app.acted_for == bank.wen


def test_recent_deduction_under_a_chosen_rule_makes_ineligible(bank):
    from points.models import Rule

    fights = Rule.objects.create(village=bank.youyi, category="civility", text="打架", points=-50)
    waste = Rule.objects.create(village=bank.youyi, category="ecology", text="乱扔", points=-5)
    strict = policy(bank.branch, deduction_months=12, deduction_rules=[fights])
    give_points(bank.household, -5, actor=bank.cadre, rule=waste)
    assert selectors.credit_profile(bank.branch.pk, bank.household).eligible
    give_points(bank.household, -50, actor=bank.cadre, rule=fights)
    profile = selectors.credit_profile(bank.branch.pk, bank.household)
    assert profile.policy == strict
    assert not profile.eligible
    assert "12" in " ".join(profile.reasons)


def test_minimum_score_and_star_level(bank):
    policy(bank.branch, min_score=600)
    profile = selectors.credit_profile(bank.branch.pk, bank.household)
    assert not profile.eligible and "600" in profile.reasons[0]
    with pytest.raises(LoanError):
        services.application_submit(
            actor=bank.wen,
            branch=bank.branch,
            household=bank.household,
            amount="1000",
            term_months=12,
            purpose="x",
        )


def _application(bank):
    return services.application_submit(
        actor=bank.wen,
        branch=bank.branch,
        household=bank.household,
        amount="300000",
        term_months=12,
        purpose="鱼塘周转",
    )


def test_approve_then_disburse_and_the_head_is_told_once(
    bank, eager_tasks, django_capture_on_commit_callbacks
):
    LogBackend.outbox.clear()
    app = _application(bank)
    with pytest.raises(LoanError):
        services.application_approve(actor=bank.officer, application=app, amount="300000.01")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve(actor=bank.officer, application=app)
    app.refresh_from_db()
    assert app.state == Application.State.APPROVED and app.approved_amount == D("300000")
    with pytest.raises(LoanError):  # a second click
        services.application_approve(actor=bank.officer, application=app)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_disburse(actor=bank.officer, application=app)
    assert Application.objects.get(pk=app.pk).state == Application.State.DISBURSED
    assert [m.phone for m in LogBackend.outbox] == ["+8613800000012", "+8613800000012"]
    assert [m.template for m in LogBackend.outbox] == ["loan_decision", "loan_decision"]
    assert LogBackend.outbox[0].params["amount"] == "300000"
    assert [m.params["state"] for m in LogBackend.outbox] == ["已批准", "已放款"]
    from loans.tasks import application_notify

    assert application_notify(app.pk) is False  # already told about this state
    assert len(LogBackend.outbox) == 2


def test_decline_needs_a_reason(bank):
    app = _application(bank)
    with pytest.raises(LoanError):
        services.application_decline(actor=bank.officer, application=app, reason=" ")
    services.application_decline(actor=bank.officer, application=app, reason="材料不全")
    app.refresh_from_db()
    assert app.state == Application.State.DECLINED and app.decline_reason == "材料不全"


def test_staff_of_another_branch_cannot_decide(bank):
    app = _application(bank)
    with pytest.raises(LoanError):
        services.application_approve(actor=bank.other_officer, application=app)


def test_lookup_needs_a_purpose(bank):
    with pytest.raises(LoanError):
        services.lookup_record(
            officer=bank.officer,
            branch=bank.branch,
            household=bank.household,
            purpose="curiosity",
            full_profile=False,
        )
    assert not Lookup.objects.exists()
