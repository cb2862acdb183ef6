"""Named permissions, granted by roles, checked in one place.

A view declares the flag it needs (``permission="points.review"``); ``village_perms`` says what a
user may do in a village. Apps add their flags here so the whole map can be read at once.
"""

from villageaffairs.models import Role
from villageaffairs.prepared import Prepared

# Pages every visitor may see (directory, village home, rules, ranking, talks, disclosures).
PUBLIC = None

MEMBER = frozenset(
    {
        "village.member",  # private pages of one's own village
        "points.claim",
        "points.redeem",
        "talks.speak",
        "talks.comment",
        "talks.vote",
        "talks.rate",
        "publicity.ask",
    }
)
# Acting for a villager who came to the office or was visited at home (villageaffairs.assist).
ASSIST = "village.assist"
CADRE = MEMBER | {
    "village.manage",  # household register, admin
    ASSIST,
    "points.review",
    "points.award",
    "points.supermarket",
    "talks.reply",
    "talks.moderate",
    "talks.handle",
    "talks.open_vote",
    "publicity.publish",
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.VILLAGER: MEMBER,
    Role.CADRE: frozenset(CADRE),
    Role.SECRETARY: frozenset(CADRE),
    Role.ACCOUNTANT: frozenset(CADRE | {"publicity.finance"}),
    Role.FINANCE_GROUP: frozenset(MEMBER | {"publicity.check_finance"}),
    Role.SUPERVISOR: frozenset(MEMBER | {"talks.recount"}),
    # 网格员: a member of the village who also enters things for the villagers of their grid.
    Role.GRID_WORKER: frozenset(MEMBER | {ASSIST}),
}
# A township or county official over the village (villageaffairs.regions): sees the cadre pages
# that accept oversight, read-only, and invites the village's cadres. Not a villager: no claim,
# vote or speech comes with it.
OVERSEE = "village.oversee"
INVITE = "village.invite"
OFFICIAL = frozenset({OVERSEE, INVITE})
ALL = frozenset().union(*ROLE_PERMISSIONS.values()) | OFFICIAL


def perms_for_roles(roles) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def village_roles(user, village) -> frozenset[str]:
    if not user.is_authenticated or village is None:
        return frozenset()
    return frozenset(user.village_roles.filter(village=village).values_list("role", flat=True))


# Stands for "official over the village" among the roles read in one query (never a Role).
_OFFICIAL_MARK = "__official__"


def village_perms(user, village) -> frozenset[str]:
    """The user's flags in the village. The roles and whether the user is an official over it
    come from one query: every village page asks, so the check must not cost one more."""
    if user.is_authenticated and user.is_operator:
        return ALL
    return village_access(user, village)[1]


def _access_query(user_id: int, village_id: int, town_id: int):
    from django.db.models import CharField, Value

    from villageaffairs.models import RegionOfficial, RoleAssignment, Village
    from villageaffairs.regions import over_village_q

    official = (
        RegionOfficial.objects.filter(over_village_q(Village(region_id=town_id)), user_id=user_id)
        .annotate(mark=Value(_OFFICIAL_MARK, output_field=CharField()))
        .values_list("mark")
    )
    roles = RoleAssignment.objects.filter(user_id=user_id, village_id=village_id)
    return roles.values_list("role").union(official)


def _read_alias() -> str:
    from django.db import router

    from villageaffairs.models import RoleAssignment

    return router.db_for_read(RoleAssignment) or "default"


_access = Prepared(_access_query, kinds=(int, int, int))


def village_access(user, village) -> tuple[frozenset[str], frozenset[str]]:
    """The user's roles and flags in the village, from one query (both are on every village
    page's request)."""
    if not user.is_authenticated:
        return frozenset(), frozenset()
    if village is None:
        return frozenset(), ALL if user.is_operator else frozenset()
    # The town's id stands for "no region" as -1, which no region has.
    town = village.region_id if village.region_id is not None else -1
    found = {row[0] for row in _access(user.pk, village.pk, town, using=_read_alias())}
    roles = frozenset(found - {_OFFICIAL_MARK})
    if user.is_operator:
        return roles, ALL
    granted = perms_for_roles(roles)
    return roles, granted | OFFICIAL if _OFFICIAL_MARK in found else granted


def managed_village_ids(user) -> list[int] | None:
    """Villages whose objects the user may change in the admin; None means all (operator)."""
    if user.is_operator:
        return None
    managing = [r for r, perms in ROLE_PERMISSIONS.items() if "village.manage" in perms]
    return list(
        user.village_roles.filter(role__in=managing).values_list("village_id", flat=True).distinct()
    )


def overseen_village_ids(user) -> list[int]:
    """Villages under the regions the user is an official of (read-only in the admin)."""
    from villageaffairs.models import Village
    from villageaffairs.regions import official_region_ids

    regions = official_region_ids(user)
    if not regions:
        return []
    return list(Village.objects.filter(region_id__in=regions).values_list("pk", flat=True))
