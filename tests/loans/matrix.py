from django.urls import reverse

from tests.factories import HouseholdFactory
from tests.loans.factories import application_for, consent_for, policy, serving_branch
from tests.matrix import ASSISTERS, MEMBERS, Case, expect
from villageaffairs.models import Household

# Bank pages: the serving branch's officer only; everyone else signed in gets 404.
BANK = expect(
    anonymous=302,
    villager_here=404,
    villager_elsewhere=404,
    cadre_here=404,
    cadre_elsewhere=404,
    operator=404,
    officer_serving=200,
    officer_other=404,
)
# Any bank staff (the /bank/ start page lists one's own branches).
BANK_STAFF = BANK | {"officer_other": 200}
# Branch managers only: the matrix's officers are not managers (tests/loans/test_views.py
# shows a manager gets in).
MANAGERS = BANK | {"officer_serving": 404, "manager_serving": 200}
NOBODY = BANK | {"officer_serving": 404, "manager_serving": 404}
# The household head's own actions (villager_here heads the household; resident_here lives in
# it but is not its head; other households of the village, such as the finance group member's,
# do not see it).
HEAD = MEMBERS | {"operator": 404, "resident_here": 404}


def _bank(p, name, **kwargs):
    return reverse(f"loans:{name}", kwargs={"branch_id": serving_branch(p).pk, **kwargs})


def _consenting_household(p):
    branch = serving_branch(p)
    policy(branch)
    household = HouseholdFactory(village=p.here)
    consent_for(branch, household)
    return household


def _token(p):
    from loans import services

    token, _plain = services.token_create(
        actor=None, branch=serving_branch(p), name="信贷系统", scopes=["lookup"], days=30
    )
    return token


def _own_household(p):
    return Household.objects.get(residents__user=p.villager_here)


def _own_application(p):
    branch = serving_branch(p)
    return application_for(branch, _own_household(p))


CASES = [
    Case(
        "loans_village:assist_consent",
        lambda p: reverse(
            "loans_village:assist_consent", args=[p.here.slug, p.villager_here.resident.pk]
        ),
        ASSISTERS,
    ),
    Case("loans:index", lambda p: reverse("loans:index"), BANK_STAFF),
    Case("loans:lookup", lambda p: _bank(p, "lookup") + "?q=0&purpose=enquiry", BANK),
    # POST only: the serving officer asking with GET gets 405, everyone else what BANK says.
    Case("loans:scan", lambda p: _bank(p, "scan"), BANK | {"officer_serving": 405}),
    # Posted for real without a photo: the serving branch's staff get the form back (400).
    Case("loans:scan", lambda p: _bank(p, "scan"), BANK | {"officer_serving": 400}, method="post"),
    Case(
        "loans:profile",
        lambda p: _bank(p, "profile", code=_consenting_household(p).code) + "?purpose=visit",
        BANK,
    ),
    # A household of a village the branch does not serve does not exist for the branch.
    Case(
        "loans:profile",
        lambda p: (
            _bank(p, "profile", code=HouseholdFactory(village=p.elsewhere).code) + "?purpose=visit"
        ),
        NOBODY,
        foreign=False,  # it is the cross-village case
    ),
    Case(
        "loans:application_new",
        lambda p: _bank(p, "application_new", code=_consenting_household(p).code),
        BANK,
    ),
    Case("loans:applications", lambda p: _bank(p, "applications"), BANK),
    Case(
        "loans:application",
        lambda p: _bank(p, "application", pk=_own_application(p).pk),
        BANK,
    ),
    Case("loans:lookups", lambda p: _bank(p, "lookups"), MANAGERS),
    Case("loans:policy", lambda p: _bank(p, "policy"), BANK),
    Case("loans:policy_new", lambda p: _bank(p, "policy_new"), MANAGERS),
    Case("loans:tokens", lambda p: _bank(p, "tokens"), MANAGERS),
    # Posted empty: the manager gets the form back with its errors (400).
    Case("loans:tokens", lambda p: _bank(p, "tokens"), MANAGERS | {"manager_serving": 400}, "post"),
    Case("loans:token_revoke", lambda p: _bank(p, "token_revoke", pk=_token(p).pk), MANAGERS),
    Case(
        "loans:token_revoke",
        lambda p: _bank(p, "token_revoke", pk=_token(p).pk),
        MANAGERS | {"manager_serving": 302},
        method="post",
    ),
    Case(
        "loans_village:credit",
        lambda p: reverse("loans_village:credit", args=[p.here.slug]),
        MEMBERS,
    ),
    Case(
        "loans_village:consent",
        lambda p: reverse("loans_village:consent", args=[p.here.slug, serving_branch(p).pk]),
        HEAD | {"villager_here": 302, "cadre_here": 302},
        method="post",
        data={"action": "grant"},
    ),
    Case(
        "loans_village:apply",
        lambda p: reverse("loans_village:apply", args=[p.here.slug]),
        HEAD,
    ),
    Case(
        "loans_village:application",
        lambda p: reverse("loans_village:application", args=[p.here.slug, _own_application(p).pk]),
        # The household's members read it; other households (a cadre's, the finance group
        # member's) do not.
        HEAD
        | {"cadre_here": 404, "finance_here": 404, "grid_worker_here": 404, "resident_here": 200},
    ),
    Case(
        "loans_village:withdraw",
        lambda p: reverse("loans_village:withdraw", args=[p.here.slug, _own_application(p).pk]),
        HEAD
        | {"cadre_here": 404, "finance_here": 404, "grid_worker_here": 404, "villager_here": 302},
        method="post",
    ),
]
