"""Bank API tokens: made and revoked by the branch manager (page and command), shown once,
stored hashed, with scopes and an expiry; every change audited."""

import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from loans import services
from loans.models import BankToken, BranchRole
from tests.loans.factories import BranchFactory, officer, serving_branch
from villageaffairs.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"va_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


def _create(branch, **kwargs):
    values = {"actor": None, "branch": branch, "name": "信贷系统", "scopes": ["lookup"]}
    return services.token_create(**(values | kwargs))


def test_a_token_is_stored_only_as_its_digest(people):
    branch = serving_branch(people)
    token, plain = _create(branch, actor=people.officer_serving, days=30)
    assert TOKEN.fullmatch(plain)
    token.refresh_from_db()
    assert token.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert plain.split("_")[1] == token.prefix
    stored = [str(v) for v in BankToken.objects.values_list(flat=False).get(pk=token.pk)]
    secret = plain.split("_", 2)[2]  # the secret itself may contain "_"
    assert not any(plain in v or secret in v for v in stored)
    assert token.scope_list == ["lookup"] and token.is_active
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    entry = AuditEntry.objects.get(action="loans.token.create")
    assert entry.object_id == str(token.pk) and entry.actor == people.officer_serving
    assert plain not in str(entry.changes)


@pytest.mark.parametrize(
    "kwargs",
    [{"name": " "}, {"name": "x" * 61}, {"scopes": []}, {"scopes": ["all"]}, {"days": 0}],
)
def test_a_bad_token_request_is_refused_and_makes_nothing(people, kwargs):
    with pytest.raises(services.LoanError):
        _create(serving_branch(people), **kwargs)
    assert not BankToken.objects.exists() and not AuditEntry.objects.exists()


def test_revoking_ends_a_token_once_and_is_audited(people):
    token, _plain = _create(serving_branch(people))
    assert services.token_revoke(actor=people.officer_serving, token=token)
    assert not services.token_revoke(actor=people.officer_serving, token=token)
    token.refresh_from_db()
    assert token.revoked_at and token.revoked_by == people.officer_serving
    assert not token.is_active
    assert AuditEntry.objects.filter(action="loans.token.revoke").count() == 1


def test_an_expired_token_is_not_active(people):
    token, _plain = _create(serving_branch(people), days=1)
    BankToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    token.refresh_from_db()
    assert not token.is_active


# --- the command ---------------------------------------------------------------------------


def test_the_command_creates_prints_once_lists_and_revokes(people):
    branch = serving_branch(people)
    out, err = StringIO(), StringIO()
    call_command(
        "bank_token",
        "create",
        f"{branch.bank.name} {branch.name}",
        "--name",
        "信贷系统",
        "--scopes",
        "lookup",
        "credit",
        "--days",
        "90",
        stdout=out,
        stderr=err,
    )
    plain = out.getvalue().strip()
    assert TOKEN.fullmatch(plain)
    token = BankToken.objects.get()
    assert (token.branch, token.name, token.scope_list) == (
        branch,
        "信贷系统",
        ["credit", "lookup"],
    )
    assert token.digest == hashlib.sha256(plain.encode()).hexdigest()
    listing = StringIO()
    call_command("bank_token", "list", str(branch.pk), stdout=listing)
    assert token.prefix in listing.getvalue() and plain not in listing.getvalue()
    assert "never used" in listing.getvalue()
    call_command("bank_token", "revoke", token.prefix, stdout=StringIO())
    token.refresh_from_db()
    assert token.revoked_at is not None
    listing = StringIO()
    call_command("bank_token", "list", str(branch.pk), stdout=listing)
    assert "revoked" in listing.getvalue()
    assert AuditEntry.objects.filter(action__startswith="loans.token.").count() == 2


def test_the_command_refuses_an_unknown_branch_or_token(people):
    with pytest.raises(CommandError):
        call_command("bank_token", "create", "没有这个支行", "--name", "x", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("bank_token", "revoke", "0123456789ab", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command(
            "bank_token", "create", str(serving_branch(people).pk), "--name", "x", "--days", "0"
        )
    assert not BankToken.objects.exists()


# --- the manager's page --------------------------------------------------------------------


@pytest.fixture
def manager(people):
    return officer(serving_branch(people), BranchRole.Role.MANAGER, username="manager")


def _tokens_url(branch):
    return reverse("loans:tokens", kwargs={"branch_id": branch.pk})


def test_the_manager_creates_a_token_and_sees_it_only_once(client, people, manager):
    branch = serving_branch(people)
    client.force_login(manager)
    response = client.post(
        _tokens_url(branch), {"name": "信贷系统", "scopes": ["lookup", "credit"], "days": "365"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    plain = TOKEN.search(response.content.decode()).group(0)
    token = BankToken.objects.get()
    assert token.created_by == manager and token.scope_list == ["credit", "lookup"]
    assert token.digest == hashlib.sha256(plain.encode()).hexdigest()
    again = client.get(_tokens_url(branch)).content.decode()
    assert token.prefix in again and plain not in again and not TOKEN.search(again)


def test_the_manager_revokes_after_confirming(client, people, manager):
    branch = serving_branch(people)
    token, _plain = _create(branch)
    client.force_login(manager)
    url = reverse("loans:token_revoke", kwargs={"branch_id": branch.pk, "pk": token.pk})
    confirm = client.get(url)
    assert confirm.status_code == 200 and b'<form method="post"' in confirm.content
    token.refresh_from_db()
    assert token.revoked_at is None  # asking is not revoking
    assert client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == manager


def test_a_bad_form_makes_no_token(client, people, manager):
    client.force_login(manager)
    response = client.post(_tokens_url(serving_branch(people)), {"name": "", "days": "9999"})
    assert response.status_code == 400
    assert not BankToken.objects.exists()


def test_an_officer_or_another_branchs_manager_cannot(client, people):
    branch = serving_branch(people)
    token, _plain = _create(branch)
    other_manager = officer(BranchFactory(name="别的支行"), BranchRole.Role.MANAGER)
    revoke = reverse("loans:token_revoke", kwargs={"branch_id": branch.pk, "pk": token.pk})
    for user in (people.officer_serving, other_manager):
        client.force_login(user)
        assert client.get(_tokens_url(branch)).status_code == 404
        data = {"name": "x", "scopes": ["lookup"], "days": 9}
        assert client.post(_tokens_url(branch), data).status_code == 404
        assert client.post(revoke).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert BankToken.objects.count() == 1


def test_another_branchs_token_is_not_found_on_my_page(client, people, manager):
    other, _plain = _create(BranchFactory(name="别的支行"))
    client.force_login(manager)
    url = reverse(
        "loans:token_revoke", kwargs={"branch_id": serving_branch(people).pk, "pk": other.pk}
    )
    assert client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
