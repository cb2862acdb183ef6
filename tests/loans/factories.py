"""Factories of the loans app: a bank, a branch serving villages, its officers and policy."""

import datetime
from decimal import Decimal

import factory

from loans import services
from loans.models import Bank, Branch, BranchRole
from tests.factories import UserFactory

GUANGHAN_TIERS = {
    1: Decimal("50000"),
    2: Decimal("100000"),
    3: Decimal("150000"),
    4: Decimal("200000"),
    5: Decimal("300000"),
}


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bank
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试农商银行{n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        skip_postgeneration_save = True

    bank = factory.SubFactory(BankFactory)
    name = factory.Sequence(lambda n: f"支行{n}")

    @factory.post_generation
    def villages(self, create, extracted, **kwargs):
        if create and extracted:
            self.villages.set(extracted)


def officer(branch, role=BranchRole.Role.OFFICER, **user_kwargs):
    user = UserFactory(**user_kwargs)
    BranchRole.objects.create(user=user, branch=branch, role=role)
    return user


def policy(branch, actor=None, **overrides):
    """The reported terms: 5% base, 0.1 pp per 100 points pro rata, star tiers to 300,000."""
    values = {
        "effective_from": datetime.date(2020, 1, 1),
        "base_rate": Decimal("5.00"),
        "reduction_per_100": Decimal("0.10"),
        "floor_rate": Decimal("3.45"),
        "tiers": dict(GUANGHAN_TIERS),
    }
    values.update(overrides)
    return services.policy_create(actor=actor, branch=branch, **values)


def serving_branch(people):
    """The branch of the matrix's serving officer (it serves people.here)."""
    return Branch.objects.get(staff__user=people.officer_serving)


def application_for(branch, household, **overrides):
    """An application row with a frozen quote (bypassing eligibility: for pages, not rules)."""
    from loans.models import Application
    from loans.selectors import policy_in_force

    terms = policy_in_force(branch.pk) or policy(branch)
    quote = terms.quote(583)
    values = {
        "village": household.village,
        "household": household,
        "branch": branch,
        "amount": Decimal("300000.00"),
        "term_months": 12,
        "purpose": "鱼塘周转",
        "applicant": household.head.user if household.head_id else UserFactory(),
        "policy": terms,
        "policy_version": terms.version,
        "score": 583,
        "star_level": 5,
        "rate": quote.rate,
        "credit_limit": Decimal("300000.00"),
        "working": quote.working,
    }
    values.update(overrides)
    return Application.objects.create(**values)


def consent_for(branch, household):
    from loans.models import Consent

    return Consent.objects.create(
        village=household.village,
        household=household,
        branch=branch,
        granted_by=household.head.user if household.head_id else UserFactory(),
    )
