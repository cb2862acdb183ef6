from django.urls import reverse

from points import services
from tests.factories import HouseholdFactory
from tests.matrix import (
    ASSISTERS,
    CADRES,
    CADRES_POST,
    MEMBERS,
    MEMBERS_POST,
    OVERSEERS,
    PUBLIC,
    Case,
    expect,
)
from tests.points.factories import ItemFactory, RuleFactory, evidence_photo
from villageaffairs.models import Household

# POST-only pages: their POSTs are tested in tests/points/test_views.py.
# Pages about the viewer's own household: the operator has every flag but no household.
OWN_HOUSEHOLD = expect(anonymous=302, villager_elsewhere=404, cadre_elsewhere=404, operator=404)


# Claim evidence: the household it belongs to (villager_here's) and the village's cadres; 404
# for everyone else, anonymous too.
EVIDENCE = dict.fromkeys(PUBLIC, 404) | {"villager_here": 200, "cadre_here": 200, "operator": 200}
# The finance group member lives in another household of the village.
EVIDENCE["finance_here"] = 404
EVIDENCE["grid_worker_here"] = 404  # the grid worker lives in a household of their own
EVIDENCE |= OVERSEERS  # the officials over the village read the review queue, photos included


def _photo_url(name):
    return lambda p: reverse(name, args=[p.here.slug, evidence_photo(p.villager_here).pk])


# A real POST (with the CSRF token) that is allowed redirects back to its page.
CADRES_DONE = CADRES | {"cadre_here": 302, "operator": 302}
# Actions on the viewer's own household: anyone of the village with a household; not the
# operator (no household), not outsiders.
OWN_DONE = MEMBERS | {"villager_here": 302, "cadre_here": 302, "operator": 404}
# The claim is villager_here's household's: its other resident may withdraw it, other
# households of the village (a cadre's, a finance group member's) do not see it.
HOUSEHOLD_DONE = OWN_DONE | {"cadre_here": 404, "finance_here": 404, "grid_worker_here": 404}


def _own(p):
    return Household.objects.get(village=p.here, residents__user=p.villager_here)


def _claim(p):
    return services.claim_submit(
        actor=p.villager_here, household=_own(p), rule=RuleFactory(village=p.here)
    )


def _objection(p):
    entry = services.award_direct(actor=None, household=_own(p), points=5, reason="巡逻")
    return services.objection_raise(actor=p.villager_here, entry=entry, text="分数不对")


def _reservation(p):
    household = _own(p)
    services.award_direct(actor=None, household=household, points=50, reason="巡逻")
    item = ItemFactory(village=p.here, cost=10)
    return services.redemption_create(actor=p.villager_here, household=household, item=item)


def _post(name, build):
    return lambda p: reverse(name, args=[p.here.slug, build(p).pk])


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


def _sign_print(state):
    def build(p):
        from django.core.files.base import ContentFile

        from points.models import SignPrint

        job = SignPrint.objects.create(village=p.here, state=state, figures=True, total=1, done=1)
        if state == SignPrint.State.DONE:
            job.file.save("signs.pdf", ContentFile(b"%PDF-1.4 a sign"), save=True)
        return job

    return build


def _ranking_url(p):
    RuleFactory(village=p.here)
    services.rankings_recompute(village_id=p.here.pk)
    return reverse("points:ranking", args=[p.here.slug])


CASES = [
    Case(
        "points:assist_claim",
        lambda p: reverse("points:assist_claim", args=[p.here.slug, p.villager_here.resident.pk]),
        ASSISTERS,
    ),
    Case("points:photo", _photo_url("points:photo"), EVIDENCE),
    Case("points:photo_thumb", _photo_url("points:photo_thumb"), EVIDENCE),
    Case("points:rules", _url("points:rules"), PUBLIC),
    Case("points:ranking", _ranking_url, PUBLIC),
    Case("points:posting", _url("points:posting"), PUBLIC),
    Case("points:ranking_notice", _url("points:ranking_notice"), PUBLIC),
    Case("points:posting_notice", _url("points:posting_notice"), PUBLIC),
    Case("points:objection_new", _entry_url, MEMBERS),
    Case("points:claims", _url("points:claims"), OWN_HOUSEHOLD),
    Case("points:claim_withdraw", _url("points:claim_withdraw", 1), MEMBERS_POST, foreign=False),
    # The review queue is open to the officials over the village, read only.
    Case("points:review", _url("points:review"), CADRES | OVERSEERS),
    Case("points:review_decide", _url("points:review_decide", 1), CADRES_POST, foreign=False),
    Case(
        "points:objection_resolve", _url("points:objection_resolve", 1), CADRES_POST, foreign=False
    ),
    Case("points:award", _url("points:award"), CADRES),
    Case("points:shop", _url("points:shop"), PUBLIC),
    Case("points:shop_reserve", _url("points:shop_reserve", 1), MEMBERS_POST, foreign=False),
    Case("points:counter", _url("points:counter"), CADRES),
    Case(
        "points:counter_reservation",
        _url("points:counter_reservation", 1),
        CADRES_POST,
        foreign=False,
    ),
    # The matrix runs with a public SITE_URL; without one the cadre is told so (409), not given
    # a sign that leads nowhere (tests/points/test_signs.py).
    Case("points:sign_png", _sign_url, CADRES | OVERSEERS),
    Case(
        "points:sign_print", _post("points:sign_print", _sign_print("running")), CADRES | OVERSEERS
    ),
    Case(
        "points:sign_print_file",
        _post("points:sign_print_file", _sign_print("done")),
        CADRES | OVERSEERS,
    ),
    Case(
        "points:sign_print_retry",
        _post("points:sign_print_retry", _sign_print("failed")),
        CADRES_DONE,
        method="post",
    ),
    Case("household_public", _household_public, PUBLIC, foreign=False),
    # The POST-only pages, posted for real with the CSRF token, on real objects.
    Case(
        "points:claim_withdraw",
        _post("points:claim_withdraw", _claim),
        HOUSEHOLD_DONE,
        method="post",
    ),
    Case(
        "points:review_decide",
        _post("points:review_decide", _claim),
        CADRES_DONE,
        method="post",
        data={"decision": "reject", "reason": "照片看不清"},
    ),
    Case(
        "points:objection_resolve",
        _post("points:objection_resolve", _objection),
        CADRES_DONE,
        method="post",
        data={"upheld": "0", "response": "已核实，分数无误"},
    ),
    Case(
        "points:shop_reserve",
        _post("points:shop_reserve", lambda p: ItemFactory(village=p.here)),
        OWN_DONE,
        method="post",
        data={"quantity": "1"},
    ),
    Case(
        "points:counter_reservation",
        _post("points:counter_reservation", _reservation),
        CADRES_DONE,
        method="post",
        data={"action": "cancel"},
    ),
]
