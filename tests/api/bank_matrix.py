"""The bank API in the API matrix: each endpoint × anonymous, a villager's session, and the
tokens (serving branch, another branch, revoked, expired)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from loans import services
from loans.models import BankToken, Branch
from tests.api.matrix import API_ROLES, ApiCase
from tests.factories import HouseholdFactory
from tests.loans.factories import application_for, consent_for, policy, serving_branch

# Only the serving branch's valid token gets in; other callers are refused before anything is
# looked up (401), and another branch's token does not find the household (404).
TOKEN_ONLY = dict.fromkeys(API_ROLES, 401) | {"token_serving": 200, "token_other_branch": 404}


def token_for(people, role: str) -> str:
    """A token of the role's kind: the serving branch's, another's, revoked or expired."""
    if role == "token_other_branch":
        branch = Branch.objects.get(staff__user=people.officer_other)
    else:
        branch = serving_branch(people)
    token, plain = services.token_create(
        actor=None, branch=branch, name="信贷系统", scopes=BankToken.Scope.values, days=30
    )
    if role == "token_revoked":
        services.token_revoke(actor=None, token=token)
    elif role == "token_expired":
        BankToken.objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    return plain


def _consenting(p):
    branch = serving_branch(p)
    policy(branch)
    household = HouseholdFactory(village=p.here)
    consent_for(branch, household)
    return household


def _application(p):
    household = _consenting(p)
    return application_for(serving_branch(p), household)


CASES = [
    ApiCase(
        "api_bank_lookup",
        lambda p: reverse("api_bank_lookup") + f"?code={_consenting(p).code}&purpose=visit",
        TOKEN_ONLY,
    ),
    ApiCase(
        "api_bank_credit",
        lambda p: reverse("api_bank_credit", args=[_consenting(p).code]) + "?purpose=application",
        TOKEN_ONLY,
    ),
    # Another branch lists its own applications (none here): 200, and none of these.
    ApiCase(
        "api_bank_applications",
        lambda p: (_application(p), reverse("api_bank_applications"))[1],
        TOKEN_ONLY | {"token_other_branch": 200},
    ),
    ApiCase(
        "api_bank_application",
        lambda p: reverse("api_bank_application", args=[_application(p).pk]),
        TOKEN_ONLY,
    ),
]
