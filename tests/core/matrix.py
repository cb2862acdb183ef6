from pathlib import Path

from django.urls import reverse

from tests.factories import HouseholdFactory, pending_join_request
from tests.matrix import (
    ASSISTERS,
    CADRES,
    CADRES_OVERSEEN,
    CADRES_OVERSEEN_POST,
    MEMBERS,
    OFFICIALS,
    OVERSEERS,
    PUBLIC,
    Case,
    expect,
)
from villageaffairs import register_import
from villageaffairs.models import Household

SAMPLE_SHEET = Path(__file__).resolve().parents[2] / "docs" / "register-sample.xlsx"


def _import_preview(p):
    token = register_import.sheet_store(village=p.here, data=SAMPLE_SHEET.read_bytes())
    return reverse("household_import_preview", args=[p.here.slug, token])


# Any signed-in account may see the join pages (they say whether it may ask).
SIGNED_IN = expect(
    anonymous=302, officer_serving=200, officer_other=200, **dict.fromkeys(OFFICIALS, 200)
)
# The officials' own page: every official, whatever their region; nobody else.
OFFICIALS_PAGE = expect(
    anonymous=302,
    villager_here=404,
    villager_elsewhere=404,
    cadre_here=404,
    cadre_elsewhere=404,
    operator=404,
    **dict.fromkeys(OFFICIALS, 200),
)
# Inviting cadres: the officials over the village and operators; not the village's cadres.
INVITERS = CADRES | OVERSEERS | {"cadre_here": 404}
INVITERS_POST = INVITERS | {"official_here": 302, "official_county": 302, "operator": 302}


def _invitation(p):
    from django.utils import timezone

    from villageaffairs.models import CadreInvitation, Role

    invitation = CadreInvitation.objects.create(
        village=p.here,
        phone="+8613800009999",
        role=Role.CADRE,
        invited_by=p.operator,
        expires_at=timezone.now() + timezone.timedelta(days=14),
    )
    return reverse("cadre_invitation_revoke", args=[p.here.slug, invitation.pk])


# Only the head of the household the request names (villager_here) confirms from My household.
HEAD_POST = expect(
    anonymous=302,
    villager_here=302,
    grid_worker_here=404,
    resident_here=404,
    finance_here=404,
    villager_elsewhere=404,
    cadre_here=404,
    cadre_elsewhere=404,
    operator=404,
    officer_serving=404,
    officer_other=404,
)


def _head_household(p):
    return Household.objects.get(residents__user=p.villager_here)


# An act's page: the village's assisters and the villager it was done for; not their
# household's other members. The officials over the village read the acts (read only).
ACT_PAGE = ASSISTERS | {"villager_here": 200, "resident_here": 404, "finance_here": 404} | OVERSEERS
ASSISTERS_OVERSEEN = ASSISTERS | OVERSEERS


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
    Case("cadre_work", lambda p: reverse("cadre_work", args=[p.here.slug]), CADRES_OVERSEEN),
    Case(
        "cadre_work",
        lambda p: reverse("cadre_work", args=[p.here.slug]),
        CADRES_OVERSEEN_POST,
        method="post",
    ),
    Case(
        "household_register",
        lambda p: reverse("household_register", args=[p.here.slug]),
        CADRES_OVERSEEN,
    ),
    Case("officials", lambda p: reverse("officials"), OFFICIALS_PAGE),
    Case("cadre_invitations", lambda p: reverse("cadre_invitations", args=[p.here.slug]), INVITERS),
    Case(
        "cadre_invitations",
        lambda p: reverse("cadre_invitations", args=[p.here.slug]),
        INVITERS_POST,
        method="post",
        data={"phone": "138 0000 0077", "role": "cadre"},
    ),
    Case(
        "cadre_invitation_revoke",
        _invitation,
        INVITERS_POST,
        method="post",
    ),
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
    Case("notices", lambda p: reverse("notices", args=[p.here.slug]), PUBLIC),
    Case("my_household", lambda p: reverse("my_household", args=[p.here.slug]), MEMBERS),
    Case(
        "household_public",
        lambda p: reverse("household_public", args=[HouseholdFactory(village=p.here).code]),
        PUBLIC,
        foreign=False,  # public by design, whatever its village
    ),
    Case("assist", lambda p: reverse("assist", args=[p.here.slug]) + "?q=1", ASSISTERS_OVERSEEN),
    Case(
        "assist",
        lambda p: reverse("assist", args=[p.here.slug]),
        ASSISTERS | CADRES_OVERSEEN_POST | {"grid_worker_here": 405},
        method="post",
    ),
    Case(
        "assist_resident",
        lambda p: reverse("assist_resident", args=[p.here.slug, p.villager_here.resident.pk]),
        ASSISTERS_OVERSEEN,
    ),
    Case("assist_act", _act_url("assist_act"), ACT_PAGE),
    # A dispute posted by an official: read only (403), nothing recorded.
    Case(
        "assist_act",
        _act_url("assist_act"),
        ACT_PAGE
        | dict.fromkeys(OVERSEERS, 403)
        | {"villager_here": 302, "cadre_here": 302, "operator": 302, "grid_worker_here": 404},
        method="post",
        data={"reason": "我没有要求"},
        # The officials' 403 comes before any lookup; the GET case tries another village's act.
        foreign=False,
    ),
    Case("assist_slip", _act_url("assist_slip"), ASSISTERS_OVERSEEN),
    Case("assist_signature", _act_url("assist_signature"), ACT_PAGE),
    Case("healthz", lambda p: reverse("healthz"), PUBLIC),
    Case("favicon", lambda p: reverse("favicon"), PUBLIC),
    Case("join", lambda p: reverse("join") + "?q=友谊", SIGNED_IN),
    Case(
        "join_withdraw",
        lambda p: reverse("join_withdraw"),
        SIGNED_IN | dict.fromkeys(SIGNED_IN, 302),
        method="post",
    ),
    Case("village_join", lambda p: reverse("village_join", args=[p.here.slug]), SIGNED_IN),
    Case(
        "village_join",
        lambda p: reverse("village_join", args=[p.here.slug]),
        SIGNED_IN,  # these accounts may not ask: the page says so, and nothing is saved
        method="post",
        data={"house_number": "001", "name": "王", "born_on": "1990-01-01"},
    ),
    Case(
        "join_decide",
        lambda p: reverse("join_decide", args=[p.here.slug, pending_join_request(p.here).pk]),
        CADRES | {"cadre_here": 302, "operator": 302},
        method="post",
        data={"decision": "refuse", "reason": "不是本村人"},
    ),
    Case(
        "join_confirm_member",
        lambda p: reverse(
            "join_confirm_member",
            args=[p.here.slug, pending_join_request(p.here, _head_household(p)).pk],
        ),
        HEAD_POST,
        method="post",
    ),
    # The region dashboards: public by design, for every role.
    Case("region_index", lambda p: reverse("region_index"), PUBLIC),
    Case("region_home", lambda p: reverse("region_home", args=[p.here.region.slug]), PUBLIC),
    Case(
        "region_home",
        lambda p: reverse("region_home", args=[p.here.region.slug]) + "?period=year&sort=-topics",
        PUBLIC,
    ),
    Case("region_export", lambda p: reverse("region_export", args=[p.here.region.slug]), PUBLIC),
    Case(
        "region_village",
        lambda p: reverse("region_village", args=[p.here.region.slug, p.here.slug]),
        PUBLIC,
    ),
]
