"""Join requests: an account whose number is not on the register asks to be one of its residents.

A request names a resident already on the register of a household, by the household's number,
the person's name and their birth date, and that resident must have no account yet. It never
makes a resident, so a household cannot pad the roll. It waits until a cadre of the village
(``village.manage``) or the head of that household confirms it, which links the account to the
resident (the villager role comes with the link), or a cadre refuses it with a reason.

Numbers already on the register need none of this: they join at their first sign-in
(``services.user_for_phone``).

Wrong details get one answer, whatever was wrong (no such household, no such person, a date that
does not match, a person who already has an account), so that a stranger cannot read the roll
by trying names; and tries are limited per account (``ACCOUNT_RATE_LIMITS["join_request"]``).
"""

from datetime import date

from allauth.core import ratelimit
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villageaffairs import audit, selectors
from villageaffairs.models import Household, JoinRequest, Resident, Village
from villageaffairs.services import _resident_link

NOT_FOUND = _(
    "We could not find this person on the register of that household. Check the house number, "
    "the name as written in the household register, and the birth date, or ask the village "
    "committee."
)
TOO_MANY = _("Too many tries. Wait an hour and try again, or ask the village committee.")
ALREADY_WAITING = _("You already have a request waiting. Withdraw it first to ask again.")
ALREADY_DECIDED = _("This request was already decided.")
CANNOT_ASK = _("Your account is already linked to a resident or holds a role.")
TAKEN = _("This resident already has an account.")


# --- reads -----------------------------------------------------------------------------------


def may_ask_to_join(user) -> bool:
    """A signed-in account that is nobody yet: no resident, no village role, not staff, and no
    app's privileged role (a bank's)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return False
    if user.village_roles.exists() or Resident.objects.filter(user=user).exists():
        return False
    return not any(check(user) for check in selectors.privileged_account_checks)


def requests_of_user(user) -> list[JoinRequest]:
    return list(
        JoinRequest.objects.filter(user=user)
        .select_related("village", "household", "decided_by")
        .order_by("-created_at", "-pk")[:10]
    )


def latest_request_of_user(user) -> JoinRequest | None:
    return JoinRequest.objects.filter(user=user).select_related("village").order_by("-pk").first()


def pending_request_of_user(user) -> JoinRequest | None:
    return JoinRequest.objects.filter(user=user, state=JoinRequest.State.PENDING).first()


def pending_for_village(village: Village) -> list[JoinRequest]:
    """What the cadre work page lists: each waiting request with the resident it matched."""
    return list(
        JoinRequest.objects.filter(village=village, state=JoinRequest.State.PENDING)
        .select_related("user", "household", "resident")
        .order_by("created_at", "pk")
    )


def pending_for_head(user, village: Village) -> list[JoinRequest]:
    """Waiting requests for members of the household the user heads (My household)."""
    return list(
        JoinRequest.objects.filter(
            village=village,
            state=JoinRequest.State.PENDING,
            household__head__user=user,
        )
        .select_related("user", "resident")
        .order_by("created_at", "pk")
    )


def request_in_village(village: Village, pk: int) -> JoinRequest:
    """A request of the village (a decided one too: deciding again says so), or 404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        village.join_requests.select_related("user", "resident", "household"), pk=pk
    )


# --- writes ----------------------------------------------------------------------------------


def _matching_resident(household: Household, name: str, born_on: date) -> Resident | None:
    """The household's resident of this name and birth date with no account. Where the register
    has only the year of birth, the year must match (the cadre or head still confirms)."""
    name = " ".join(name.split())
    return (
        Resident.objects.select_for_update()
        .filter(household=household, name=name, user__isnull=True)
        .filter(Q(born_on=born_on) | Q(born_on__isnull=True, year_of_birth=born_on.year))
        .order_by("pk")
        .first()
    )


@transaction.atomic
def join_request_create(
    *, actor, village: Village, house_number: str, name: str, born_on: date, request=None
) -> JoinRequest:
    """``actor`` asks to be the resident of household ``house_number`` called ``name``, born
    ``born_on``. Raises ValidationError (nothing saved) when they may not ask, already have a
    request waiting, tried too often, or the details match nobody who may be claimed."""
    if not may_ask_to_join(actor):
        raise ValidationError(CANNOT_ASK, code="cannot_ask")
    if JoinRequest.objects.filter(user=actor, state=JoinRequest.State.PENDING).exists():
        raise ValidationError(ALREADY_WAITING, code="pending")
    if request is not None and not ratelimit.consume(
        request, action="join_request", key=str(actor.pk)
    ):
        raise ValidationError(TOO_MANY, code="rate_limited")
    household = selectors.household_by_house_number(village, house_number)
    resident = _matching_resident(household, name, born_on) if household else None
    if resident is None:
        raise ValidationError(NOT_FOUND, code="not_found")
    try:
        with transaction.atomic():
            join_request = JoinRequest.objects.create(
                village=village,
                user=actor,
                household=household,
                resident=resident,
                name=" ".join(name.split()),
                born_on=born_on,
            )
    except IntegrityError:  # a second tab asked at the same moment
        raise ValidationError(ALREADY_WAITING, code="pending") from None
    audit.record(
        actor=actor,
        action="join.request",
        obj=join_request,
        village=village,
        changes={"household": household.pk, "resident": resident.pk},
    )
    return join_request


def _decide(join_request: JoinRequest, *, actor, state: str, reason: str = "") -> None:
    """Move a waiting request to ``state``; only one decision wins (a conditional UPDATE)."""
    won = JoinRequest.objects.filter(pk=join_request.pk, state=JoinRequest.State.PENDING).update(
        state=state, decided_by=actor, decided_at=timezone.now(), reason=reason
    )
    if not won:
        raise ValidationError(ALREADY_DECIDED, code="decided")
    join_request.refresh_from_db()


@transaction.atomic
def join_request_confirm(*, actor, join_request: JoinRequest) -> JoinRequest:
    """Link the account to the resident it claimed: it becomes a villager of the village.
    Other requests waiting for the same resident are refused, since the person now has one."""
    if not JoinRequest.objects.filter(pk=join_request.pk, state=JoinRequest.State.PENDING).exists():
        raise ValidationError(ALREADY_DECIDED, code="decided")
    resident = Resident.objects.select_for_update().get(pk=join_request.resident_id)
    if resident.user_id is not None:
        raise ValidationError(TAKEN, code="taken")
    if Resident.objects.filter(user_id=join_request.user_id).exists():
        raise ValidationError(CANNOT_ASK, code="cannot_ask")
    _decide(join_request, actor=actor, state=JoinRequest.State.CONFIRMED)
    _resident_link(
        actor=actor, resident=resident, user=join_request.user, action="account.link_join"
    )
    # An account made for an unknown number has no name yet: it takes the register's, as one
    # made at a first sign-in does (services.user_for_phone).
    type(join_request.user).objects.filter(pk=join_request.user_id, display_name="").update(
        display_name=resident.name
    )
    audit.record(
        actor=actor,
        action="join.confirm",
        obj=join_request,
        village=join_request.village,
        changes={"resident": resident.pk, "user": join_request.user_id},
    )
    others = JoinRequest.objects.filter(resident=resident, state=JoinRequest.State.PENDING)
    for other in others:
        join_request_refuse(actor=actor, join_request=other, reason=str(TAKEN))
    return join_request


@transaction.atomic
def join_request_refuse(*, actor, join_request: JoinRequest, reason: str) -> JoinRequest:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Give the reason for refusing."), code="reason")
    _decide(join_request, actor=actor, state=JoinRequest.State.REFUSED, reason=reason[:300])
    audit.record(
        actor=actor,
        action="join.refuse",
        obj=join_request,
        village=join_request.village,
        changes={"reason": reason[:300]},
    )
    return join_request


@transaction.atomic
def join_request_withdraw(*, actor) -> JoinRequest | None:
    """The asker takes back their waiting request (to correct it, or because it was a
    mistake). Returns it, or None when nothing was waiting."""
    join_request = pending_request_of_user(actor)
    if join_request is None:
        return None
    try:
        _decide(join_request, actor=actor, state=JoinRequest.State.WITHDRAWN)
    except ValidationError:
        return None
    audit.record(
        actor=actor, action="join.withdraw", obj=join_request, village=join_request.village
    )
    return join_request
