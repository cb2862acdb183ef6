"""Regions above the village: the subtree of a region, and the officials who oversee it.

A region official (``RegionOfficial``) of a town or county oversees every village under that
region. These helpers are the one place that answers "which villages does this official see?".
"""

from __future__ import annotations

from django.db.models import Q

from villageaffairs.models import Region, RegionOfficial, Village


def subtree_ids(region_ids) -> set[int]:
    """The given regions and every region below them (one query per level, at most four)."""
    found = set(region_ids)
    frontier = set(found)
    while frontier:
        frontier = (
            set(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        )
        found |= frontier
    return found


def villages_under(region: Region):
    return Village.objects.filter(region_id__in=subtree_ids([region.pk]))


def official_region_ids(user) -> set[int]:
    """The regions a user oversees as an official, with everything below them."""
    if not user.is_authenticated:
        return set()
    direct = list(RegionOfficial.objects.filter(user=user).values_list("region_id", flat=True))
    return subtree_ids(direct) if direct else set()


def over_village_q(village: Village) -> Q:
    """RegionOfficial rows whose region is the village's town or one of the (at most three)
    regions above it: one query, without walking the parents first."""
    town = village.region_id
    return (
        Q(region_id=town)
        | Q(region__children__id=town)
        | Q(region__children__children__id=town)
        | Q(region__children__children__children__id=town)
    )


def is_official_over(user, village: Village) -> bool:
    """Whether the user is an official of the village's town or of a region above it."""
    if not user.is_authenticated or village is None:
        return False
    return RegionOfficial.objects.filter(over_village_q(village), user=user).exists()


def officials_of(region: Region):
    """The users who are officials of exactly this region (whom an escalation notifies)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(region_roles__region=region, is_active=True)
