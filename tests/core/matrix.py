from django.urls import reverse

from tests.factories import HouseholdFactory
from tests.matrix import ASSISTERS, CADRES, MEMBERS, PUBLIC, Case

# An act's page: the village's assisters and the villager it was done for; not their
# household's other members.
ACT_PAGE = ASSISTERS | {"villager_here": 200, "resident_here": 404, "finance_here": 404}


def _act(p):
    """An act a cadre did for ``villager_here``, with a photo of the signature."""
    from django.core.files.base import ContentFile

    from villageaffairs.models import AssistedAct, Role

    act = AssistedAct(
        village=p.here,
        actor=p.cadre_here,
        actor_role=Role.CADRE,
        resident=p.villager_here.resident,
        kind="talks.topic",
        summary="代为反映：路灯坏了",
    )
    act.signature.save("sig.jpg", ContentFile(b"\xff\xd8\xff\xd9"), save=False)
    act.save()
    return act


def _act_url(name):
    return lambda p: reverse(name, args=[p.here.slug, _act(p).pk])


CASES = [
    Case("home", lambda p: reverse("home"), PUBLIC),
    Case("directory", lambda p: reverse("directory") + "?q=友谊", PUBLIC),
    Case("village_home", lambda p: reverse("village_home", args=[p.here.slug]), PUBLIC),
    Case("cadre_work", lambda p: reverse("cadre_work", args=[p.here.slug]), CADRES),
    Case("household_register", lambda p: reverse("household_register", args=[p.here.slug]), CADRES),
    Case("my_household", lambda p: reverse("my_household", args=[p.here.slug]), MEMBERS),
    Case(
        "household_public",
        lambda p: reverse("household_public", args=[HouseholdFactory(village=p.here).code]),
        PUBLIC,
        foreign=False,  # public by design, whatever its village
    ),
    Case("assist", lambda p: reverse("assist", args=[p.here.slug]) + "?q=1", ASSISTERS),
    Case(
        "assist_resident",
        lambda p: reverse("assist_resident", args=[p.here.slug, p.villager_here.resident.pk]),
        ASSISTERS,
    ),
    Case("assist_act", _act_url("assist_act"), ACT_PAGE),
    Case("assist_slip", _act_url("assist_slip"), ASSISTERS),
    Case("assist_signature", _act_url("assist_signature"), ACT_PAGE),
    Case("healthz", lambda p: reverse("healthz"), PUBLIC),
]
