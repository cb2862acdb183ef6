"""Where a user lands after signing in, by role: one registry that every app's roles join.

Each entry is ``(precedence, name, function)``; the function takes the user and returns a URL
or None. The lowest precedence that answers wins, so a user holding several roles lands on the
work of the most responsible one:

    10 operator          -> /admin/
    20 village staff     -> /v/<village>/work/ (cadre, secretary, accountant)
    30 bank staff        -> /bank/<branch>/ (registered by the loans app)
    40 region official   -> /officials/ (their regions and villages)
    50 villager          -> /v/<village>/me/ (villager, finance group member)
    otherwise            -> the village directory

Where a user holds the same role in several villages, the one assigned first wins.
A ``next`` given with the sign-in always overrides the landing (allauth handles that).
"""

from collections.abc import Callable

from django.urls import reverse

Landing = Callable[[object], str | None]
_LANDINGS: list[tuple[int, str, Landing]] = []


def register(precedence: int, name: str):
    """Decorate a function ``user -> URL | None`` as the landing of a role."""

    def decorator(func: Landing) -> Landing:
        if not any(existing == name for _, existing, _f in _LANDINGS):
            _LANDINGS.append((precedence, name, func))
            _LANDINGS.sort(key=lambda item: item[0])
        return func

    return decorator


def landings() -> list[tuple[int, str]]:
    return [(precedence, name) for precedence, name, _ in _LANDINGS]


def landing_url(user) -> str:
    if getattr(user, "is_authenticated", False):
        for _, _name, func in _LANDINGS:
            url = func(user)
            if url:
                return url
    return reverse("home")


def _first_village_slug(user, roles) -> str | None:
    return (
        user.village_roles.filter(role__in=roles, village__is_active=True)
        .order_by("created_at", "pk")
        .values_list("village__slug", flat=True)
        .first()
    )


@register(10, "operator")
def _operator(user):
    return reverse("admin:index") if user.is_operator else None


@register(20, "village staff")
def _village_staff(user):
    from villageaffairs.permissions import ROLE_PERMISSIONS

    roles = [role for role, perms in ROLE_PERMISSIONS.items() if "village.manage" in perms]
    slug = _first_village_slug(user, roles)
    return reverse("cadre_work", kwargs={"village_slug": slug}) if slug else None


@register(40, "region official")
def _region_official(user):
    return reverse("officials") if user.region_roles.exists() else None


@register(50, "villager")
def _villager(user):
    from villageaffairs.permissions import ROLE_PERMISSIONS

    roles = [role for role, perms in ROLE_PERMISSIONS.items() if "village.member" in perms]
    slug = _first_village_slug(user, roles)
    return reverse("my_household", kwargs={"village_slug": slug}) if slug else None
