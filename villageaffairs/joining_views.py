"""Pages of join requests (``villageaffairs.joining``): asking, seeing the state, deciding."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from villageaffairs import joining, selectors
from villageaffairs.parsing import page_param, text_param
from villageaffairs.tenancy import village_view
from villageaffairs.widgets import DateInput


class JoinForm(forms.Form):
    house_number = forms.CharField(
        label=gettext_lazy("House number"),
        max_length=20,
        help_text=gettext_lazy("As on your door plate, for example 017."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=60,
        help_text=gettext_lazy("As written in the household register."),
    )
    born_on = forms.DateField(label=gettext_lazy("Date of birth"), widget=DateInput())

    def clean_born_on(self):
        born_on = self.cleaned_data["born_on"]
        if not date(1900, 1, 1) <= born_on <= timezone.localdate():
            raise ValidationError(_("Enter your real date of birth."), code="bounds")
        return born_on


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("confirm", gettext_lazy("Confirm")),
            ("refuse", gettext_lazy("Refuse")),
        ]
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for refusing."))
        return cleaned


@login_required
@require_GET
def join(request):
    """The asker's page: the state of their requests, and where they have none waiting, a
    search for their village (each result leads to that village's form)."""
    q = text_param(request.GET, "q", max_length=60)
    page = None
    if q:
        page = Paginator(selectors.village_search(q), 30).get_page(page_param(request.GET))
    context = {
        "q": q,
        "page": page,
        "may_ask": joining.may_ask_to_join(request.user),
        "join_requests": joining.requests_of_user(request.user),
    }
    return render(request, "villageaffairs/join.html", context)


@login_required
@require_POST
def join_withdraw(request):
    if joining.join_request_withdraw(actor=request.user):
        messages.success(request, _("Your request was withdrawn."))
    return redirect("join")


@village_view()
@require_http_methods(["GET", "POST"])
def village_join(request, village_slug):
    """The form: household number, name and birth date of a resident already on the register."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    may_ask = joining.may_ask_to_join(request.user)
    pending = joining.pending_request_of_user(request.user)
    form = JoinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and may_ask and pending is None and form.is_valid():
        try:
            joining.join_request_create(
                actor=request.user, village=request.village, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your request was sent. The village will confirm it."))
            return redirect("join")
    context = {"form": form, "may_ask": may_ask, "pending": pending}
    return render(request, "villageaffairs/village_join.html", context)


@village_view("village.manage")
@require_POST
def join_decide(request, village_slug, pk):
    """A cadre confirms or refuses (with a reason) on the cadre work page."""
    join_request = joining.request_in_village(request.village, pk)
    return _decide(request, join_request, DecideForm(request.POST), "cadre_work")


@village_view("village.member")
@require_POST
def join_confirm_member(request, village_slug, pk):
    """The head of a household confirms a request for one of its members (My household)."""
    join_request = get_object_or_404(
        request.village.join_requests, pk=pk, household__head__user=request.user
    )
    return _decide(request, join_request, DecideForm({"decision": "confirm"}), "my_household")


def _decide(request, join_request, form, back):
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back, village_slug=request.village.slug)
    try:
        if form.cleaned_data["decision"] == "confirm":
            joining.join_request_confirm(actor=request.user, join_request=join_request)
            messages.success(
                request,
                _("%(name)s is now linked to the account.") % {"name": join_request.resident.name},
            )
        else:
            joining.join_request_refuse(
                actor=request.user, join_request=join_request, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("The request was refused."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(back, village_slug=request.village.slug)
