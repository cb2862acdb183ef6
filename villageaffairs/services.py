"""Writes on the core models. Keyword-only arguments, one transaction each, audited."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from villageaffairs import audit
from villageaffairs.models import (
    Household,
    Region,
    Resident,
    Role,
    RoleAssignment,
    Village,
    new_household_code,
)
from villageaffairs.phones import normalize_phone


def region_path_text(region: Region) -> str:
    parts = []
    for node in region.path():
        parts.append(node.name)
        if node.name_en:
            parts.append(node.name_en)
    return " ".join(parts)


@transaction.atomic
def village_create(
    *, actor, name: str, region: Region, slug: str = "", name_en: str = "", introduction: str = ""
) -> Village:
    village = Village.objects.create(
        name=name,
        name_en=name_en,
        slug=slug or slugify(name_en or name),
        region=region,
        region_path=region_path_text(region),
        introduction=introduction,
    )
    audit.record(
        actor=actor,
        action="village.create",
        obj=village,
        village=village,
        changes={"name": name, "region": region.pk},
    )
    return village


def village_refresh_region_path(*, village: Village) -> None:
    Village.objects.filter(pk=village.pk).update(region_path=region_path_text(village.region))


@transaction.atomic
def household_create(
    *,
    actor,
    village: Village,
    house_number: str,
    head_name: str = "",
    head_phone: str = "",
    villager_group: str = "",
    head_year_of_birth: int | None = None,
) -> Household:
    household = Household.objects.create(
        village=village, house_number=house_number, villager_group=villager_group, name=head_name
    )
    if head_name:
        head = Resident.objects.create(
            village=village,
            household=household,
            name=head_name,
            phone=normalize_phone(head_phone) if head_phone else "",
            year_of_birth=head_year_of_birth,
        )
        household.head = head
        household.save(update_fields=["head"])
    audit.record(
        actor=actor,
        action="household.create",
        obj=household,
        changes={"house_number": house_number, "head": head_name},
    )
    return household


@transaction.atomic
def resident_create(
    *,
    actor,
    household: Household,
    name: str,
    phone: str = "",
    year_of_birth: int | None = None,
    is_head: bool = False,
) -> Resident:
    resident = Resident.objects.create(
        village_id=household.village_id,
        household=household,
        name=name,
        phone=normalize_phone(phone) if phone else "",
        year_of_birth=year_of_birth,
    )
    if is_head:
        household_set_head(actor=actor, household=household, resident=resident)
    audit.record(
        actor=actor,
        action="resident.create",
        obj=resident,
        changes={"name": name, "household": household.pk},
    )
    return resident


@transaction.atomic
def household_set_head(*, actor, household: Household, resident: Resident) -> Household:
    if resident.household_id != household.pk:
        raise ValueError("The head must be a resident of the household.")
    before = {"head": household.head_id, "name": household.name}
    household.head = resident
    household.name = resident.name
    household.save(update_fields=["head", "name"])
    audit.record(
        actor=actor,
        action="household.set_head",
        obj=household,
        changes={"head": (before["head"], resident.pk), "name": (before["name"], resident.name)},
    )
    return household


@transaction.atomic
def household_reissue_code(*, actor, household: Household) -> str:
    """A lost or copied sign: give the household a new code; the old URL stops working."""
    old = household.code
    household.code = new_household_code()
    household.save(update_fields=["code"])
    audit.record(
        actor=actor,
        action="household.reissue_code",
        obj=household,
        changes={"code": (old[:4] + "…", household.code[:4] + "…")},
    )
    return household.code


@transaction.atomic
def role_assign(*, actor, user, village: Village, role: str) -> RoleAssignment:
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, village=village, role=role
    )
    if role != Role.VILLAGER and not user.is_staff:
        # Cadres work in the (scoped) Django admin.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if created:
        audit.record(
            actor=actor,
            action="role.assign",
            obj=assignment,
            village=village,
            changes={"user": user.pk, "role": role},
        )
    return assignment


@transaction.atomic
def role_revoke(*, actor, user, village: Village, role: str) -> None:
    deleted, _ = RoleAssignment.objects.filter(user=user, village=village, role=role).delete()
    if deleted:
        audit.record(
            actor=actor,
            action="role.revoke",
            obj=village,
            village=village,
            changes={"user": user.pk, "role": role},
        )


def user_for_phone(*, phone: str):
    """The account for a phone number. A resident registered by the village with this phone,
    but without an account yet, gets one on first sign-in, with the villager role."""
    User = get_user_model()
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user
    resident = (
        Resident.objects.select_for_update()
        .filter(phone=phone, user__isnull=True)
        .select_related("village")
        .order_by("pk")
        .first()
    )
    if resident is None:
        return None
    try:
        with transaction.atomic():
            user = User.objects.create(
                username=f"p{phone.lstrip('+')}", phone=phone, display_name=resident.name
            )
    except IntegrityError:  # another request created it first
        return User.objects.filter(phone=phone).first()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    resident.user = user
    resident.save(update_fields=["user"])
    RoleAssignment.objects.get_or_create(user=user, village=resident.village, role=Role.VILLAGER)
    audit.record(
        actor=None, action="account.create_from_resident", obj=resident, changes={"user": user.pk}
    )
    return user


def user_for_unregistered_phone(*, phone: str):
    """An account for a mobile number that no user and no resident of any village has. It has
    no village role: it sees what visitors see until a village confirms the person. Returns the
    existing account if one was made meanwhile (two requests for the same number)."""
    User = get_user_model()
    try:
        with transaction.atomic():
            user = User.objects.create(username=f"p{phone.lstrip('+')}", phone=phone)
    except IntegrityError:
        return User.objects.filter(phone=phone).first()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    audit.record(actor=None, action="account.create_unregistered", obj=user, changes={})
    return user


def unregistered_accounts_prune(*, older_than_days: int = 2) -> int:
    """Remove accounts made for a number that asked for a code but never signed in, and that
    no village or bank has taken on: made-up numbers must not fill the user table."""
    from datetime import timedelta

    from django.utils import timezone

    User = get_user_model()
    stale = User.objects.filter(
        last_login__isnull=True,
        phone_verified=False,
        is_staff=False,
        is_superuser=False,
        date_joined__lt=timezone.now() - timedelta(days=older_than_days),
        village_roles__isnull=True,
        branch_roles__isnull=True,
        resident__isnull=True,
    ).exclude(phone__isnull=True)
    _, per_model = stale.delete()
    return per_model.get(User._meta.label, 0)
