"""Reads used by views and the admin."""

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q

from villageaffairs.models import Household, Resident, Village


def village_by_slug(slug: str) -> Village | None:
    return (
        Village.objects.filter(slug=slug, is_active=True)
        .select_related("region", "region__parent", "region__parent__parent")
        .first()
    )


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
            Q(name__icontains=q) | Q(house_number__icontains=q) | Q(residents__name__icontains=q)
        ).distinct()
    qs = qs.prefetch_related(Prefetch("residents", queryset=Resident.objects.order_by("pk")))
    return Paginator(qs.order_by("house_number"), 50).get_page(page)


def household_of_user(user, village: Village) -> Household | None:
    if not user.is_authenticated:
        return None
    return (
        Household.objects.filter(village=village, residents__user=user)
        .select_related("head")
        .prefetch_related("residents")
        .first()
    )


def household_by_code(code: str) -> Household | None:
    return (
        Household.objects.filter(code=code, village__is_active=True)
        .select_related("village", "village__region")
        .first()
    )
