"""Reads of the loans app: policies in force, credit profiles, lookups and applications."""

import calendar
import contextlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

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
from loans.rates import RateQuote
from villageaffairs import housenumbers
from villageaffairs.bounds import DEDUCTION_MONTHS
from villageaffairs.models import Household, Resident
from villageaffairs.phones import normalize_phone

SEARCH_PAGE_SIZE = 20
_SIGN_URL = re.compile(r"/h/([A-Za-z0-9_-]{6,24})/?")


def branches_of(user) -> list[BranchRole]:
    return list(
        BranchRole.objects.filter(user=user).select_related("branch__bank").order_by("branch_id")
    )


def branches_serving(village) -> list[Branch]:
    return list(Branch.objects.filter(villages=village).select_related("bank").order_by("pk"))


def policy_in_force(branch_id: int, day: date | None = None) -> RatePolicy | None:
    """The version in force on ``day``: the latest effective date on or before it."""
    day = day or timezone.localdate()
    return (
        RatePolicy.objects.filter(branch_id=branch_id, effective_from__lte=day)
        .order_by("-effective_from", "-version")
        .prefetch_related(Prefetch("tiers", queryset=StarTier.objects.order_by("star_level")))
        .first()
    )


def policies_of(branch: Branch):
    return (
        RatePolicy.objects.filter(branch=branch)
        .select_related("created_by")
        .prefetch_related(Prefetch("tiers", queryset=StarTier.objects.order_by("star_level")))
        .order_by("-effective_from", "-version")
    )


def household_for_branch(branch: Branch, code: str) -> Household | None:
    """A household of a village the branch serves, by its sign code; None for any other."""
    return (
        Household.objects.filter(code=code, village__bank_branches=branch)
        .select_related("village", "head")
        .first()
    )


def household_for_branch_by_phone(branch: Branch, phone: str) -> Household | None:
    """The household of the resident with this phone number, in a village the branch serves."""
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return None
    return (
        Household.objects.filter(village__bank_branches=branch, residents__phone=phone)
        .select_related("village", "head")
        .order_by("pk")
        .first()
    )


def sign_code(text: str) -> str | None:
    """The household code in a scanned sign (its URL) or typed on its own."""
    text = (text or "").strip()
    found = _SIGN_URL.search(text)
    if found:
        return found.group(1)
    return None


def sign_code_in_photo(photo) -> str | None:
    """The household code of the first courtyard-sign QR code found in a photo (None if none).
    The photo is decoded in memory and not kept."""
    import zxingcpp
    from PIL import Image, ImageOps

    photo.seek(0)
    with Image.open(photo) as image:
        image = ImageOps.exif_transpose(image).convert("L")
        image.thumbnail((2000, 2000))
        for found in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
            code = sign_code(found.text)
            if code:
                return code
    return None


def search_households(branch: Branch, q: str, page=1):
    """Households of the served villages by name (head or any resident), house number, phone
    or sign code. Empty query: nothing (an officer looks up someone, not browses everyone)."""
    q = (q or "").strip()
    qs = Household.objects.filter(village__bank_branches=branch)
    if not q:
        return Paginator(qs.none(), SEARCH_PAGE_SIZE).get_page(1)
    match = Q(name__icontains=q) | housenumbers.matching(q) | Q(code=q)
    residents = Resident.objects.filter(household=OuterRef("pk"))
    by_resident = Q(name__icontains=q)
    with contextlib.suppress(ValidationError):
        by_resident |= Q(phone=normalize_phone(q))
    qs = qs.filter(match | Exists(residents.filter(by_resident)))
    qs = qs.select_related("village").order_by("village__name", "house_number")
    return Paginator(qs, SEARCH_PAGE_SIZE).get_page(page)


def consent_of(branch_id: int, household: Household) -> Consent | None:
    """The household's standing consent to the branch, with who entered it for the head when a
    grid worker or a cadre recorded a signed paper form (joined: no query more)."""
    return (
        Consent.objects.filter(
            village_id=household.village_id,
            household=household,
            branch_id=branch_id,
            revoked_at__isnull=True,
        )
        .select_related("assisted_act__actor", "assisted_act__resident")
        .first()
    )


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day ``months`` earlier (the month's last day where it is shorter). The window is
    clamped to the policy's bounds, so a stored value past them cannot reach before year 1."""
    months = max(0, min(months, DEDUCTION_MONTHS[1]))
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def recent_deduction(household: Household, policy: RatePolicy) -> bool:
    """A deduction (not reversed) in the policy's window, under its chosen rules if any."""
    if not policy.deduction_months:
        return False
    from points.models import LedgerEntry

    since = _months_before(timezone.now(), policy.deduction_months)
    entries = LedgerEntry.objects.filter(
        village_id=household.village_id,
        household=household,
        kind=LedgerEntry.Kind.DEDUCTION,
        created_at__gte=since,
    ).exclude(Exists(LedgerEntry.objects.filter(reverses=OuterRef("pk"))))
    chosen = policy.deduction_rules.through.objects.filter(ratepolicy_id=policy.pk)
    if chosen.exists():
        entries = entries.filter(rule_id__in=chosen.values("rule_id"))
    return entries.exists()


def credit_limit(policy: RatePolicy, star_level: int) -> Decimal | None:
    """The line of the highest tier at or below the household's star level."""
    limit = None
    for tier in policy.tiers.all():
        if tier.star_level <= star_level:
            limit = tier.credit_limit
    return limit


@dataclass
class CreditProfile:
    household: Household
    score: int
    rank: int | None
    households_ranked: int
    star_level: int
    policy: RatePolicy | None
    quote: RateQuote | None = None
    limit: Decimal | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.policy is not None and not self.reasons


def credit_profile(branch_id: int, household: Household) -> CreditProfile:
    """Score, rank and star level (public), and under the branch's policy in force: limit,
    rate with its working, and whether the household is eligible (and if not, why)."""
    from points.selectors import household_standing

    standing = household_standing(household)
    policy = policy_in_force(branch_id)
    profile = CreditProfile(
        household=household,
        score=standing.score,
        rank=standing.rank,
        households_ranked=standing.households_ranked,
        star_level=standing.star_level,
        policy=policy,
    )
    if policy is None:
        profile.reasons.append(_("The branch has no rate policy in force."))
        return profile
    profile.quote = policy.quote(standing.score)
    profile.limit = credit_limit(policy, standing.star_level)
    values = {"score": standing.score, "star": standing.star_level}
    if standing.score < policy.min_score:
        values["min"] = policy.min_score
        profile.reasons.append(_("A score of %(score)s is below the minimum of %(min)s.") % values)
    if standing.star_level < policy.min_star_level:
        values["min"] = policy.min_star_level
        profile.reasons.append(
            _("Star level %(star)s is below the minimum of %(min)s stars.") % values
        )
    if profile.limit is None:
        profile.reasons.append(_("Star level %(star)s opens no credit line.") % values)
    if recent_deduction(household, policy):
        profile.reasons.append(
            _("Points were deducted in the last %(months)s months.")
            % {"months": policy.deduction_months}
        )
    return profile


@dataclass
class BranchCredit:
    """What a branch sees of a household: the full profile with consent, else the public
    figures. The bank's page and the bank API both show this."""

    consent: Consent | None
    profile: CreditProfile

    @property
    def full(self) -> bool:
        return self.consent is not None


def branch_credit(branch_id: int, household: Household) -> BranchCredit:
    consent = consent_of(branch_id, household)
    if consent is None:
        return BranchCredit(None, public_profile(household))
    return BranchCredit(consent, credit_profile(branch_id, household))


def lookups_of_household(household: Household, limit: int = 50) -> list[Lookup]:
    return list(
        Lookup.objects.filter(village_id=household.village_id, household=household)
        .select_related("officer", "token", "branch__bank")
        .order_by("-created_at", "-pk")[:limit]
    )


def lookups_of_branch(branch: Branch, page=1):
    qs = (
        Lookup.objects.filter(branch=branch)
        .select_related("officer", "token", "household", "household__village")
        .order_by("-created_at", "-pk")
    )
    return Paginator(qs, 50).get_page(page)


# --- bank API tokens -----------------------------------------------------------------------


def tokens_of(branch: Branch) -> list[BankToken]:
    return list(
        BankToken.objects.filter(branch=branch)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-pk")[:200]
    )


def token_of_branch(branch: Branch, pk: int) -> BankToken | None:
    return BankToken.objects.filter(branch=branch, pk=pk).first()


def token_by_prefix(prefix: str) -> BankToken | None:
    return BankToken.objects.filter(prefix=prefix).select_related("branch__bank").first()


def branch_applications(branch: Branch, state: str = ""):
    """The branch's applications (the API pages them by cursor, newest first)."""
    qs = Application.objects.filter(branch=branch).select_related("household__village", "village")
    if state:
        qs = qs.filter(state=state)
    return qs


def applications_of_branch(branch: Branch, state: str = "", page=1):
    qs = Application.objects.filter(branch=branch).select_related("household", "village")
    if state:
        qs = qs.filter(state=state)
    return Paginator(qs.order_by("-created_at", "-pk"), 30).get_page(page)


def applications_of_household(household: Household, *, branch_id: int | None = None, limit=20):
    qs = Application.objects.filter(village_id=household.village_id, household=household)
    if branch_id is not None:
        qs = qs.filter(branch_id=branch_id)
    return list(qs.select_related("branch__bank").order_by("-created_at", "-pk")[:limit])


def application_of_branch(branch: Branch, pk: int) -> Application | None:
    return (
        Application.objects.filter(branch=branch, pk=pk)
        .select_related("household__village", "village", "policy", "applicant", "decided_by")
        .first()
    )


def application_of_household(household: Household, pk: int) -> Application | None:
    return (
        Application.objects.filter(village_id=household.village_id, household=household, pk=pk)
        .select_related("branch__bank", "applicant", "decided_by")
        .first()
    )


@dataclass
class BranchOffer:
    """What a household sees of one branch serving its village."""

    branch: Branch
    consent: Consent | None
    profile: CreditProfile


def assist_actions(village, resident) -> list[dict]:
    """What a cadre or a grid worker can do for this resident in point loans: record the
    consent a head of household signed on paper, where a branch serves the village."""
    if resident.household.head_id != resident.pk or not branches_serving(village):
        return []
    url = reverse(
        "loans_village:assist_consent",
        kwargs={"village_slug": village.slug, "resident_pk": resident.pk},
    )
    return [{"label": _("Record a signed credit consent"), "url": url}]


def household_credit(household: Household) -> list[BranchOffer]:
    """For the household itself: each serving branch, its consent and the household's quote."""
    consents = {
        c.branch_id: c
        for c in Consent.objects.filter(
            village_id=household.village_id, household=household, revoked_at__isnull=True
        ).select_related("assisted_act__actor", "assisted_act__resident")
    }
    return [
        BranchOffer(branch, consents.get(branch.pk), credit_profile(branch.pk, household))
        for branch in branches_serving(household.village)
    ]


def household_of(user, village) -> Household | None:
    if not user.is_authenticated:
        return None
    return (
        Household.objects.filter(village=village, residents__user=user)
        .select_related("head")
        .first()
    )


def village_home_context(request) -> dict:
    """The village home names the branches lending here and links members to their credit."""
    return {"loan_branches": branches_serving(request.village)}


def public_profile(household: Household) -> CreditProfile:
    """What anyone may see (the courtyard sign's figures): score, rank and star level only."""
    from points.selectors import household_standing

    standing = household_standing(household)
    return CreditProfile(
        household=household,
        score=standing.score,
        rank=standing.rank,
        households_ranked=standing.households_ranked,
        star_level=standing.star_level,
        policy=None,
    )


def my_household_context(household: Household) -> dict:
    """The loans part of a villager's home base: the household's current loan or application,
    if any (one query; a withdrawn or declined one is history, shown on the credit page)."""
    current = (
        Application.objects.filter(village_id=household.village_id, household=household)
        .exclude(state__in=[Application.State.WITHDRAWN, Application.State.DECLINED])
        .select_related("branch__bank")
        .order_by("-created_at", "-pk")
        .first()
    )
    return {"loans_current": current}
