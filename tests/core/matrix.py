from pathlib import Path

from django.urls import reverse

from tests.factories import HouseholdFactory
from tests.matrix import CADRES, MEMBERS, PUBLIC, Case
from villageaffairs import register_import

SAMPLE_SHEET = Path(__file__).resolve().parents[2] / "docs" / "register-sample.xlsx"


def _import_preview(p):
    token = register_import.sheet_store(village=p.here, data=SAMPLE_SHEET.read_bytes())
    return reverse("household_import_preview", args=[p.here.slug, token])


CASES = [
    Case("home", lambda p: reverse("home"), PUBLIC),
    Case("directory", lambda p: reverse("directory") + "?q=友谊", PUBLIC),
    Case("village_home", lambda p: reverse("village_home", args=[p.here.slug]), PUBLIC),
    Case("cadre_work", lambda p: reverse("cadre_work", args=[p.here.slug]), CADRES),
    Case("household_register", lambda p: reverse("household_register", args=[p.here.slug]), CADRES),
    Case("household_import", lambda p: reverse("household_import", args=[p.here.slug]), CADRES),
    # A post without a sheet: the form's error for cadres, and nothing for anyone else.
    Case(
        "household_import",
        lambda p: reverse("household_import", args=[p.here.slug]),
        CADRES | {"cadre_here": 400, "operator": 400},
        method="post",
    ),
    Case("household_import_preview", _import_preview, CADRES),
    # A confirmation of another preview than the one shown is refused, and saves nothing.
    Case(
        "household_import_preview",
        _import_preview,
        CADRES | {"cadre_here": 400, "operator": 400},
        method="post",
        data={"digest": "not-the-preview"},
    ),
    Case("my_household", lambda p: reverse("my_household", args=[p.here.slug]), MEMBERS),
    Case(
        "household_public",
        lambda p: reverse("household_public", args=[HouseholdFactory(village=p.here).code]),
        PUBLIC,
        foreign=False,  # public by design, whatever its village
    ),
    Case("healthz", lambda p: reverse("healthz"), PUBLIC),
]
