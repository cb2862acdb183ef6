"""Pages of the loans app: the bank's side under /bank/, the household's under /v/<village>/credit/.

Thin: permissions by decorator, reads from selectors, writes through services.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loans import forms, selectors, services
from loans.access import bank_staff_view, bank_view
from loans.models import Application, Branch, Lookup
from villageaffairs import assist
from villageaffairs.parsing import page_param
from villageaffairs.permissions import ASSIST
from villageaffairs.tenancy import village_view


def _form_error(form, exc: services.LoanError) -> None:
    field = exc.field if exc.field in form.fields else None
    for message in exc.messages:
        form.add_error(field, message)


def _household(request, code):
    household = selectors.household_for_branch(request.branch, code)
    if household is None:  # not served by this branch: as if it did not exist
        raise Http404("No such household.")
    return household


# --- the bank's side -----------------------------------------------------------------------


@bank_staff_view
@require_GET
def index(request):
    roles = selectors.branches_of(request.user)
    return render(request, "loans/index.html", {"roles": roles, "form": forms.LookupForm()})


@bank_view("loans.lookup")
@require_GET
def lookup(request):
    form = forms.LookupForm(request.GET if "q" in request.GET else None)
    page, q = None, ""
    if form.is_bound and form.is_valid():
        q, purpose = form.cleaned_data["q"], form.cleaned_data["purpose"]
        code = selectors.sign_code(q)
        if code and (household := selectors.household_for_branch(request.branch, code)):
            return redirect(_profile_url(request.branch, household, purpose))
        page = selectors.search_households(request.branch, q, page_param(request.GET))
    context = {"form": form, "scan_form": forms.ScanForm(), "page": page, "q": q}
    return render(request, "loans/lookup.html", context)


@bank_view("loans.lookup")
@require_POST
def scan(request):
    """Look up a household from a photo of its courtyard sign."""
    form = forms.ScanForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        code = selectors.sign_code_in_photo(form.cleaned_data["photo"])
        household = code and selectors.household_for_branch(request.branch, code)
        if household:
            return redirect(_profile_url(request.branch, household, form.cleaned_data["purpose"]))
        if code is None:
            form.add_error(
                "photo",
                _(
                    "No household sign's QR code was found in the photo. "
                    "Hold the phone closer, in good light, and try again."
                ),
            )
        else:  # a sign of a village this branch does not serve: as if it did not exist
            status = 404
            form.add_error(
                "photo", _("No household of the villages this branch serves has this sign.")
            )
    context = {"form": forms.LookupForm(), "scan_form": form, "page": None, "q": ""}
    return render(request, "loans/lookup.html", context, status=status)


def _profile_url(branch, household, purpose) -> str:
    url = reverse("loans:profile", kwargs={"branch_id": branch.pk, "code": household.code})
    return f"{url}?{urlencode({'purpose': purpose})}"


@bank_view("loans.lookup")
@require_GET
def profile(request, code):
    household = _household(request, code)
    form = forms.PurposeForm(request.GET if "purpose" in request.GET else None)
    if not form.is_valid():  # no purpose, no look: the page asks first and logs nothing
        return render(request, "loans/purpose.html", {"household": household, "form": form})
    credit = selectors.branch_credit(request.branch.pk, household)
    services.lookup_record(
        officer=request.user,
        branch=request.branch,
        household=household,
        purpose=form.cleaned_data["purpose"],
        full_profile=credit.full,
    )
    context = {
        "household": household,
        "full": credit.full,
        "consent": credit.consent,
        "profile": credit.profile,
        "purpose": form.cleaned_data["purpose"],
    }
    if credit.full:
        context["applications"] = selectors.applications_of_household(
            household, branch_id=request.branch.pk
        )
    return render(request, "loans/profile.html", context)


@bank_view("loans.apply")
@require_http_methods(["GET", "POST"])
def application_new(request, code):
    household = _household(request, code)
    if selectors.consent_of(request.branch.pk, household) is None:
        raise Http404("No consent.")
    form = forms.ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_submit(
                actor=request.user, branch=request.branch, household=household, **form.cleaned_data
            )
        except services.LoanError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The application is recorded."))
            return redirect("loans:application", branch_id=request.branch.pk, pk=application.pk)
    if request.method == "GET":
        services.lookup_record(
            officer=request.user,
            branch=request.branch,
            household=household,
            purpose=Lookup.Purpose.APPLICATION,
            full_profile=True,
        )
    profile = selectors.credit_profile(request.branch.pk, household)
    context = {"household": household, "form": form, "profile": profile}
    return render(request, "loans/application_new.html", context)


@bank_view("loans.lookup")
@require_GET
def applications(request):
    state = request.GET.get("state", "")
    if state not in Application.State.values:
        state = ""
    page = selectors.applications_of_branch(request.branch, state, page_param(request.GET))
    context = {"page": page, "state": state, "states": Application.State.choices}
    return render(request, "loans/applications.html", context)


DECISIONS = {
    "approve": lambda actor, app, data: services.application_approve(
        actor=actor, application=app, amount=data["amount"]
    ),
    "decline": lambda actor, app, data: services.application_decline(
        actor=actor, application=app, reason=data["reason"]
    ),
    "disburse": lambda actor, app, data: services.application_disburse(
        actor=actor, application=app
    ),
}


@bank_view("loans.lookup")
@require_http_methods(["GET", "POST"])
def application(request, pk):
    app = selectors.application_of_branch(request.branch, pk)
    if app is None:
        raise Http404("No such application.")
    form = forms.DecisionForm(request.POST or None)
    if request.method == "POST":
        if "loans.decide" not in request.branch_perms:
            raise Http404("Not found.")
        if form.is_valid():
            try:
                DECISIONS[form.cleaned_data["action"]](request.user, app, form.cleaned_data)
            except services.LoanError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The application is updated."))
                return redirect("loans:application", branch_id=request.branch.pk, pk=app.pk)
    context = {"application": app, "form": form, "schedule": app.schedule()}
    return render(request, "loans/application.html", context)


@bank_view("loans.audit")
@require_GET
def lookups(request):
    page = selectors.lookups_of_branch(request.branch, page_param(request.GET))
    return render(request, "loans/lookups.html", {"page": page})


@bank_view("loans.lookup")
@require_GET
def policy(request):
    context = {
        "in_force": selectors.policy_in_force(request.branch.pk),
        "policies": selectors.policies_of(request.branch),
        "villages": request.branch.villages.order_by("name"),
    }
    return render(request, "loans/policy.html", context)


@bank_view("loans.policy")
@require_http_methods(["GET", "POST"])
def policy_new(request):
    form = forms.PolicyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if not k.startswith("limit_")}
        try:
            services.policy_create(
                actor=request.user, branch=request.branch, tiers=form.tiers(), **values
            )
        except services.LoanError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The new policy version is saved."))
            return redirect("loans:policy", branch_id=request.branch.pk)
    return render(request, "loans/policy_new.html", {"form": form})


@bank_view("loans.tokens")
@require_http_methods(["GET", "POST"])
def tokens(request):
    """The branch's API tokens; a new one is shown on this answer once, and never again."""
    form = forms.TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, plain = services.token_create(
                actor=request.user, branch=request.branch, **form.cleaned_data
            )
        except services.LoanError as exc:
            _form_error(form, exc)
        else:
            created = {"token": token, "plain": plain}
            form = forms.TokenForm()
    context = {"form": form, "created": created, "tokens": selectors.tokens_of(request.branch)}
    status = 400 if request.method == "POST" and created is None else 200
    response = render(request, "loans/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the token must not stay in any cache
    return response


@bank_view("loans.tokens")
@require_http_methods(["GET", "POST"])
def token_revoke(request, pk):
    token = selectors.token_of_branch(request.branch, pk)
    if token is None:
        raise Http404("No such token.")
    if request.method == "POST":
        if services.token_revoke(actor=request.user, token=token):
            messages.success(request, _("The token is revoked."))
        return redirect("loans:tokens", branch_id=request.branch.pk)
    return render(request, "loans/token_revoke.html", {"token": token})


# --- the household's side ------------------------------------------------------------------


def _is_head(household, user) -> bool:
    # A household may have no head recorded (the head died, or the register is incomplete).
    return household.head_id is not None and household.head.user_id == user.pk


def _my_household(request, *, head=False):
    household = selectors.household_of(request.user, request.village)
    if household is None or (head and not _is_head(household, request.user)):
        raise Http404("No household.")
    return household


@village_view("village.member")
@require_GET
def credit(request, village_slug):
    household = selectors.household_of(request.user, request.village)
    context = {"household": household}
    if household is not None:
        context |= {
            "is_head": _is_head(household, request.user),
            "offers": selectors.household_credit(household),
            "lookups": selectors.lookups_of_household(household),
            "applications": selectors.applications_of_household(household),
        }
    return render(request, "loans/credit.html", context)


@village_view("village.member")
@require_POST
def consent(request, village_slug, branch_id):
    household = _my_household(request, head=True)
    branch = Branch.objects.filter(pk=branch_id, villages=request.village).first()
    if branch is None:
        raise Http404("No such branch.")
    if request.POST.get("action") == "revoke":
        services.consent_revoke(actor=request.user, household=household, branch=branch)
        messages.success(
            request, _("%(branch)s can no longer see your credit.") % {"branch": branch}
        )
    else:
        services.consent_grant(actor=request.user, household=household, branch=branch)
        messages.success(request, _("%(branch)s may now see your credit.") % {"branch": branch})
    return redirect("loans_village:credit", village_slug=request.village.slug)


@village_view(ASSIST)
@require_http_methods(["GET", "POST"])
def assist_consent(request, village_slug, resident_pk):
    """A cadre or a grid worker records a head of household's signed consent (assist)."""
    resident = assist.resident(request.village, resident_pk)
    if resident is None:
        raise Http404("No such resident.")
    branches = selectors.branches_serving(request.village)
    form = forms.AssistedConsentForm(request.POST or None, request.FILES or None, branches=branches)
    if request.method == "POST" and form.is_valid():
        branch = next(b for b in branches if b.pk == form.cleaned_data["branch"])
        try:
            consent = services.consent_grant_assisted(
                actor=request.user,
                resident=resident,
                branch=branch,
                signature=form.cleaned_data["signature"][0],
            )
        except services.LoanError as exc:
            _form_error(form, exc)
        except assist.AssistError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            messages.success(
                request, _("%(branch)s may now see the household's credit.") % {"branch": branch}
            )
            return redirect("assist_act", village_slug, consent.assisted_act_id)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "resident": resident}
    return render(request, "loans/assist_consent.html", context, status=status)


@village_view("village.member")
@require_http_methods(["GET", "POST"])
def apply(request, village_slug):
    household = _my_household(request, head=True)
    branches = selectors.branches_serving(request.village)
    form = forms.HouseholdApplicationForm(request.POST or None, branches=branches)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        branch = next(b for b in branches if b.pk == data.pop("branch"))
        try:
            app = services.application_submit(
                actor=request.user, branch=branch, household=household, **data
            )
        except services.LoanError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your application is sent to the bank."))
            return redirect("loans_village:application", village_slug=village_slug, pk=app.pk)
    context = {
        "form": form,
        "household": household,
        "offers": selectors.household_credit(household),
    }
    return render(request, "loans/apply.html", context)


@village_view("village.member")
@require_GET
def household_application(request, village_slug, pk):
    household = _my_household(request)
    app = selectors.application_of_household(household, pk)
    if app is None:
        raise Http404("No such application.")
    context = {
        "application": app,
        "schedule": app.schedule(),
        "is_head": _is_head(household, request.user),
    }
    return render(request, "loans/household_application.html", context)


@village_view("village.member")
@require_POST
def withdraw(request, village_slug, pk):
    household = _my_household(request, head=True)
    app = selectors.application_of_household(household, pk)
    if app is None:
        raise Http404("No such application.")
    try:
        services.application_withdraw(actor=request.user, application=app)
    except services.LoanError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("loans_village:application", village_slug=village_slug, pk=app.pk)
