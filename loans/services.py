"""Writes of the loans app: keyword-only, one transaction each, audited."""

import hashlib
import secrets
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from loans import selectors
from loans.models import (
    Application,
    BankToken,
    Branch,
    BranchRole,
    Consent,
    Lookup,
    RatePolicy,
    StarTier,
)
from villageaffairs import assist, audit, bounds, outbox
from villageaffairs.models import Household, Resident

FEN = Decimal("0.01")


class LoanError(ValidationError):
    """Bad input or a rule of lending broken; ``field`` names the form field it belongs to."""

    def __init__(self, message, code=None, field=None):
        super().__init__(message, code=code)
        self.field = field


# --- rate policies -------------------------------------------------------------------------


def _decimal(value, name: str, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise LoanError(_("%(name)s must be a number.") % {"name": name}, "number", field) from None
    if not number.is_finite():
        raise LoanError(_("%(name)s must be a number.") % {"name": name}, "number", field)
    return number


def validate_policy(values: dict) -> None:
    """Refuse terms a bank could not mean: a floor above the base, negative rates, an empty
    or inverted term range, star tiers out of range. Raises LoanError on the first problem."""
    base = _decimal(values["base_rate"], _("The base rate"), "base_rate")
    floor = _decimal(values["floor_rate"], _("The floor rate"), "floor_rate")
    per = _decimal(values["reduction_per_100"], _("The reduction"), "reduction_per_100")
    if base <= 0 or base >= 100:
        raise LoanError(_("The base rate must be above 0% and below 100%."), "base", "base_rate")
    if floor < 0:
        raise LoanError(_("The floor rate cannot be negative."), "floor", "floor_rate")
    if floor > base:
        raise LoanError(
            _("The floor rate (%(floor)s%%) cannot be above the base rate (%(base)s%%).")
            % {"floor": floor, "base": base},
            "floor_above_base",
            "floor_rate",
        )
    if per < 0:
        raise LoanError(_("The reduction cannot be negative."), "reduction", "reduction_per_100")
    if per > bounds.RATE:
        raise LoanError(
            _("The reduction cannot be more than 100 percentage points."),
            "reduction",
            "reduction_per_100",
        )
    cap = values.get("max_reduction")
    if cap is not None:
        cap = _decimal(cap, _("The maximum reduction"), "max_reduction")
        if cap < 0:
            raise LoanError(_("The maximum reduction cannot be negative."), "cap", "max_reduction")
        if cap > bounds.RATE:
            raise LoanError(
                _("The maximum reduction cannot be more than 100 percentage points."),
                "cap",
                "max_reduction",
            )
    months = int(values.get("deduction_months") or 0)
    if not bounds.DEDUCTION_MONTHS[0] <= months <= bounds.DEDUCTION_MONTHS[1]:
        raise LoanError(
            _("The deduction window runs from 0 to %(max)s months.")
            % {"max": bounds.DEDUCTION_MONTHS[1]},
            "deduction_months",
            "deduction_months",
        )
    if not 0 <= int(values.get("min_star_level") or 0) <= bounds.STAR_LEVELS:
        raise LoanError(_("Star levels run from 0 to 5."), "min_star", "min_star_level")
    if abs(int(values.get("min_score") or 0)) > bounds.SCORE:
        raise LoanError(
            _("The minimum score must lie between -%(max)s and %(max)s.") % {"max": bounds.SCORE},
            "min_score",
            "min_score",
        )
    low, high = int(values.get("min_term_months", 1)), int(values.get("max_term_months", 36))
    if low < 1 or high < low or high > bounds.TERM_MONTHS[1]:
        raise LoanError(
            _("The term range must run from at least 1 month up to at most 360 months."),
            "term_range",
            "max_term_months",
        )
    for star, limit in (values.get("tiers") or {}).items():
        if not 0 <= int(star) <= 5:
            raise LoanError(_("Star levels run from 0 to 5."), "tier_star", None)
        limit = _decimal(limit, _("A credit limit"), None)
        if limit <= 0:
            raise LoanError(_("A credit limit must be above zero."), "tier_limit", None)
        if limit > bounds.LOAN_AMOUNT:
            raise LoanError(
                _("A credit limit can be at most %(max)s yuan.") % {"max": bounds.LOAN_AMOUNT},
                "tier_limit",
                None,
            )


@transaction.atomic
def policy_create(
    *,
    actor,
    branch: Branch,
    effective_from: date,
    base_rate,
    reduction_per_100,
    floor_rate,
    tiers: dict[int, Decimal],
    reduction_mode: str = RatePolicy.Mode.PRO_RATA,
    max_reduction=None,
    rounding_step=Decimal("0.01"),
    rounding_mode: str = RatePolicy.Rounding.HALF_UP,
    min_score: int = 0,
    min_star_level: int = 0,
    deduction_months: int = 0,
    deduction_rules=(),
    min_term_months: int = 1,
    max_term_months: int = 36,
    note: str = "",
) -> RatePolicy:
    """A new version of the branch's terms. Earlier versions stay as they were."""
    values = {
        "base_rate": base_rate,
        "floor_rate": floor_rate,
        "reduction_per_100": reduction_per_100,
        "max_reduction": max_reduction,
        "min_term_months": min_term_months,
        "max_term_months": max_term_months,
        "deduction_months": deduction_months,
        "min_star_level": min_star_level,
        "min_score": min_score,
        "tiers": tiers,
    }
    validate_policy(values)
    Branch.objects.select_for_update().filter(pk=branch.pk).first()  # versions in order
    latest = RatePolicy.objects.filter(branch=branch).aggregate(v=Max("version"))["v"] or 0
    policy = RatePolicy.objects.create(
        branch=branch,
        version=latest + 1,
        effective_from=effective_from,
        base_rate=Decimal(str(base_rate)),
        reduction_per_100=Decimal(str(reduction_per_100)),
        reduction_mode=reduction_mode,
        max_reduction=None if max_reduction is None else Decimal(str(max_reduction)),
        rounding_step=Decimal(str(rounding_step)),
        rounding_mode=rounding_mode,
        floor_rate=Decimal(str(floor_rate)),
        min_score=min_score,
        min_star_level=min_star_level,
        deduction_months=deduction_months,
        min_term_months=min_term_months,
        max_term_months=max_term_months,
        note=note,
        created_by=actor,
    )
    if deduction_rules:
        policy.deduction_rules.set(deduction_rules)
    StarTier.objects.bulk_create(
        StarTier(policy=policy, star_level=int(s), credit_limit=Decimal(str(limit)))
        for s, limit in sorted(tiers.items())
    )
    audit.record(
        actor=actor,
        action="loans.policy.create",
        obj=policy,
        changes={k: v for k, v in values.items() if k != "tiers"}
        | {"version": policy.version, "effective_from": effective_from},
    )
    return policy


# --- consent -------------------------------------------------------------------------------


def _head_check(actor, household: Household) -> None:
    if household.head_id is None or household.head.user_id != actor.pk:
        raise LoanError(_("Only the head of the household can do this."), "not_head")


def _serves(branch: Branch, household: Household) -> None:
    if not branch.villages.filter(pk=household.village_id).exists():
        raise LoanError(_("This branch does not serve your village."), "not_served")


@transaction.atomic
def consent_grant(*, actor, household: Household, branch: Branch) -> Consent:
    """The head lets the branch see the full credit profile. Granting twice keeps one."""
    _head_check(actor, household)
    _serves(branch, household)
    Household.objects.select_for_update().filter(pk=household.pk).first()
    existing = selectors.consent_of(branch.pk, household)
    if existing is not None:
        return existing
    consent = Consent.objects.create(
        village_id=household.village_id, household=household, branch=branch, granted_by=actor
    )
    audit.record(
        actor=actor,
        action="loans.consent.grant",
        obj=consent,
        village=household.village,
        changes={"branch": branch.pk},
    )
    return consent


@transaction.atomic
def consent_grant_assisted(*, actor, resident: Resident, branch: Branch, signature=None) -> Consent:
    """A cadre or a grid worker records the consent the head of household signed on paper,
    with a photo of the signed form. Only the head consents for the household."""
    household = resident.household
    assist.check(actor=actor, village=household.village, resident_obj=resident)
    if household.head_id != resident.pk:
        raise LoanError(_("Only the head of the household can give consent."), "not_head")
    if signature is None:
        raise LoanError(_("Add a photo of the signed consent form."), "no_paper", field="signature")
    _serves(branch, household)
    Household.objects.select_for_update().filter(pk=household.pk).first()
    if selectors.consent_of(branch.pk, household) is not None:
        raise LoanError(_("This branch already has the household's consent."), "duplicate")
    act = assist.act_record(
        actor=actor,
        village=household.village,
        resident_obj=resident,
        kind="loans.consent",
        summary=_("Let %(branch)s see the household's full credit") % {"branch": branch},
        signature=signature,
    )
    consent = Consent.objects.create(
        village_id=household.village_id,
        household=household,
        branch=branch,
        granted_by=actor,
        for_resident=resident,
        assisted_act=act,
    )
    audit.record(
        actor=actor,
        action="loans.consent.grant",
        obj=consent,
        village=household.village,
        acted_for=resident.user if resident.user_id else None,
        changes={"branch": branch.pk, "for_resident": resident.pk},
    )
    return consent


def consent_disputed(act, actor) -> None:
    """A disputed consent ends: the branch no longer sees the household's full credit."""
    consent = Consent.objects.filter(assisted_act=act, revoked_at__isnull=True).first()
    if consent is None:
        return
    ended = Consent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if ended:
        audit.record(
            actor=actor,
            action="loans.consent.revoke",
            obj=consent.household,
            changes={"branch": consent.branch_id, "disputed": act.pk},
        )


@transaction.atomic
def consent_revoke(*, actor, household: Household, branch: Branch) -> int:
    """The head withdraws the consent; returns how many active consents ended (0 or 1)."""
    _head_check(actor, household)
    ended = Consent.objects.filter(
        village_id=household.village_id,
        household=household,
        branch=branch,
        revoked_at__isnull=True,
    ).update(revoked_at=timezone.now(), revoked_by=actor)
    if ended:
        audit.record(
            actor=actor,
            action="loans.consent.revoke",
            obj=household,
            changes={"branch": branch.pk},
        )
    return ended


# --- lookups -------------------------------------------------------------------------------


def lookup_record(
    *,
    officer=None,
    branch: Branch,
    household: Household,
    purpose: str,
    full_profile: bool,
    token: BankToken | None = None,
    bank_officer: str = "",
) -> Lookup:
    """Log one look at a household's credit. Callers have checked the branch serves it.

    A page names the signed-in ``officer``; a bank API call names its ``token`` (the branch's
    system) and ``bank_officer``, the bank's own id of the officer responsible."""
    if purpose not in Lookup.Purpose.values:
        raise LoanError(_("Choose the purpose of this lookup."), "purpose", "purpose")
    if officer is None and (token is None or not bank_officer):
        raise LoanError(_("Name the bank officer responsible."), "officer", "officer_id")
    return Lookup.objects.create(
        village_id=household.village_id,
        household=household,
        branch=branch,
        officer=officer,
        token=token,
        bank_officer=bank_officer,
        purpose=purpose,
        full_profile=full_profile,
    )


# --- bank API tokens -----------------------------------------------------------------------

TOKEN_DAYS = (1, 730)  # a token lives from a day to two years


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, actor, branch: Branch, name: str, scopes, days: int = 365
) -> tuple[BankToken, str]:
    """A new token for one of the branch's systems. Returns the row and the token itself,
    which is shown once and never stored (only its digest is)."""
    name = (name or "").strip()
    if not name or len(name) > BankToken._meta.get_field("name").max_length:
        raise LoanError(_("Name the system, in at most 60 characters."), "name", "name")
    scopes = sorted(set(scopes or ()))
    if not scopes or not set(scopes) <= set(BankToken.Scope.values):
        raise LoanError(_("Choose what the token may do."), "scopes", "scopes")
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not TOKEN_DAYS[0] <= days <= TOKEN_DAYS[1]:
        raise LoanError(
            _("A token lasts from %(min)s to %(max)s days.")
            % {"min": TOKEN_DAYS[0], "max": TOKEN_DAYS[1]},
            "days",
            "days",
        )
    prefix = secrets.token_hex(6)
    plain = f"va_{prefix}_{secrets.token_urlsafe(32)}"
    token = BankToken.objects.create(
        branch=branch,
        name=name,
        prefix=prefix,
        digest=token_digest(plain),
        scopes=" ".join(scopes),
        expires_at=timezone.now() + timedelta(days=days),
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="loans.token.create",
        obj=token,
        changes={"branch": branch.pk, "name": name, "scopes": token.scopes, "days": days},
    )
    return token, plain


@transaction.atomic
def token_revoke(*, actor, token: BankToken) -> bool:
    """Revoke a token at once; revoking twice changes nothing (returns False)."""
    ended = BankToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if ended:
        token.refresh_from_db(fields=["revoked_at", "revoked_by"])
        audit.record(
            actor=actor, action="loans.token.revoke", obj=token, changes={"branch": token.branch_id}
        )
    return bool(ended)


def token_used(*, token: BankToken) -> None:
    """Note when a token was last used: at most one write a minute per token."""
    now = timezone.now()
    BankToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(minutes=1))
    ).update(last_used_at=now)


# --- applications --------------------------------------------------------------------------


def _is_staff(actor, branch: Branch) -> bool:
    return BranchRole.objects.filter(user=actor, branch=branch).exists()


def _amount(value) -> Decimal:
    amount = _decimal(value, _("The amount"), "amount")
    if amount <= 0:
        raise LoanError(_("The amount must be more than zero."), "amount_not_positive", "amount")
    if amount != amount.quantize(FEN):
        raise LoanError(_("The amount can have at most two decimals (fen)."), "fen", "amount")
    if amount > bounds.LOAN_AMOUNT:
        raise LoanError(
            _("A loan can be at most %(max)s yuan.") % {"max": bounds.LOAN_AMOUNT},
            "amount_too_large",
            "amount",
        )
    return amount.quantize(FEN)


@transaction.atomic
def application_submit(
    *,
    actor,
    branch: Branch,
    household: Household,
    amount,
    term_months,
    purpose: str,
) -> Application:
    """The head applies, or an officer of the branch enters an application for the household
    (only with the household's consent). The quote is frozen into the application."""
    _serves(branch, household)
    acted_for = None
    if _is_staff(actor, branch):
        if selectors.consent_of(branch.pk, household) is None:
            raise LoanError(
                _("The household has not given this branch consent to see its credit."),
                "no_consent",
            )
        acted_for = household.head.user if household.head_id and household.head.user_id else None
    else:
        _head_check(actor, household)
    amount = _amount(amount)
    try:
        term = int(term_months)
    except (TypeError, ValueError):
        raise LoanError(
            _("The term must be a whole number of months."), "term", "term_months"
        ) from None
    purpose = (purpose or "").strip()
    if not purpose:
        raise LoanError(_("Say what the loan is for."), "purpose", "purpose")
    Household.objects.select_for_update().filter(pk=household.pk).first()
    profile = selectors.credit_profile(branch.pk, household)
    if not profile.eligible:
        raise LoanError(" ".join(profile.reasons), "not_eligible")
    policy = profile.policy
    if not policy.min_term_months <= term <= policy.max_term_months:
        raise LoanError(
            _("The term must be from %(min)s to %(max)s months.")
            % {"min": policy.min_term_months, "max": policy.max_term_months},
            "term_range",
            "term_months",
        )
    if amount > profile.limit:
        raise LoanError(
            _("The amount is above the credit limit of %(limit)s yuan.") % {"limit": profile.limit},
            "over_limit",
            "amount",
        )
    application = Application.objects.create(
        village_id=household.village_id,
        household=household,
        branch=branch,
        amount=amount,
        term_months=term,
        purpose=purpose[:300],
        applicant=actor,
        acted_for=acted_for,
        policy=policy,
        policy_version=policy.version,
        score=profile.score,
        star_level=profile.star_level,
        rank=profile.rank,
        rate=profile.quote.rate,
        credit_limit=profile.limit,
        working=profile.quote.working[:200],
    )
    audit.record(
        actor=actor,
        action="loans.application.submit",
        obj=application,
        acted_for=acted_for,
        changes={
            "amount": amount,
            "term_months": term,
            "rate": profile.quote.rate,
            "policy_version": policy.version,
            "score": profile.score,
        },
    )
    return application


def _notify(application: Application) -> None:
    """Text the household the decision after the commit (an outbox row: one per state)."""
    outbox.enqueue(
        "loans.tasks.application_notify",
        args=[application.pk],
        key=f"loans.notify:{application.pk}:{application.state}",
    )


def _transition(application, *, actor, frm: str, to: str, audit_changes: dict, **fields):
    """Move an application from ``frm`` to ``to`` with a conditional UPDATE: of two officers
    clicking at once, exactly one wins; the other gets a clear error."""
    if not _is_staff(actor, application.branch):
        raise LoanError(_("Only staff of the branch can decide applications."), "not_staff")
    won = Application.objects.filter(pk=application.pk, state=frm).update(state=to, **fields)
    if not won:
        raise LoanError(
            _("This application is no longer %(state)s.") % {"state": Application.State(frm).label},
            "state",
        )
    application.refresh_from_db()
    audit.record(
        actor=actor,
        action=f"loans.application.{to}",
        obj=application,
        changes={"state": (frm, to)} | audit_changes,
    )
    _notify(application)
    return application


@transaction.atomic
def application_approve(*, actor, application: Application, amount=None) -> Application:
    """Approve the amount asked for, or less; never above the frozen credit limit."""
    approved = application.amount if amount in (None, "") else _amount(amount)
    if approved > application.credit_limit:
        raise LoanError(
            _("The amount is above the credit limit of %(limit)s yuan.")
            % {"limit": application.credit_limit},
            "over_limit",
            "amount",
        )
    return _transition(
        application,
        actor=actor,
        frm=Application.State.SUBMITTED,
        to=Application.State.APPROVED,
        audit_changes={"approved_amount": approved},
        approved_amount=approved,
        decided_by=actor,
        decided_at=timezone.now(),
    )


@transaction.atomic
def application_decline(*, actor, application: Application, reason: str) -> Application:
    reason = (reason or "").strip()
    if not reason:
        raise LoanError(_("Give the household a reason for declining."), "reason", "reason")
    return _transition(
        application,
        actor=actor,
        frm=Application.State.SUBMITTED,
        to=Application.State.DECLINED,
        audit_changes={"reason": reason},
        decline_reason=reason[:300],
        decided_by=actor,
        decided_at=timezone.now(),
    )


@transaction.atomic
def application_disburse(*, actor, application: Application) -> Application:
    return _transition(
        application,
        actor=actor,
        frm=Application.State.APPROVED,
        to=Application.State.DISBURSED,
        audit_changes={},
        disbursed_by=actor,
        disbursed_at=timezone.now(),
    )


@transaction.atomic
def application_withdraw(*, actor, application: Application) -> Application:
    """The household head takes back an application the bank has not decided yet."""
    _head_check(actor, application.household)
    won = Application.objects.filter(pk=application.pk, state=Application.State.SUBMITTED).update(
        state=Application.State.WITHDRAWN, withdrawn_at=timezone.now()
    )
    if not won:
        raise LoanError(
            _("Only an application the bank has not decided yet can be withdrawn."), "state"
        )
    application.refresh_from_db()
    audit.record(
        actor=actor,
        action="loans.application.withdrawn",
        obj=application,
        changes={"state": (Application.State.SUBMITTED, Application.State.WITHDRAWN)},
    )
    return application
