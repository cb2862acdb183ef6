"""Region officials and cadre invitations.

A township or county official (``RegionOfficial``) sees the cadre pages of the villages under
their region read-only (``village.oversee``, see villageaffairs.tenancy) and invites the
villages' cadres (``village.invite``). An operator may invite for any village.

An invitation names a mobile number and a role. When that number signs in by SMS code
(``accounts.AccountAdapter.set_phone_verified``), every open invitation of the number is
accepted: the account gets the role (``services.role_assign``) and lands on the village's cadre
work page (villageaffairs.landing). Expired and revoked invitations do nothing.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from villageaffairs import audit, outbox, services
from villageaffairs.accounts import PhoneField
from villageaffairs.models import (
    INVITABLE_ROLES,
    CadreInvitation,
    RegionOfficial,
    Role,
    RoleAssignment,
    Village,
)
from villageaffairs.regions import is_official_over, official_region_ids
from villageaffairs.sms import Template, send_sms

INVITATION_DAYS = 14

OUTSIDE = _("You may invite cadres only for the villages under your region.")
ALREADY_OPEN = _("This number already has an open invitation to this village.")
ALREADY_HOLDS = _("This number already holds this role in the village.")
NOT_OPEN = _("This invitation was already accepted or revoked.")


# --- reads -----------------------------------------------------------------------------------


def is_official(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.region_roles.exists()


def official_posts(user) -> list[RegionOfficial]:
    """The regions the user is an official of, with their titles."""
    return list(
        RegionOfficial.objects.filter(user=user)
        .select_related("region", "region__parent")
        .order_by("region__name", "pk")
    )


def villages_overseen(user, q: str = ""):
    """Villages under the user's regions, by town and name (a queryset, for paging)."""
    qs = Village.objects.filter(region_id__in=official_region_ids(user), is_active=True)
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(name_en__icontains=q)
    return qs.select_related("region").order_by("region__name", "name", "pk")


def invitations_of_village(village: Village):
    return CadreInvitation.objects.filter(village=village).select_related(
        "invited_by", "accepted_by", "revoked_by"
    )


def may_invite(user, village: Village) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_operator or is_official_over(user, village)


# --- forms -----------------------------------------------------------------------------------


class InvitationForm(forms.Form):
    phone = PhoneField()
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(value, label) for value, label in Role.choices if value in INVITABLE_ROLES],
    )


# --- writes ----------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, actor, village: Village, phone: str, role: str) -> CadreInvitation:
    """Invite ``phone`` (already normalised, E.164) to ``role`` in ``village``. Raises
    ValidationError, and saves nothing, on any problem."""
    if not may_invite(actor, village):
        raise ValidationError(OUTSIDE, code="outside")
    if role not in INVITABLE_ROLES:
        raise ValidationError(_("Choose a cadre role."), code="role")
    if RoleAssignment.objects.filter(village=village, role=role, user__phone=phone).exists():
        raise ValidationError(ALREADY_HOLDS, code="holds")
    now = timezone.now()
    open_ones = CadreInvitation.objects.select_for_update().filter(
        village=village, phone=phone, accepted_at__isnull=True, revoked_at__isnull=True
    )
    for lapsed in open_ones:
        if lapsed.expires_at > now:
            raise ValidationError(ALREADY_OPEN, code="duplicate")
        # An expired invitation gives way to the new one (one open invitation per number).
        lapsed.revoked_at, lapsed.revoked_by = now, actor
        lapsed.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(actor=actor, action="invitation.lapse", obj=lapsed)
    try:
        with transaction.atomic():
            invitation = CadreInvitation.objects.create(
                village=village,
                phone=phone,
                role=role,
                invited_by=actor,
                expires_at=now + timedelta(days=INVITATION_DAYS),
            )
    except IntegrityError:  # the same invitation sent twice at once
        raise ValidationError(ALREADY_OPEN, code="duplicate") from None
    audit.record(
        actor=actor,
        action="invitation.create",
        obj=invitation,
        changes={"phone": phone, "role": role},
    )
    # The text goes out after the commit, or from the outbox sweep if the broker is down.
    outbox.enqueue(
        "villageaffairs.tasks.invitation_sms",
        args=[invitation.pk],
        key=f"invitation.sms:{invitation.pk}",
    )
    return invitation


def sign_in_host() -> str:
    """The host the invited cadre signs in at (the site's public address, without https://)."""
    return urlsplit(settings.SITE_URL or "").netloc or "127.0.0.1:8000"


def invitation_sms(*, invitation_id: int) -> bool:
    """Text the invited number: the village, the role and where to sign in. Once per
    invitation (a retried run sends nothing more), and nothing once it is accepted, revoked
    or expired. A provider's refusal raises SmsError, and the outbox tries again later."""
    invitation = CadreInvitation.objects.filter(pk=invitation_id).select_related("village").first()
    if invitation is None or invitation.sms_sent_at is not None:
        return False
    if invitation.state() != "open":
        return False
    # Approved templates take short parameters in the villagers' language, whatever the
    # official's (as the loan decision's state).
    with translation.override("zh-hans"):
        role = str(invitation.get_role_display())
    send_sms(
        invitation.phone,
        Template.CADRE_INVITATION,
        {"village": invitation.village.name, "role": role, "site": sign_in_host()},
    )
    CadreInvitation.objects.filter(pk=invitation.pk).update(sms_sent_at=timezone.now())
    return True


@transaction.atomic
def invitation_revoke(*, actor, invitation: CadreInvitation) -> None:
    if not may_invite(actor, invitation.village):
        raise ValidationError(OUTSIDE, code="outside")
    now = timezone.now()
    done = CadreInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_by=actor)
    if not done:
        raise ValidationError(NOT_OPEN, code="not_open")
    invitation.revoked_at, invitation.revoked_by = now, actor
    audit.record(actor=actor, action="invitation.revoke", obj=invitation)


@transaction.atomic
def invitations_accept(*, user, phone: str) -> list[CadreInvitation]:
    """``user`` proved by SMS code that ``phone`` is theirs: its open invitations give their
    roles. Safe to run again and at once (a conditional UPDATE claims each invitation)."""
    now = timezone.now()
    accepted = []
    waiting = CadreInvitation.objects.filter(
        phone=phone,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
        village__is_active=True,
    ).select_related("village", "invited_by")
    for invitation in waiting:
        claimed = CadreInvitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(accepted_at=now, accepted_by=user)
        if not claimed:
            continue
        invitation.accepted_at, invitation.accepted_by = now, user
        # The role is given by whoever invited; the acceptance is the invited person's act.
        services.role_assign(
            actor=invitation.invited_by, user=user, village=invitation.village, role=invitation.role
        )
        audit.record(
            actor=user,
            action="invitation.accept",
            obj=invitation,
            changes={"role": invitation.role},
        )
        accepted.append(invitation)
    return accepted
