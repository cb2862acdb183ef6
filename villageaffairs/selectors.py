"""Reads used by views and the admin."""

from django.core.paginator import Paginator
from django.db import router
from django.db.models import Count, Prefetch, Q

from villageaffairs import housenumbers
from villageaffairs.models import Household, Resident, Village
from villageaffairs.prepared import Prepared


def _village_by_slug_query(slug: str):
    return (
        Village.objects.filter(slug=slug, is_active=True)
        .select_related("region", "region__parent", "region__parent__parent")
        .order_by("pk")[:1]
    )


# Every page under /v/<village>/ reads its village first: compiled once (prepared).
_village_by_slug = Prepared(_village_by_slug_query)


def village_by_slug(slug: str) -> Village | None:
    return _village_by_slug.first(slug, using=router.db_for_read(Village))


def village_search(q: str = ""):
    qs = Village.objects.filter(is_active=True).select_related("region")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(name_en__icontains=q)
            | Q(slug__icontains=q)
            | Q(region_path__icontains=q)
        )
    return qs.order_by("name")


def village_stats(village: Village) -> dict:
    return Household.objects.filter(village=village).aggregate(
        households=Count("id", distinct=True), residents=Count("residents", distinct=True)
    )


def household_register(village: Village, q: str = "", page: int | str = 1):
    qs = Household.objects.filter(village=village).select_related("head")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(house_number__icontains=housenumbers.clean(q))
            | housenumbers.matching(q)
            | Q(residents__name__icontains=q)
        ).distinct()
    qs = qs.prefetch_related(Prefetch("residents", queryset=Resident.objects.order_by("pk")))
    return Paginator(qs.order_by("house_number"), 50).get_page(page)


def household_by_house_number(village: Village, number: str) -> Household | None:
    """The village's household with this house number, however it was typed ("17", "017",
    "１７", " 17 "): the one written exactly so, else the only one written another way."""
    found = list(Household.objects.filter(village=village).filter(housenumbers.matching(number)))
    exact = [h for h in found if h.house_number == housenumbers.clean(number)]
    if exact:
        return exact[0]
    return found[0] if len(found) == 1 else None


def household_of_user(user, village: Village) -> Household | None:
    if not user.is_authenticated:
        return None
    return (
        Household.objects.filter(village=village, residents__user=user)
        .select_related("head")
        .prefetch_related("residents")
        .first()
    )


def households_by_code(code: str, *, using=None):
    """The household of a courtyard sign's code (a queryset, for apps to annotate)."""
    return (
        Household.objects.using(using)
        .filter(code=code, village__is_active=True)
        .select_related("village", "village__region")
    )


def household_by_code(code: str) -> Household | None:
    return households_by_code(code).first()


#: Apps add a function ``(user) -> bool`` saying the account holds a role of theirs that is
#: not a villager's (the loans app: a bank branch role), so the core need not import them.
privileged_account_checks: list = []


def is_villager_account(*, user, village_id: int) -> bool:
    """A villager's account of the village and nothing more: a villager there, without a cadre
    role anywhere, not staff, not an operator, and no app's privileged role (a bank's)."""
    from villageaffairs.models import Role

    if user.is_staff or user.is_superuser or not user.is_active:
        return False
    roles = set(user.village_roles.values_list("village_id", "role"))
    if (village_id, Role.VILLAGER) not in roles or any(r != Role.VILLAGER for _, r in roles):
        return False
    return not any(check(user) for check in privileged_account_checks)
