"""factory_boy factories of the core models. Apps keep theirs in tests/<app>/factories.py."""

import factory
from django.contrib.auth import get_user_model

from villageaffairs.models import Household, Region, Resident, Role, RoleAssignment, Village


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    name = factory.Sequence(lambda n: f"镇{n}")
    name_en = factory.Sequence(lambda n: f"Town {n}")
    level = Region.Level.TOWN


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    name = factory.Sequence(lambda n: f"测试{n}村")
    name_en = factory.Sequence(lambda n: f"Test Village {n}")
    slug = factory.Sequence(lambda n: f"village-{n}")
    region = factory.SubFactory(RegionFactory)
    region_path = factory.LazyAttribute(lambda v: f"{v.region.name} {v.region.name_en}")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    house_number = factory.Sequence(lambda n: f"{n:04d}")
    name = factory.Sequence(lambda n: f"户主{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    village = factory.LazyAttribute(lambda r: r.household.village)
    name = factory.Sequence(lambda n: f"村民{n}")


def member(village, role=Role.VILLAGER, household=None, **user_kwargs):
    """A user holding ``role`` in ``village`` (villagers get a resident row in a household)."""
    user = UserFactory(**user_kwargs)
    if role != Role.VILLAGER:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    RoleAssignment.objects.create(user=user, village=village, role=Role.VILLAGER)
    if role != Role.VILLAGER:
        RoleAssignment.objects.create(user=user, village=village, role=role)
    household = household or HouseholdFactory(village=village)
    resident = ResidentFactory(household=household, village=village, user=user, name=str(user))
    if household.head_id is None:
        household.head = resident
        household.name = resident.name
        household.save(update_fields=["head", "name"])
    return user


def pending_join_request(village, household=None, **kwargs):
    """A waiting join request of a new account for a resident (without account) of
    ``household`` (a new one of ``village`` when not given)."""
    import datetime

    from villageaffairs.models import JoinRequest

    household = household or HouseholdFactory(village=village)
    born_on = datetime.date(1990, 5, 17)
    resident = ResidentFactory(household=household, village=village, born_on=born_on)
    return JoinRequest.objects.create(
        village=village,
        household=household,
        resident=resident,
        user=kwargs.pop("user", None) or UserFactory(),
        name=resident.name,
        born_on=born_on,
        **kwargs,
    )
