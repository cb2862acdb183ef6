from django.urls import reverse

from points import services
from tests.factories import HouseholdFactory
from tests.matrix import CADRES, CADRES_POST, MEMBERS, MEMBERS_POST, PUBLIC, Case, expect
from tests.points.factories import RuleFactory, evidence_photo

# POST-only pages: their POSTs are tested in tests/points/test_views.py.
# Pages about the viewer's own household: the operator has every flag but no household.
OWN_HOUSEHOLD = expect(anonymous=302, villager_elsewhere=404, cadre_elsewhere=404, operator=404)


# Claim evidence: the household it belongs to (villager_here's) and the village's cadres; 404
# for everyone else, anonymous too.
EVIDENCE = dict.fromkeys(PUBLIC, 404) | {"villager_here": 200, "cadre_here": 200, "operator": 200}


def _photo_url(name):
    return lambda p: reverse(name, args=[p.here.slug, evidence_photo(p.villager_here).pk])


def _url(name, *args):
    return lambda p: reverse(name, args=[p.here.slug, *args])


def _entry_url(p):
    household = HouseholdFactory(village=p.here)
    entry = services.award_direct(actor=None, household=household, points=5, reason="巡逻")
    return reverse("points:objection_new", args=[p.here.slug, entry.pk])


def _household_public(p):
    household = HouseholdFactory(village=p.here)
    services.award_direct(actor=None, household=household, points=5, reason="巡逻")
    services.rankings_recompute(village_id=p.here.pk)
    return reverse("household_public", args=[household.code])


def _sign_url(p):
    return reverse("points:sign_png", args=[p.here.slug, HouseholdFactory(village=p.here).pk])


def _ranking_url(p):
    RuleFactory(village=p.here)
    services.rankings_recompute(village_id=p.here.pk)
    return reverse("points:ranking", args=[p.here.slug])


CASES = [
    Case("points:photo", _photo_url("points:photo"), EVIDENCE),
    Case("points:photo_thumb", _photo_url("points:photo_thumb"), EVIDENCE),
    Case("points:rules", _url("points:rules"), PUBLIC),
    Case("points:ranking", _ranking_url, PUBLIC),
    Case("points:posting", _url("points:posting"), PUBLIC),
    Case("points:objection_new", _entry_url, MEMBERS),
    Case("points:claims", _url("points:claims"), OWN_HOUSEHOLD),
    Case("points:claim_withdraw", _url("points:claim_withdraw", 1), MEMBERS_POST),
    Case("points:review", _url("points:review"), CADRES),
    Case("points:review_decide", _url("points:review_decide", 1), CADRES_POST),
    Case("points:objection_resolve", _url("points:objection_resolve", 1), CADRES_POST),
    Case("points:award", _url("points:award"), CADRES),
    Case("points:shop", _url("points:shop"), PUBLIC),
    Case("points:shop_reserve", _url("points:shop_reserve", 1), MEMBERS_POST),
    Case("points:counter", _url("points:counter"), CADRES),
    Case("points:counter_reservation", _url("points:counter_reservation", 1), CADRES_POST),
    Case("points:sign_png", _sign_url, CADRES),
    Case("household_public", _household_public, PUBLIC),
]
