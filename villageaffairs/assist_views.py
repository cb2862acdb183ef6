"""Act for a villager: /v/<village>/assist/. A cadre or a grid worker picks the resident, then
what to do; each app offers its acts (``<app>.selectors.assist_actions(village, resident)``
returns a list of {"label", "url"}). The act's page is also its printable slip."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from villageaffairs import assist, media
from villageaffairs.parsing import text_param
from villageaffairs.permissions import ASSIST
from villageaffairs.tenancy import village_view
from villageaffairs.views import HOME_APPS, _optional_module


@village_view(ASSIST, oversee=True)
@require_GET
def assist_home(request, village_slug):
    q = text_param(request.GET, "q", max_length=60)
    found = list(assist.residents_search(request.village, q))
    if request.read_only:  # an official over the village reads what everyone entered
        recent = assist.acts_in(request.village)[:30]
    else:
        recent = assist.acts_by(request.village, request.user)[:10]
    context = {"q": q, "found": found, "recent": recent}
    return render(request, "villageaffairs/assist.html", context)


def _resident(request, pk):
    found = assist.resident(request.village, pk)
    if found is None:
        raise Http404("No such resident.")
    return found


@village_view(ASSIST, oversee=True)
@require_GET
def assist_resident(request, village_slug, resident_pk):
    """What can be done for this resident, and what was done for them (only the latter for an
    official over the village)."""
    resident = _resident(request, resident_pk)
    refused = None
    actions = []
    if not request.read_only:
        try:
            assist.check(actor=request.user, village=request.village, resident_obj=resident)
        except assist.AssistError as exc:
            refused = exc.messages
        else:
            for app in HOME_APPS:
                module = _optional_module(f"{app}.selectors")
                if module is not None and hasattr(module, "assist_actions"):
                    actions.extend(module.assist_actions(request.village, resident))
    context = {
        "resident": resident,
        "refused": refused,
        "actions": actions,
        "acts": assist.acts_for(resident)[:30],
    }
    return render(request, "villageaffairs/assist_resident.html", context)


def _act(request, pk):
    found = assist.act(request.village, pk)
    if found is None or not (request.read_only or assist.may_see(request.user, found)):
        raise Http404("No such act.")
    return found


@village_view("village.member", oversee=True)
@require_http_methods(["GET", "POST"])
def assist_act(request, village_slug, pk):
    """One act: what was done, for whom, by whom, with what evidence; the villager (from their
    inbox) or a cadre (for a dispute made in person) may dispute it here."""
    act = _act(request, pk)
    own = act.resident.user_id == request.user.pk
    may_dispute = act.disputed_at is None and (own or "village.manage" in request.village_perms)
    form = assist.DisputeForm(request.POST or None)
    if request.method == "POST":
        if not may_dispute:
            raise Http404("Not yours to dispute.")
        if form.is_valid():
            try:
                assist.act_dispute(
                    actor=request.user, act_obj=act, reason=form.cleaned_data["reason"]
                )
            except assist.AssistError as exc:
                form.add_error("reason" if hasattr(exc, "error_dict") else None, exc.messages)
            else:
                messages.success(
                    request, _("The dispute is recorded. The cadres will look into it.")
                )
                return redirect("assist_act", village_slug=village_slug, pk=act.pk)
    context = {"act": act, "own": own, "may_dispute": may_dispute, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "villageaffairs/assist_act.html", context, status=status)


@village_view(ASSIST, oversee=True)
@require_GET
def assist_slip(request, village_slug, pk):
    """A slip to print (A5) for a villager without an account: what was done, for whom, by
    whom, when, and a line for their signature."""
    act = _act(request, pk)
    return render(request, "villageaffairs/assist_slip.html", {"act": act})


@village_view("village.member", oversee=True)
@require_GET
def assist_signature(request, village_slug, pk):
    """The photo of the villager's signature: private, for the assisters and the villager."""
    act = _act(request, pk)
    return media.serve(act.signature, private=True)
