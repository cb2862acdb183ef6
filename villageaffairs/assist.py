"""Assisted entry: a cadre or a grid worker (网格员) acts for a resident of their village who
came to the office or was visited at home, and who may have no account at all.

The thing entered (a talk topic, a points claim, a loan consent) lives in its app and names the
resident (``for_resident``) and the act (``assisted_act``). The act (``AssistedAct``) says who
acted for whom, with the villager's agreement: a photo of their signature or a named witness.

The core never imports an app. Apps join through two registries, filled in their
``AppConfig.ready``:

- ``register_kind(kind, on_dispute=...)``: what a dispute does to the thing (withdraw a pending
  claim, revoke a consent); it gets the locked act and the user who recorded the dispute.
- ``listen(on_act=..., on_dispute=...)``: told of each act and dispute inside the transaction
  (the talks app puts them in the inbox of the villager and of the cadres).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villageaffairs import audit, housenumbers
from villageaffairs.images import PhotosField
from villageaffairs.models import AssistedAct, Resident, Role, RoleAssignment
from villageaffairs.permissions import ASSIST, village_perms

REASON_MAX = 300
WITNESS_MAX = 60
SEARCH_LIMIT = 30


class AssistError(ValidationError):
    """An assisted act that breaks a rule; nothing was changed."""


@dataclass(frozen=True)
class Kind:
    on_dispute: Callable | None = None


KINDS: dict[str, Kind] = {}
LISTENERS: list[dict] = []


def register_kind(kind: str, *, on_dispute: Callable | None = None) -> None:
    KINDS[kind] = Kind(on_dispute=on_dispute)


def listen(*, on_act: Callable | None = None, on_dispute: Callable | None = None) -> None:
    LISTENERS.append({"on_act": on_act, "on_dispute": on_dispute})


def _tell(event: str, act: AssistedAct) -> None:
    for listener in LISTENERS:
        if listener.get(event) is not None:
            listener[event](act)


# --- reads ---------------------------------------------------------------------------------


def may_assist(user, village) -> bool:
    return ASSIST in village_perms(user, village)


def residents_search(village, q: str):
    """Residents of the village by name or house number (any spelling: 7, 007, 7号)."""
    q = (q or "").strip()
    if not q:
        return Resident.objects.none()
    found = Resident.objects.filter(village=village).filter(
        Q(name__icontains=q) | housenumbers.matching(q, "household__house_number")
    )
    return found.select_related("household").order_by("household__house_number", "name")[
        :SEARCH_LIMIT
    ]


def resident(village, pk) -> Resident | None:
    """A resident of this village (None for another village's: the views answer 404)."""
    return Resident.objects.filter(village=village, pk=pk).select_related("household").first()


def acts_for(resident_obj: Resident):
    return AssistedAct.objects.filter(resident=resident_obj).select_related("actor")


def acts_by(village, actor):
    return AssistedAct.objects.filter(village=village, actor=actor).select_related(
        "resident__household"
    )


def acts_in(village):
    """The village's acts, latest first: what an official over the village reads."""
    return (
        AssistedAct.objects.filter(village=village)
        .select_related("actor", "resident__household")
        .order_by("-created_at", "-pk")
    )


def act(village, pk) -> AssistedAct | None:
    return (
        AssistedAct.objects.filter(village=village, pk=pk)
        .select_related("actor", "resident__household", "disputed_by", "village")
        .first()
    )


def may_see(user, act_obj: AssistedAct) -> bool:
    """The act's page: the village's assisters, and the villager it was done for."""
    if not user.is_authenticated:
        return False
    return act_obj.resident.user_id == user.pk or may_assist(user, act_obj.village)


def acting_role(user, village) -> str:
    """The role an act is shown under: grid worker, unless the user is also a cadre."""
    roles = set(
        RoleAssignment.objects.filter(user=user, village=village).values_list("role", flat=True)
    )
    if roles & {Role.CADRE, Role.SECRETARY, Role.ACCOUNTANT} or getattr(user, "is_operator", False):
        return Role.CADRE
    if Role.GRID_WORKER in roles:
        return Role.GRID_WORKER
    return Role.CADRE


# --- writes --------------------------------------------------------------------------------


def check(*, actor, village, resident_obj: Resident) -> None:
    """May ``actor`` act for ``resident_obj`` in ``village``? Raise AssistError if not."""
    if not may_assist(actor, village):
        raise AssistError(_("You may not act for villagers in this village."), code="forbidden")
    if resident_obj.village_id != village.pk:
        raise AssistError(_("Choose a resident of this village."), code="other_village")
    own = Resident.objects.filter(
        village=village, household_id=resident_obj.household_id, user_id=actor.pk
    ).exists()
    if own:
        raise AssistError(
            _(
                "You cannot act for your own household. Ask another cadre or grid worker to "
                "enter it."
            ),
            code="own_household",
        )


def clean_evidence(*, signature=None, witness: str = "") -> str:
    """The villager's agreement: a signature photo or a witness's name. Returns the witness."""
    witness = (witness or "").strip()
    if len(witness) > WITNESS_MAX:
        raise AssistError(
            {"witness": _("At most %(n)d characters.") % {"n": WITNESS_MAX}}, code="too_long"
        )
    if signature is None and not witness:
        raise AssistError(
            {
                "signature": _(
                    "Add a photo of the villager's signature, or name a witness who heard them "
                    "agree."
                )
            },
            code="no_evidence",
        )
    return witness


def act_record(
    *,
    actor,
    village,
    resident_obj: Resident,
    kind: str,
    summary: str,
    url: str = "",
    signature=None,
    witness: str = "",
    obj=None,
) -> AssistedAct:
    """Record an act done for a resident (call inside the app's transaction, after ``check``
    and ``clean_evidence``). Audited with both people; the listeners are told."""
    check(actor=actor, village=village, resident_obj=resident_obj)
    witness = clean_evidence(signature=signature, witness=witness)
    found = AssistedAct(
        village=village,
        actor=actor,
        actor_role=acting_role(actor, village),
        resident=resident_obj,
        kind=kind,
        summary=summary[:REASON_MAX],
        url=url[:200],
        witness=witness,
        created_at=timezone.now(),
    )
    if signature is not None:
        # Already cleaned (villageaffairs.images.clean_image): re-encoded, randomly named.
        found.signature.save(signature.image.name, signature.image, save=False)
    found.save()
    audit.record(
        actor=actor,
        action="assist.act",
        obj=obj if obj is not None else found,
        village=village,
        acted_for=resident_obj.user if resident_obj.user_id else None,
        changes={
            "act": found.pk,
            "kind": kind,
            "resident": resident_obj.pk,
            "witness": witness,
            "signature": signature is not None,
        },
    )
    _tell("on_act", found)
    return found


def act_url(act_obj: AssistedAct, obj_url: str) -> None:
    """Set the link to the thing once it has an id."""
    AssistedAct.objects.filter(pk=act_obj.pk).update(url=obj_url[:200])
    act_obj.url = obj_url[:200]


@transaction.atomic
def act_dispute(*, actor, act_obj: AssistedAct, reason: str) -> AssistedAct:
    """The villager disputes an act done for them (from the inbox), or a cadre writes down a
    dispute the villager made in person. The app undoes what it can (a pending claim is
    withdrawn, a consent revoked); the cadres are told."""
    found = (
        AssistedAct.objects.select_for_update()
        .select_related("resident", "village")
        .get(pk=act_obj.pk)
    )
    own = found.resident.user_id is not None and found.resident.user_id == actor.pk
    if not own and "village.manage" not in village_perms(actor, found.village):
        raise AssistError(_("You may not dispute this."), code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise AssistError({"reason": _("Say what is wrong.")}, code="empty")
    if len(reason) > REASON_MAX:
        raise AssistError(
            {"reason": _("At most %(n)d characters.") % {"n": REASON_MAX}}, code="too_long"
        )
    now = timezone.now()
    won = AssistedAct.objects.filter(pk=found.pk, disputed_at__isnull=True).update(
        disputed_at=now, dispute_reason=reason, disputed_by=actor
    )
    if not won:
        raise AssistError(_("This has already been disputed."), code="disputed")
    found.disputed_at, found.dispute_reason, found.disputed_by = now, reason, actor
    kind = KINDS.get(found.kind)
    if kind is not None and kind.on_dispute is not None:
        kind.on_dispute(found, actor)
    audit.record(
        actor=actor,
        action="assist.dispute",
        obj=found,
        village=found.village,
        acted_for=found.resident.user if found.resident.user_id else None,
        changes={"reason": reason, "in_person": not own},
    )
    _tell("on_dispute", found)
    return found


# --- forms ---------------------------------------------------------------------------------


class EvidenceForm(forms.Form):
    """The villager's agreement, carried by every assisted act's form (one of the two)."""

    signature = PhotosField(
        label=_("Photo of the villager's signature (or thumbprint)"), max_photos=1
    )
    witness = forms.CharField(
        label=_("Or the name of a witness who heard the villager agree"),
        max_length=WITNESS_MAX,
        required=False,
    )

    def evidence(self) -> dict:
        cd = self.cleaned_data
        return {"signature": (cd.get("signature") or [None])[0], "witness": cd.get("witness", "")}


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong?"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
