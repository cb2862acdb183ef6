"""The region official's pages: their regions and villages, and the cadre invitations of a
village (villageaffairs.officials)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from villageaffairs import officials
from villageaffairs.parsing import page_param, text_param
from villageaffairs.tenancy import village_view

VILLAGES_PER_PAGE = 30


@login_required
@require_GET
def home(request):
    """Where an official lands after signing in: their regions and the villages under them."""
    posts = officials.official_posts(request.user)
    if not posts:
        raise Http404("Not an official.")
    q = text_param(request.GET, "q", max_length=60)
    page = Paginator(officials.villages_overseen(request.user, q), VILLAGES_PER_PAGE).get_page(
        page_param(request.GET)
    )
    return render(request, "villageaffairs/officials.html", {"posts": posts, "page": page, "q": q})


@village_view("village.invite")
@require_http_methods(["GET", "POST"])
def invitations(request, village_slug):
    form = officials.InvitationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                invitation = officials.invitation_create(
                    actor=request.user, village=request.village, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "%(phone)s is invited as %(role)s. The invitation is accepted when this "
                        "number signs in with an SMS code."
                    )
                    % {"phone": invitation.phone, "role": invitation.get_role_display()},
                )
                return redirect("cadre_invitations", village_slug)
    page = Paginator(officials.invitations_of_village(request.village), 30).get_page(
        page_param(request.GET)
    )
    context = {"form": form, "page": page}
    return render(request, "villageaffairs/invitations.html", context, status=status)


@village_view("village.invite")
@require_POST
def invitation_revoke(request, village_slug, pk):
    invitation = get_object_or_404(request.village.cadre_invitations, pk=pk)
    try:
        officials.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The invitation was revoked."))
    return redirect("cadre_invitations", village_slug)
