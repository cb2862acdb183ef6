"""The bank API: lookup, credit profile and applications with a branch's token; every call
logged like a page lookup, consent respected, and every refusal a problem that changes
nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loans import selectors, services
from loans.models import Application, BankToken, Branch, Lookup
from points.services import award_direct, rankings_recompute
from tests.factories import HouseholdFactory, ResidentFactory
from tests.loans.factories import application_for, consent_for, policy, serving_branch
from villageaffairs.models import Household

pytestmark = pytest.mark.django_db

OFFICER = "A1024"


@pytest.fixture
def branch(people):
    branch = serving_branch(people)
    policy(branch)
    return branch


@pytest.fixture
def household(people, branch):
    household = Household.objects.get(residents__user=people.villager_here)
    award_direct(actor=people.cadre_here, household=household, points=583, reason="测试积分")
    rankings_recompute(village_id=household.village_id)
    consent_for(branch, household)
    return household


def _token(branch, scopes=None):
    token, plain = services.token_create(
        actor=None, branch=branch, name="信贷系统", scopes=scopes or BankToken.Scope.values
    )
    return token, plain


@pytest.fixture
def token(branch):
    return _token(branch)


def _client(plain, officer=OFFICER):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    if officer is not None:
        headers["HTTP_X_OFFICER_ID"] = officer
    return Client(**headers)


def _credit_url(household, purpose="application"):
    url = reverse("api_bank_credit", args=[household.code])
    return f"{url}?purpose={purpose}" if purpose else url


def _problem(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["message"]["en"] and body["message"]["zh-hans"] != body["message"]["en"]
    return body


# --- the credit profile --------------------------------------------------------------------


def test_the_credit_profile_has_the_pages_figures_and_the_rate_as_a_string(
    people, branch, household, token
):
    response = _client(token[1]).get(_credit_url(household))
    assert response.status_code == 200
    body = response.json()
    page = selectors.credit_profile(branch.pk, household)
    assert (body["score"], body["star_level"], body["rank"]) == (
        page.score,
        page.star_level,
        page.rank,
    )
    assert body["score"] == 583
    assert body["rate"] == "4.42" and isinstance(body["rate"], str)
    assert Decimal(body["rate"]) == page.quote.rate
    assert body["working"]["text"] == "5.00% − 583 × 0.10 / 100 = 4.42%" == page.quote.working
    assert body["working"]["base_rate"] == "5.00"
    assert body["working"]["reduction"] == "0.58"
    assert body["working"]["raw_reduction"] == "0.583"
    assert body["credit_limit"] == (f"{page.limit:.2f}" if page.limit else None)
    assert body["eligible"] == page.eligible and body["reasons"] == page.reasons
    assert body["policy"]["version"] == page.policy.version
    assert [t["star_level"] for t in body["policy"]["tiers"]] == [1, 2, 3, 4, 5]
    assert body["household"]["code"] == household.code


def test_a_call_is_logged_like_a_page_lookup_and_the_household_sees_it(
    people, branch, household, token
):
    _client(token[1]).get(_credit_url(household, "review"))
    lookup = Lookup.objects.get()
    assert (lookup.household, lookup.branch, lookup.token, lookup.bank_officer) == (
        household,
        branch,
        token[0],
        OFFICER,
    )
    assert lookup.officer is None and lookup.full_profile and lookup.purpose == "review"
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page.force_login(people.villager_here)
    html = page.get(reverse("loans_village:credit", args=[people.here.slug])).content.decode()
    assert f"查询方：{branch.name} 信贷系统" in html
    assert OFFICER in html
    token[0].refresh_from_db()
    assert token[0].last_used_at is not None


def test_without_consent_the_credit_is_refused_like_the_page_and_nothing_is_logged(
    people, branch, token
):
    household = HouseholdFactory(village=people.here)
    body = _problem(_client(token[1]).get(_credit_url(household)), 403, "consent_missing")
    assert "consent" in body["message"]["en"]
    assert not Lookup.objects.exists()


def test_a_withdrawn_consent_is_respected_at_once(people, branch, household, token):
    services.consent_revoke(actor=people.villager_here, household=household, branch=branch)
    _problem(_client(token[1]).get(_credit_url(household)), 403, "consent_missing")
    assert not Lookup.objects.exists()


def test_another_branchs_household_is_not_found(people, branch, token):
    foreign = HouseholdFactory(village=people.elsewhere)
    other = Branch.objects.get(staff__user=people.officer_other)
    consent_for(other, foreign)
    _problem(_client(token[1]).get(_credit_url(foreign)), 404, "not_found")
    lookup = reverse("api_bank_lookup") + f"?code={foreign.code}&purpose=visit"
    _problem(_client(token[1]).get(lookup), 404, "not_found")
    assert not Lookup.objects.exists()


def test_the_credit_call_runs_a_constant_number_of_queries(
    people, branch, household, token, django_assert_num_queries
):
    client = _client(token[1])
    client.get(_credit_url(household))  # warm: last_used_at is written at most once a minute
    for _ in range(3):
        HouseholdFactory(village=people.here)
    # token, household, consent (+ its join), standing (5), policy + tiers, deduction check
    # (none: no window), the lookup row, last-used (skipped within the minute: no query)
    with django_assert_num_queries(12):
        assert client.get(_credit_url(household)).status_code == 200


# --- the lookup ----------------------------------------------------------------------------


def test_lookup_by_code_gives_public_figures_and_consent(people, branch, household, token):
    url = reverse("api_bank_lookup") + f"?code={household.code}&purpose=enquiry"
    body = _client(token[1]).get(url).json()
    assert body["household"]["code"] == household.code and body["score"] == 583
    assert body["consent"] is True and body["consent_granted_at"]
    assert "rate" not in body
    lookup = Lookup.objects.get()
    assert lookup.full_profile is False and lookup.bank_officer == OFFICER


def test_lookup_by_phone_finds_the_residents_household(people, branch, household, token):
    ResidentFactory(household=household, phone="+8613901001234")
    url = reverse("api_bank_lookup") + "?phone=13901001234&purpose=visit"
    response = _client(token[1]).get(url)
    assert response.status_code == 200, response.content
    assert response.json()["household"]["code"] == household.code


def test_lookup_without_consent_says_so(people, branch, token):
    household = HouseholdFactory(village=people.here)
    url = reverse("api_bank_lookup") + f"?code={household.code}&purpose=visit"
    assert _client(token[1]).get(url).json()["consent"] is False


def test_lookup_needs_a_code_or_a_phone(people, branch, token):
    body = _problem(
        _client(token[1]).get(reverse("api_bank_lookup") + "?purpose=visit"), 400, "query_missing"
    )
    assert "code" in body["errors"]


# --- applications --------------------------------------------------------------------------


def test_the_branchs_applications_come_in_cursor_pages(
    people, branch, household, token, django_assert_num_queries
):
    apps = [application_for(branch, household) for _ in range(3)]
    application_for(
        Branch.objects.get(staff__user=people.officer_other),
        HouseholdFactory(village=people.elsewhere),
    )
    client = _client(token[1])
    url = reverse("api_bank_applications") + "?limit=2"
    # token, the page of applications (households and villages joined); last-used: one write
    with django_assert_num_queries(3):
        first = client.get(url).json()
    assert [a["id"] for a in first["results"]] == [apps[2].pk, apps[1].pk]
    assert first["results"][0]["rate"] == "4.42" and first["results"][0]["state"] == "submitted"
    second = client.get(first["next"]).json()
    assert [a["id"] for a in second["results"]] == [apps[0].pk] and second["next"] is None
    declined = client.get(reverse("api_bank_applications") + "?state=declined").json()
    assert declined["results"] == []


def test_one_application_and_its_state(people, branch, household, token):
    app = application_for(branch, household)
    Application.objects.filter(pk=app.pk).update(state="approved")
    body = _client(token[1]).get(reverse("api_bank_application", args=[app.pk])).json()
    assert (body["id"], body["state"], body["amount"]) == (app.pk, "approved", "300000.00")
    assert not Lookup.objects.exists()  # the page does not log reading an application either


def test_a_malformed_cursor_is_a_400(people, branch, token):
    url = reverse("api_bank_applications") + "?cursor=not-a-cursor"
    body = _problem(_client(token[1]).get(url), 400, "bad_cursor")
    assert "cursor" in body["errors"]


def test_an_unknown_state_is_a_400_naming_it(people, branch, token):
    body = _problem(
        _client(token[1]).get(reverse("api_bank_applications") + "?state=x"), 400, "invalid"
    )
    assert "state" in body["errors"]


# --- errors: nothing changes ---------------------------------------------------------------


def test_a_missing_purpose_is_a_400_naming_the_field(people, branch, household, token):
    body = _problem(
        _client(token[1]).get(_credit_url(household, purpose="")), 400, "purpose_missing"
    )
    assert list(body["errors"]) == ["purpose"]
    _problem(_client(token[1]).get(_credit_url(household, "curiosity")), 400, "purpose_invalid")
    assert not Lookup.objects.exists()


@pytest.mark.parametrize("officer", [None, "  ", "x" * 65, "A1\n024"])
def test_the_officer_responsible_is_required(people, branch, household, token, officer):
    response = _client(token[1], officer=officer).get(_credit_url(household))
    assert response.status_code == 400
    assert response.json()["code"] in {"officer_missing", "officer_invalid"}
    assert "X-Officer-Id" in response.json()["errors"]
    assert not Lookup.objects.exists()


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer va_0123456789ab_" + "A" * 43,  # well formed, unknown
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
    ],
)
def test_a_bad_token_is_401_token_invalid(people, branch, household, token, authorization):
    client = Client(HTTP_AUTHORIZATION=authorization, HTTP_X_OFFICER_ID=OFFICER)
    response = client.get(_credit_url(household))
    _problem(response, 401, "token_invalid")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Lookup.objects.exists()


def test_a_token_with_a_wrong_secret_is_401(people, branch, household, token):
    plain = token[1]
    forged = plain[:-4] + ("AAAA" if not plain.endswith("AAAA") else "BBBB")
    _problem(_client(forged).get(_credit_url(household)), 401, "token_invalid")


def test_no_token_is_401(people, branch, household):
    response = Client(HTTP_X_OFFICER_ID=OFFICER).get(_credit_url(household))
    _problem(response, 401, "token_missing")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401_token_revoked(people, branch, household, token):
    services.token_revoke(actor=None, token=token[0])
    _problem(_client(token[1]).get(_credit_url(household)), 401, "token_revoked")
    assert not Lookup.objects.exists()


def test_an_expired_token_is_401_token_expired(people, branch, household, token):
    BankToken.objects.filter(pk=token[0].pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    _problem(_client(token[1]).get(_credit_url(household)), 401, "token_expired")
    token[0].refresh_from_db()
    assert token[0].last_used_at is None
    assert not Lookup.objects.exists()


def test_a_token_without_the_scope_is_403(people, branch, household):
    _tok, plain = _token(branch, scopes=["lookup"])
    _problem(_client(plain).get(_credit_url(household)), 403, "token_scope")
    _problem(_client(plain).get(reverse("api_bank_applications")), 403, "token_scope")
    assert not Lookup.objects.exists()


def test_over_the_tokens_rate_limit_is_429_with_retry_after(
    people, branch, household, token, settings
):
    settings.BANK_API_RATE_LIMIT = "2/min"
    client = _client(token[1])
    for _ in range(2):
        assert client.get(_credit_url(household)).status_code == 200
    response = client.get(_credit_url(household))
    _problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert Lookup.objects.count() == 2  # the refused call is not logged
    # Another token (another bank system) is not held back by the first one's calls.
    assert _client(_token(branch)[1]).get(_credit_url(household)).status_code == 200


def test_the_branchs_lookup_log_names_the_system_and_the_officer(people, branch, household, token):
    from loans.models import BranchRole
    from tests.loans.factories import officer

    _client(token[1]).get(_credit_url(household))
    manager = officer(branch, BranchRole.Role.MANAGER, username="manager")
    page = Client()
    page.force_login(manager)
    html = page.get(reverse("loans:lookups", kwargs={"branch_id": branch.pk})).content.decode()
    assert f"信贷系统 · {OFFICER}" in html
