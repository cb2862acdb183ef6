"""Pages of the points app. Thin: reads from selectors, writes through services."""

from django.contrib import messages
from django.db import router
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from points import forms, notices, selectors, services, signs
from points.models import (
    Claim,
    EvidencePhoto,
    LedgerEntry,
    Objection,
    Rank,
    RankingSnapshot,
    Redemption,
    SignPrint,
)
from points.services import PointsError
from villageaffairs import assist, fragments, media
from villageaffairs import notices as core_notices
from villageaffairs.models import Household
from villageaffairs.parsing import page_param, text_param
from villageaffairs.permissions import ASSIST, OVERSEE
from villageaffairs.prepared import Prepared
from villageaffairs.printing import PrintAddressError
from villageaffairs.tenancy import village_view


def _my_household_query(village_id: int, user_id: int):
    return Household.objects.filter(village_id=village_id, residents__user_id=user_id).order_by(
        "pk"
    )[:1]


# A villager's claims and points pages start here: compiled once (prepared).
_my_household_of = Prepared(_my_household_query, kinds=(int, int))


def _my_household(request) -> Household:
    household = _my_household_of.first(
        request.village.pk, request.user.pk, using=router.db_for_read(Household)
    )
    if household is None:
        raise Http404("No household.")
    household.village = request.village  # found in it: no second read of the village
    return household


def _error(request, exc: PointsError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@village_view()
@require_GET
def rules(request, village_slug):
    context = {
        "rules": selectors.rules_of(request.village),
        "history": selectors.rule_history(request.village),
    }
    return render(request, "points/rules.html", context)


@village_view()
@require_GET
def ranking(request, village_slug):
    """A page of the ranking. Its table is cached by snapshot (villageaffairs.fragments), and
    a phone that has this very page gets a 304."""
    village = request.village
    period = request.GET.get("period")
    period = period if period in RankingSnapshot.Period.values else RankingSnapshot.Period.ALL
    q = text_param(request.GET, "q", max_length=40)
    page = page_param(request.GET)
    mine_id = selectors.viewer_household_id(request.user, village)
    using = fragments.read_alias(request, RankingSnapshot)
    snapshot = selectors.latest_snapshot_head(village.pk, period, using=using)
    version = (village.pk, village.slug, village.name, period, snapshot and snapshot.pk)

    def tag():
        return fragments.etag(request, "ranking", *version, page, q)

    if (response := fragments.not_modified(request, tag)) is not None:
        return response

    def rendered():
        context = {"snapshot": snapshot, "q": q, "period": period, "mine_id": mine_id}
        context["mine"] = None
        if snapshot is not None:
            if mine_id is not None:
                context["mine"] = _ranking_mine(snapshot, mine_id)
            context["table"] = _ranking_table(village, snapshot, period, q, page, mine_id)
        return render(request, "points/ranking.html", context)

    # A search reads the names each time: not kept as a page.
    params = () if q else ("period", "page")
    response = fragments.anonymous_page(request, ("ranking", *version), rendered, params=params)
    return fragments.finish(request, response, tag)


def _ranking_mine(snapshot, household_id):
    """The viewer's place, cached with the snapshot (a snapshot never changes)."""

    def place():
        mine = selectors.ranking_mine(snapshot, household_id)
        return (mine.rank, mine.score, mine.previous_rank) if mine else ()

    found = fragments.get_or_render(fragments.key("ranking-mine", snapshot.pk, household_id), place)
    return Rank(household_id, *found) if found else None


def _ranking_table(village, snapshot, period, q, page, mine_id):
    """The table and pager of one page. A search is rendered each time (it reads the names);
    the viewer's own row, when on the page, is marked in a copy of its own."""

    def render_page(marked_id):
        def rendered():
            context = selectors.ranking(
                village, period=period, q=q, page=page, viewer_household_id=None, snapshot=snapshot
            )
            context.update(village=village, period=period, q=q, mine_id=marked_id)
            html = render_to_string("points/_ranking_table.html", context)
            return {"html": html, "ids": [row.household_id for row in context["page"]]}

        return rendered

    if q:
        return mark_safe(render_page(mine_id)()["html"])  # noqa: S308 - our own template's output
    version = (village.pk, village.slug, period, snapshot.pk, page)
    table = fragments.get_or_render(fragments.key("ranking", *version), render_page(None))
    if mine_id is not None and mine_id in table["ids"]:
        marked_key = fragments.key("ranking", *version, mine_id)
        table = fragments.get_or_render(marked_key, render_page(mine_id))
    return mark_safe(table["html"])  # noqa: S308 - our own template's output


@require_GET
def household_public(request, code):
    """The QR target on a courtyard sign: head, score, rank, stars, recent public entries.
    The figures are cached by the household's balance version and the village's snapshots;
    a phone coming back with the page's ETag gets a 304 (one query either way)."""
    using = fragments.read_alias(request, Household)
    household = selectors.household_page(code, using=using)
    if household is None:
        raise Http404("No such household.")
    request.village = village = household.village
    version = selectors.household_page_version(household)
    frame = (household.code, household.name, household.house_number, household.villager_group)
    frame += (village.slug, village.name)

    def tag():
        return fragments.etag(request, "household", *version, *frame)

    if (response := fragments.not_modified(request, tag)) is not None:
        return response

    def page():
        figures = fragments.get_or_render(
            fragments.key("household", village.slug, *version),
            lambda: render_to_string(
                "points/_household_figures.html",
                selectors.household_figures(household, using=using),
            ),
        )
        context = {"household": household, "figures": mark_safe(figures)}  # noqa: S308
        return render(request, "points/household_public.html", context)

    response = fragments.anonymous_page(request, ("household", *version, *frame), page)
    return fragments.finish(request, response, tag)


@village_view()
@require_GET
def posting(request, village_slug):
    page = selectors.posting(request.village, page_param(request.GET))
    return render(request, "points/posting.html", {"page": page, "q": ""})


@village_view()
@require_GET
def ranking_notice(request, village_slug):
    period = request.GET.get("period")
    period = period if period in RankingSnapshot.Period.values else RankingSnapshot.Period.ALL
    return core_notices.pdf_response(
        request,
        lambda: notices.ranking(request.village, period=period),
        f"{request.village.slug}-ranking-{period}.pdf",
    )


@village_view()
@require_GET
def posting_notice(request, village_slug):
    return core_notices.pdf_response(
        request,
        lambda: notices.posting(request.village),
        f"{request.village.slug}-points-posting.pdf",
    )


@village_view("village.member")
def objection_new(request, village_slug, entry_id):
    entry = get_object_or_404(
        LedgerEntry.objects.select_related("household"), village=request.village, pk=entry_id
    )
    form = forms.ObjectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.objection_raise(
                actor=request.user, entry=entry, text=form.cleaned_data["text"]
            )
        except PointsError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Your objection was sent to the village committee."))
        return redirect("points:posting", village_slug)
    return render(request, "points/objection_form.html", {"entry": entry, "form": form})


@village_view("points.claim")
def claims(request, village_slug):
    household = _my_household(request)
    form = forms.ClaimForm(request.POST or None, request.FILES or None, village=request.village)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.claim_submit(
                actor=request.user,
                household=household,
                rule=data["rule"],
                note=data["note"],
                photos=data["photos"],
                submission_key=data["submission_key"],
            )
        except PointsError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your claim was sent for review."))
            return redirect("points:claims", village_slug)
    context = {
        "household": household,
        "form": form,
        "claims": selectors.claims_of_household(household),
        "standing": selectors.household_standing(household),
    }
    status = 400 if request.method == "POST" else 200  # refused: shown again with the errors
    return render(request, "points/claims.html", context, status=status)


@village_view(ASSIST)
@require_http_methods(["GET", "POST"])
def assist_claim(request, village_slug, resident_pk):
    """A cadre or a grid worker claims points for a resident (villageaffairs.assist)."""
    resident = assist.resident(request.village, resident_pk)
    if resident is None:
        raise Http404("No such resident.")
    form = forms.AssistedClaimForm(
        request.POST or None, request.FILES or None, village=request.village
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            claim = services.claim_submit_assisted(
                actor=request.user,
                resident=resident,
                rule=data["rule"],
                note=data["note"],
                photos=data["photos"],
                submission_key=data["submission_key"],
                **form.evidence(),
            )
        except assist.AssistError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        except PointsError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("The claim for %(name)s was sent for review.") % {"name": resident.name}
            )
            return redirect("assist_act", village_slug, claim.assisted_act_id)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "resident": resident}
    return render(request, "points/assist_claim.html", context, status=status)


@village_view("points.claim")
@require_POST
def claim_withdraw(request, village_slug, pk):
    claim = get_object_or_404(Claim, household=_my_household(request), pk=pk)
    try:
        services.claim_withdraw(actor=request.user, claim=claim)
    except PointsError as exc:
        _error(request, exc)
    return redirect("points:claims", village_slug)


@village_view("points.review", oversee=True)
@require_GET
def review(request, village_slug):
    context = {
        "page": selectors.pending_claims(request.village, page_param(request.GET)),
        "objections": selectors.open_objections(request.village),
        "q": "",
    }
    return render(request, "points/review.html", context)


@village_view("points.review")
@require_POST
def review_decide(request, village_slug, pk):
    claim = get_object_or_404(Claim, village=request.village, pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            services.claim_approve(actor=request.user, claim=claim)
            messages.success(request, _("Approved: %(claim)s") % {"claim": claim})
        else:
            services.claim_reject(
                actor=request.user, claim=claim, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Rejected: %(claim)s") % {"claim": claim})
    except PointsError as exc:
        _error(request, exc)
    return redirect("points:review", village_slug)


@village_view("points.review")
@require_POST
def objection_resolve(request, village_slug, pk):
    objection = get_object_or_404(Objection, village=request.village, pk=pk)
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and write an answer."))
        return redirect("points:review", village_slug)
    try:
        services.objection_resolve(actor=request.user, objection=objection, **form.cleaned_data)
    except PointsError as exc:
        _error(request, exc)
    return redirect("points:review", village_slug)


@village_view("points.award")
def award(request, village_slug):
    form = forms.AwardForm(request.POST or None, request.FILES or None, village=request.village)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.award_direct(
                actor=request.user,
                household=data["house_number"],
                points=data["points"],
                reason=data["reason"],
                rule=data["rule"],
                photos=data["photos"],
            )
        except PointsError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Recorded: %(entry)s") % {"entry": entry})
            return redirect("points:award", village_slug)
    # A refusal, or a deduction waiting for the cadre to confirm the household: nothing written.
    status = 400 if request.method == "POST" else 200
    return render(request, "points/award.html", {"form": form}, status=status)


@village_view()
@require_GET
def shop(request, village_slug):
    household_id = selectors.viewer_household_id(request.user, request.village)
    context = {"items": selectors.shop_items(request.village), "form": forms.ReserveForm()}
    if household_id is not None and "points.redeem" in request.village_perms:
        household = Household.objects.get(pk=household_id)
        context["standing"] = selectors.household_standing(household)
        context["redemptions"] = selectors.household_redemptions(household)
    return render(request, "points/shop.html", context)


@village_view("points.redeem")
@require_POST
def shop_reserve(request, village_slug, pk):
    household = _my_household(request)
    item = get_object_or_404(request.village.shop_items, pk=pk)
    form = forms.ReserveForm(request.POST)
    if form.is_valid():
        try:
            services.redemption_create(
                actor=request.user, household=household, item=item, **form.cleaned_data
            )
        except PointsError as exc:
            _error(request, exc)
        else:
            messages.success(request, _("Reserved. Collect it at the village supermarket."))
    return redirect("points:shop", village_slug)


@village_view("points.supermarket")
def counter(request, village_slug):
    form = forms.CounterForm(request.POST or None, village=request.village)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.redemption_create(
                actor=request.user,
                household=data["house_number"],
                item=data["item"],
                quantity=data["quantity"],
                at_counter=True,
                submission_key=data["submission_key"],
            )
        except PointsError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Handed over and recorded."))
            return redirect("points:counter", village_slug)
    context = {"form": form, "reservations": selectors.reservations(request.village)}
    return render(request, "points/counter.html", context)


@village_view("points.supermarket")
@require_POST
def counter_reservation(request, village_slug, pk):
    redemption = get_object_or_404(Redemption, village=request.village, pk=pk)
    try:
        if request.POST.get("action") == "collect":
            services.redemption_collect(actor=request.user, redemption=redemption)
        else:
            services.redemption_cancel(actor=request.user, redemption=redemption)
    except PointsError as exc:
        _error(request, exc)
    return redirect("points:counter", village_slug)


@village_view("village.manage", oversee=True)
@require_GET
def sign_png(request, village_slug, pk):
    household = get_object_or_404(Household, village=request.village, pk=pk)
    try:
        url = signs.household_url(household)
    except PrintAddressError as exc:  # no sign that leads nowhere, not even a preview
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    png = signs.sign_png(household, url)
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="sign-{household.house_number}.png"'
    return response


def _sign_print(request, pk) -> SignPrint:
    return get_object_or_404(
        SignPrint.objects.select_related("village"), village=request.village, pk=pk
    )


@village_view("village.manage", oversee=True)
@require_GET
def sign_print(request, village_slug, pk):
    """A print of courtyard signs: its progress while a worker draws it (the page refreshes
    itself, no JavaScript), then its download link, or why it failed and a retry."""
    return render(request, "points/sign_print.html", {"job": _sign_print(request, pk)})


@village_view("village.manage", oversee=True)
@require_GET
def sign_print_file(request, village_slug, pk):
    job = _sign_print(request, pk)
    if job.state != SignPrint.State.DONE:
        raise Http404("Not printed yet.")
    response = media.serve(job.file, private=True)
    response["Content-Disposition"] = f'attachment; filename="signs-{job.pk}.pdf"'
    return response


@village_view("village.manage")
@require_POST
def sign_print_retry(request, village_slug, pk):
    job = _sign_print(request, pk)
    try:
        services.sign_print_retry(actor=request.user, job=job)
    except PointsError as exc:
        _error(request, exc)
    except PrintAddressError as exc:
        messages.error(request, str(exc))
    return redirect("points:sign_print", village_slug, job.pk)


@village_view()
@require_GET
def photo(request, village_slug, pk, thumb=False):
    """Claim evidence: for the household it belongs to and the village's cadres (404 for the
    rest, anonymous included). Filed under private/ (villageaffairs.media)."""
    found = (
        EvidencePhoto.objects.filter(village=request.village, pk=pk)
        .select_related("claim", "entry")
        .first()
    )
    if found is None or not _may_see_evidence(request, found):
        raise Http404("No such photo.")
    return media.serve(found.thumbnail if thumb else found.image, private=True)


def _may_see_evidence(request, found: EvidencePhoto) -> bool:
    # The officials over the village read the review queue, photos included.
    if request.village_perms & {"points.review", OVERSEE}:
        return True
    user = request.user
    if not user.is_authenticated:
        return False
    claim, entry = found.claim, found.entry
    if claim is not None and user.pk in (claim.claimant_id, claim.acted_for_id):
        return True
    household_id = claim.household_id if claim is not None else entry and entry.household_id
    return (
        household_id is not None
        and Household.objects.filter(pk=household_id, residents__user=user).exists()
    )
