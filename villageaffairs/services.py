"""Writes on the core models. Keyword-only arguments, one transaction each, audited."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from villageaffairs import audit, housenumbers
from villageaffairs.divisions import unique_village_slug
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
        slug=slug or unique_village_slug(name, name_en),
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
    head_phone_owner: bool = False,
) -> Household:
    house_number = housenumbers.clean(house_number)
    household = Household.objects.create(
        village=village, house_number=house_number, villager_group=villager_group, name=head_name
    )
    if head_name:
        head = Resident.objects.create(
            village=village,
            household=household,
            name=head_name,
            phone=normalize_phone(head_phone) if head_phone else "",
            phone_owner=bool(head_phone and head_phone_owner),
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
    phone_owner: bool = False,
    born_on=None,
    relation: str = "",
    sex: str = "",
) -> Resident:
    resident = Resident.objects.create(
        village_id=household.village_id,
        household=household,
        name=name,
        phone=normalize_phone(phone) if phone else "",
        phone_owner=bool(phone and phone_owner),
        year_of_birth=born_on.year if born_on else year_of_birth,
        born_on=born_on,
        relation=relation,
        sex=sex,
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


def role_needs_staff(role: str) -> bool:
    """Roles whose holders work in the scoped Django admin (they manage the village)."""
    from villageaffairs.permissions import ROLE_PERMISSIONS

    return "village.manage" in ROLE_PERMISSIONS.get(role, frozenset())


def _staff_roles() -> list[str]:
    return [role for role in Role.values if role_needs_staff(role)]


def user_refresh_staff(*, actor, user) -> bool:
    """``is_staff`` follows the user's roles: given with a role that works in the admin, taken
    away with the last one. Operators keep theirs. (Bank staff work on the /bank/ pages, not in
    the admin, so bank roles need no staff flag.) Returns the flag."""
    if user.is_superuser:
        return user.is_staff
    needs = RoleAssignment.objects.filter(user=user, role__in=_staff_roles()).exists()
    if needs != user.is_staff:
        user.is_staff = needs
        user.save(update_fields=["is_staff"])
        audit.record(
            actor=actor, action="user.staff", obj=user, changes={"is_staff": (not needs, needs)}
        )
    return needs


@transaction.atomic
def role_assign(*, actor, user, village: Village, role: str) -> RoleAssignment:
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, village=village, role=role
    )
    if created:
        audit.record(
            actor=actor,
            action="role.assign",
            obj=assignment,
            village=village,
            changes={"user": user.pk, "role": role},
        )
    user_refresh_staff(actor=actor, user=user)
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
    user_refresh_staff(actor=actor, user=user)


RESIDENT_FIELDS = (
    "household",
    "name",
    "phone",
    "phone_owner",
    "year_of_birth",
    "user",
    # Kept from the household register (villageaffairs.register_import).
    "born_on",
    "relation",
    "sex",
    "registered",
)


@transaction.atomic
def resident_update(*, actor, resident: Resident, **values) -> Resident:
    """Change a resident on the register. A new number ends the link to the account that signed
    in with the old one (numbers are recycled): the account is unlinked and loses its villager
    role in the village, and signs in again with the new number to be linked."""
    unknown = set(values) - set(RESIDENT_FIELDS)
    if unknown:
        raise TypeError(f"resident_update() got unexpected fields {sorted(unknown)}")
    if "phone" in values:
        values["phone"] = normalize_phone(values["phone"]) if values["phone"] else ""
    before = {
        field: getattr(resident, f"{field}_id" if field in ("household", "user") else field)
        for field in RESIDENT_FIELDS
    }
    for field, value in values.items():
        setattr(resident, field, value)
    if "household" in values:
        resident.village_id = resident.household.village_id
    phone_changed = before["phone"] != resident.phone
    old_user_id = before["user"]
    if phone_changed and old_user_id and resident.user_id == old_user_id:
        resident.user = None
    resident.save()
    changes = audit.diff(
        resident,
        [f"{f}_id" if f in ("household", "user") else f for f in RESIDENT_FIELDS],
        {f"{f}_id" if f in ("household", "user") else f: v for f, v in before.items()},
    )
    audit.record(actor=actor, action="resident.change", obj=resident, changes=changes)
    if old_user_id and resident.user_id != old_user_id:
        _resident_unlinked(actor=actor, resident=resident, user_id=old_user_id)
    if phone_changed and old_user_id and before["phone"]:
        # The account gives up the old number too: whoever the carrier gives it to next must
        # not sign in to this account with it (staff accounts included).
        User = get_user_model()
        released = User.objects.filter(pk=old_user_id, phone=before["phone"]).update(
            phone=None, phone_verified=False
        )
        if released:
            audit.record(
                actor=actor,
                action="account.release_phone",
                obj=User.objects.get(pk=old_user_id),
                village=resident.village,
                changes={"phone": "released"},
            )
    return resident


def _resident_unlinked(*, actor, resident: Resident, user_id: int) -> None:
    """The account no longer is this resident: it loses its villager role in the village."""
    User = get_user_model()
    user = User.objects.get(pk=user_id)
    if not Resident.objects.filter(user=user, village_id=resident.village_id).exists():
        role_revoke(actor=actor, user=user, village=resident.village, role=Role.VILLAGER)
    audit.record(
        actor=actor, action="resident.unlink", obj=resident, changes={"user": (user_id, None)}
    )


def user_for_phone(*, phone: str):
    """The account for a phone number (in E.164 form).

    A number held by an account is that account. Otherwise the resident whose own number it is
    (``phone_owner``; a family may share a number, but it signs in as one person) is that
    person: their linked account, or a new one, created at this first sign-in with the
    villager role. A number no resident owns gets no account here."""
    User = get_user_model()
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user
    resident = (
        # "self" only: PostgreSQL locks no row on the nullable side of the join to the account.
        Resident.objects.select_for_update(of=("self",))
        .filter(phone=phone, phone_owner=True)
        .select_related("village", "user")
        .first()
    )
    if resident is None:
        return None
    if resident.user is not None:
        return resident.user
    try:
        with transaction.atomic():
            user = User.objects.create(
                username=f"p{phone.lstrip('+')}", phone=phone, display_name=resident.name
            )
    except IntegrityError:  # another request created it first
        return User.objects.filter(phone=phone).first()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    _resident_link(actor=None, resident=resident, user=user, action="account.create_from_resident")
    return user


def _resident_link(*, actor, resident: Resident, user, action: str) -> None:
    resident.user = user
    resident.save(update_fields=["user"])
    RoleAssignment.objects.get_or_create(user=user, village=resident.village, role=Role.VILLAGER)
    audit.record(actor=actor, action=action, obj=resident, changes={"user": user.pk})


@transaction.atomic
def user_confirm_phone(*, user, phone: str) -> Resident | None:
    """An account (one made by a WeChat sign-in) confirmed ``phone`` by SMS code: if a resident
    owns that number and has no account yet, the account becomes that resident, a villager of
    the village, as a phone sign-in would. Otherwise nothing changes: no role without it."""
    if Resident.objects.filter(user=user).exists():
        return None
    resident = (
        Resident.objects.select_for_update()
        .filter(phone=phone, phone_owner=True, user__isnull=True)
        .select_related("village")
        .first()
    )
    if resident is None:
        return None
    _resident_link(actor=user, resident=resident, user=user, action="account.confirm_phone")
    return resident


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
        region_roles__isnull=True,  # a township or county official made by an operator
        resident__isnull=True,
    ).exclude(phone__isnull=True)
    _, per_model = stale.delete()
    return per_model.get(User._meta.label, 0)
