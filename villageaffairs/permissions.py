"""Named permissions, granted by roles, checked in one place.

A view declares the flag it needs (``permission="points.review"``); ``village_perms`` says what a
user may do in a village. Apps add their flags here so the whole map can be read at once.
"""

from villageaffairs.models import Role

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
ALL = frozenset().union(*ROLE_PERMISSIONS.values())


def perms_for_roles(roles) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def village_roles(user, village) -> frozenset[str]:
    if not user.is_authenticated or village is None:
        return frozenset()
    return frozenset(user.village_roles.filter(village=village).values_list("role", flat=True))


def village_perms(user, village) -> frozenset[str]:
    if user.is_authenticated and user.is_operator:
        return ALL
    return perms_for_roles(village_roles(user, village))


def managed_village_ids(user) -> list[int] | None:
    """Villages whose objects the user may change in the admin; None means all (operator)."""
    if user.is_operator:
        return None
    managing = [r for r, perms in ROLE_PERMISSIONS.items() if "village.manage" in perms]
    return list(
        user.village_roles.filter(role__in=managing).values_list("village_id", flat=True).distinct()
    )
