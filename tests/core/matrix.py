from django.urls import reverse

from tests.factories import HouseholdFactory
from tests.matrix import CADRES, MEMBERS, PUBLIC, Case

CASES = [
    Case("home", lambda p: reverse("home"), PUBLIC),
    Case("directory", lambda p: reverse("directory") + "?q=友谊", PUBLIC),
    Case("village_home", lambda p: reverse("village_home", args=[p.here.slug]), PUBLIC),
    Case("cadre_work", lambda p: reverse("cadre_work", args=[p.here.slug]), CADRES),
    Case("household_register", lambda p: reverse("household_register", args=[p.here.slug]), CADRES),
    Case("notices", lambda p: reverse("notices", args=[p.here.slug]), PUBLIC),
    Case("my_household", lambda p: reverse("my_household", args=[p.here.slug]), MEMBERS),
    Case(
        "household_public",
        lambda p: reverse("household_public", args=[HouseholdFactory(village=p.here).code]),
        PUBLIC,
        foreign=False,  # public by design, whatever its village
    ),
    Case("healthz", lambda p: reverse("healthz"), PUBLIC),
]
