"""Pages of the talks app. Thin: reads from selectors, writes through services. A refused
write re-renders the page with what was typed and the error (status 400)."""

import json
from functools import cache, wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from talks import escalation, forms, notices, selectors, services
from talks.models import Comment, Entrustment, FollowUp, Notification, Task, Topic, Vote
from talks.services import TalksError
from talks.templatetags.talks_tags import region_name
from villageaffairs import assist, fragments, media
from villageaffairs import notices as core_notices
from villageaffairs.parsing import int_param, page_param, text_param
from villageaffairs.permissions import ASSIST, OVERSEE
from villageaffairs.tenancy import village_view


def _topic(request, pk, *, using: str | None = None) -> Topic:
    topic = selectors.topic(request.village, pk, using=using)
    if topic is None:
        raise Http404("No such topic.")
    return topic


# A service argument whose form field has another name.
FIELD_OF = {"note": "reason"}


def _apply_errors(form, exc: TalksError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = field if field in form.fields else FIELD_OF.get(field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _reply_to(request) -> dict:
    reply = int_param(request.GET, "reply", lo=1)
    return {"parent": reply} if reply is not None else {}


def _detail(request, topic, status=200, comments_section=None, **bound):
    context = selectors.topic_page(topic, request.user, page=page_param(request.GET))
    perms = request.village_perms
    context.update(
        reply_form=bound.get("reply_form") or forms.ReplyForm(),
        comment_form=bound.get("comment_form") or forms.CommentForm(initial=_reply_to(request)),
        rating_form=bound.get("rating_form") or forms.RatingForm(),
        progress_form=forms.ProgressForm(),
        manage_form=bound.get("manage_form") or forms.ManageForm(status=topic.status),
        may_rate=topic.status == Topic.Status.HANDLED
        and context["my_rating"] is None
        and services.may_rate(request.user, topic),
        is_author=request.user.is_authenticated
        and request.user.pk == topic.author_id
        and not services.entered_for_someone_else(topic),
        perms=perms,
        Status=Topic.Status,
        **_escalation_context(request, topic, bound),
        # A refused form is summed up at the top of this long page, linking to its fields.
        error_forms=[form for form in bound.values() if form.errors],
    )
    if comments_section is not None:  # put in afterwards (_anonymous_detail)
        context["comments_section"] = comments_section
    elif not perms & _THREAD_FORMS:
        comments = context["comments"]
        context["thread"] = _shared_thread(comments, topic.pk, topic.village_id, lambda: topic)
    return render(request, "talks/detail.html", context, status=status)


# The rights that put forms under each comment (support, report, reply, hide). Everyone else,
# signed-out readers first, sees the same thread.
_THREAD_FORMS = frozenset({"talks.comment", "talks.moderate"})


def _shared_thread(comments, topic_id, village_id, topic, using=None) -> str:
    """One page of the thread as a reader without the comment forms sees it, cached by what its
    comments show (read as plain rows: the comments themselves, and the topic, ``topic()``, only
    when it is rendered). A comment landing on another page, a reply of the village or a vote
    moves the page's version but not this part, which is then neither read nor rendered again."""
    rows = selectors.thread_shown(topic_id, village_id, comments.number, using=using)
    fragment = fragments.get_or_render(
        fragments.key("thread", village_id, topic_id, json.dumps(rows, default=str)),
        lambda: render_to_string(
            "talks/_thread.html", {"comments": comments, "perms": frozenset(), "topic": topic()}
        ),
    )
    return mark_safe(fragment)  # noqa: S308 - our own template's output


def _escalation_context(request, topic, bound) -> dict:
    """The escalation and follow-up parts of the topic page. They cost queries only where they
    apply: to an official on an escalated matter, to the author of a handled one."""
    user = request.user
    is_author = user.is_authenticated and user.pk == topic.author_id
    context = {
        "may_escalate": is_author
        and not services.entered_for_someone_else(topic)
        and escalation.escalable(topic),
        "escalate_form": bound.get("escalate_form") or forms.EscalateForm(),
        "is_official": False,
        "open_follow_up": None,
    }
    if topic.escalated_at is not None and escalation.may_act_as_official(user, topic):
        context.update(
            is_official=True,
            taken_over=escalation.taken_over(topic),
            official_reply_form=bound.get("official_reply_form") or forms.ReplyForm(),
            official_handled_form=bound.get("official_handled_form") or forms.OfficialHandledForm(),
            take_over_form=forms.TakeOverForm(),
        )
    if is_author and topic.status in (Topic.Status.HANDLED, Topic.Status.CLOSED):
        context["open_follow_up"] = selectors.open_follow_up(topic)
    return context


@village_view()
@require_GET
def topic_list(request, village_slug):
    status = request.GET.get("status", "")
    category = request.GET.get("category", "")
    mine = request.user if request.GET.get("mine") and request.user.is_authenticated else None
    context = {
        "page": selectors.topics(
            request.village,
            status=status,
            category=category,
            mine=mine,
            page=page_param(request.GET),
        ),
        "status": status,
        "category": category,
        "mine": bool(mine),
        "statuses": Topic.Status.choices,
        "categories": Topic.Category.choices,
        "record": selectors.cadre_record(request.village),
    }
    # The officials over the village read the moderation queue too (read only).
    if request.village_perms & {"talks.moderate", OVERSEE}:
        context["reported"] = selectors.reported_count(request.village)
    return render(request, "talks/list.html", context)


@village_view("talks.speak")
@require_http_methods(["GET", "POST"])
def topic_new(request, village_slug):
    form = forms.TopicForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic = services.topic_raise(
                actor=request.user, village=request.village, **form.cleaned_data
            )
        except TalksError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your matter has been raised. The village will reply."))
            return redirect(topic)
    status = 400 if request.method == "POST" else 200
    return render(request, "talks/new.html", {"form": form}, status=status)


@village_view(ASSIST)
@require_http_methods(["GET", "POST"])
def assist_topic(request, village_slug, resident_pk):
    """A cadre or a grid worker raises a matter for a resident (villageaffairs.assist)."""
    resident = assist.resident(request.village, resident_pk)
    if resident is None:
        raise Http404("No such resident.")
    form = forms.AssistedTopicForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            topic = services.topic_raise_assisted(
                actor=request.user,
                village=request.village,
                resident=resident,
                title=cd["title"],
                text=cd["text"],
                category=cd["category"],
                photos=cd["photos"],
                **form.evidence(),
            )
        except (TalksError, assist.AssistError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("The matter is raised for %(name)s.") % {"name": resident.name}
            )
            return redirect(topic)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "resident": resident}
    return render(request, "talks/assist_topic.html", context, status=status)


@village_view()
@require_GET
def topic_detail(request, village_slug, pk):
    # The version and what it keys are read on one database (fragments: Consistency).
    using = fragments.read_alias(request, Topic)
    asked = []

    def version() -> tuple:
        found = selectors.topic_page_version(request.village, pk, using=using)
        if found is None:
            raise Http404("No such topic.")
        asked.append(found)
        return ("topic", *found)

    def render_page():
        if asked:  # a signed-out reader's page: its frame and its thread cached apart
            return _anonymous_detail(request, pk, asked[0], using)
        return _detail(request, _topic(request, pk, using=using))

    return fragments.anonymous_page(
        request, version, render_page, params=("page",), timeout=selectors.TOPIC_PAGE_SECONDS
    )


#: Where a signed-out reader's cached frame of a topic page takes its comments.
_SECTION_HOLE = "\x00comments\x00"


def _anonymous_detail(request, pk, found, using):
    """A signed-out reader's topic page, when the whole page is not cached: everything but the
    comments (the frame) is cached under the page's version without its last step, which every
    comment and support moves; so after a comment only the comments section is put together
    again, from the version (its heading's count), the page count and the thread's key (its rows
    are cached too). The topic itself is read only if the frame or the thread is rendered."""
    topic = cache(lambda: _topic(request, pk, using=using))
    frame_key = fragments.key(
        "topic-frame", request.get_full_path(), *found[: selectors.FRAME_PARTS]
    )
    frame = fragments.get_or_render(
        frame_key,
        lambda: _detail(request, topic(), comments_section=_SECTION_HOLE).content.decode(),
        selectors.TOPIC_PAGE_SECONDS,
    )
    topic_id, village_id, comment_count = found[0], found[1], found[-1]
    comments = selectors.thread_page(
        topic_id, village_id, page=page_param(request.GET), using=using
    )
    context = {
        # All the section shows of the topic to a reader without its forms (no rights: perms).
        "topic": {"pk": topic_id, "comment_count": comment_count},
        "village": request.village,
        "comments": comments,
        "thread": _shared_thread(comments, topic_id, village_id, topic, using),
        "perms": frozenset(),
    }
    section = render_to_string("talks/_comments_section.html", context, request=request)
    return HttpResponse(frame.replace(_SECTION_HOLE, section, 1))


def _notice(request, render_pdf, pk: int, filename: str):
    def checked():
        pdf = render_pdf(request.village, pk)
        if pdf is None:
            raise Http404("Nothing to print.")
        return pdf

    return core_notices.pdf_response(request, checked, filename)


@village_view()
@require_GET
def vote_notice(request, village_slug, pk):
    """A vote's announcement for the notice board, with its result once it has closed."""
    return _notice(request, notices.vote, pk, f"{request.village.slug}-vote-{pk}.pdf")


@village_view()
@require_GET
def topic_notice(request, village_slug, pk):
    """A handled topic's result for the notice board; 404 until it is handled."""
    return _notice(request, notices.topic, pk, f"{request.village.slug}-talk-{pk}.pdf")


@village_view("talks.moderate", oversee=True)
@require_GET
def reports(request, village_slug):
    """The cadres' queue of reported comments: hide one (with a reason) or keep it."""
    page = selectors.reported_comments(request.village, page=page_param(request.GET))
    return render(request, "talks/reports.html", {"page": page})


@village_view("talks.moderate")
@require_POST
def keep(request, village_slug, comment_pk):
    comment = get_object_or_404(Comment, village=request.village, pk=comment_pk)
    try:
        services.comment_keep(actor=request.user, comment=comment)
    except TalksError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The comment stays visible."))
    return redirect("talks:reports", village_slug=request.village.slug)


@village_view("village.member")
@require_GET
def ballots(request, village_slug, pk, vote_pk):
    """The names and choices of an open ballot, for the village's members: a secret ballot,
    or one whose results are hidden until it closes, shows none (404)."""
    topic = _topic(request, pk)
    vote = get_object_or_404(Vote, topic=topic, pk=vote_pk)
    if vote.secret or (vote.closed_at is None and not vote.live_results):
        raise Http404("This ballot shows no names.")
    page = selectors.open_ballots(vote, page=page_param(request.GET))
    return render(request, "talks/ballots.html", {"topic": topic, "vote": vote, "page": page})


@village_view()
@require_GET
def topic_timeline(request, village_slug, pk):
    topic = _topic(request, pk)
    context = {"topic": topic, "page": selectors.timeline(topic, page=page_param(request.GET))}
    return render(request, "talks/timeline.html", context)


def _write(request, topic, call, *, form=None, form_name=None, done=None):
    """Run a service; on refusal show the page again with the message (and the form)."""
    try:
        call()
    except TalksError as exc:
        if form is not None:
            _apply_errors(form, exc)
            return _detail(request, topic, status=400, **{form_name: form})
        for message in exc.messages:
            messages.error(request, message)
        return redirect(topic)
    if done:
        messages.success(request, done)
    return redirect(topic)


@village_view("talks.reply")
@require_POST
def reply(request, village_slug, pk):
    topic = _topic(request, pk)
    form = forms.ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, topic, status=400, reply_form=form)
    call = lambda: services.reply_post(actor=request.user, topic=topic, **form.cleaned_data)  # noqa: E731
    return _write(request, topic, call, form=form, form_name="reply_form", done=_("Reply posted."))


@village_view("talks.comment")
@require_POST
def comment(request, village_slug, pk):
    topic = _topic(request, pk)
    form = forms.CommentForm(request.POST)
    if not form.is_valid():
        return _detail(request, topic, status=400, comment_form=form)
    parent = None
    if form.cleaned_data["parent"]:
        parent = get_object_or_404(Comment, topic=topic, pk=form.cleaned_data["parent"])
    text = form.cleaned_data["text"]
    call = lambda: services.comment_post(actor=request.user, topic=topic, text=text, parent=parent)  # noqa: E731
    return _write(request, topic, call, form=form, form_name="comment_form")


@village_view("talks.comment")
@require_POST
def support(request, village_slug, pk):
    topic = _topic(request, pk)
    target = None
    if request.POST.get("comment"):
        comment_pk = int_param(request.POST, "comment", lo=1)
        if comment_pk is None:
            raise Http404("No such comment.")
        target = get_object_or_404(Comment, topic=topic, pk=comment_pk)
    call = lambda: services.support_add(actor=request.user, topic=topic, comment=target)  # noqa: E731
    return _write(request, topic, call)


@village_view("talks.moderate")
@require_POST
def hide(request, village_slug, pk, comment_pk):
    topic = _topic(request, pk)
    target = get_object_or_404(Comment, topic=topic, pk=comment_pk)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for hiding the comment."))
        return redirect(topic)
    call = lambda: services.comment_hide(actor=request.user, comment=target, **form.cleaned_data)  # noqa: E731
    response = _write(request, topic, call, done=_("The comment is hidden."))
    if request.POST.get("back") == "reports":  # hidden from the queue of reported comments
        return redirect("talks:reports", village_slug=request.village.slug)
    return response


@village_view("talks.comment")
@require_POST
def report(request, village_slug, pk, comment_pk):
    topic = _topic(request, pk)
    target = get_object_or_404(Comment, topic=topic, pk=comment_pk)
    form = forms.OptionalReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    call = lambda: services.comment_report(actor=request.user, comment=target, reason=reason)  # noqa: E731
    return _write(request, topic, call, done=_("Thank you. A cadre will look at it."))


@village_view("talks.open_vote")
@require_http_methods(["GET", "POST"])
def vote_new(request, village_slug, pk):
    topic = _topic(request, pk)
    form = forms.VoteForm(request.POST or None, village=request.village)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.vote_open(
                actor=request.user,
                topic=topic,
                question=cd["question"],
                options=form.option_list(),
                electorate=cd["electorate"],
                quorum=cd["quorum"],
                threshold=cd["threshold"],
                secret=cd["secret"],
                live_results=cd["live_results"],
                closes_at=cd["closes_at"],
                opens_at=cd.get("opens_at"),
                adoption=cd.get("adoption") or "",
                adoption_rule_id=cd.get("adoption_rule"),
                adoption_data=form.adoption_data(),
            )
        except TalksError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The vote is open."))
            return redirect(topic)
    status = 400 if request.method == "POST" else 200
    return render(request, "talks/vote_new.html", {"topic": topic, "form": form}, status=status)


@village_view("talks.vote")
@require_POST
def ballot(request, village_slug, pk, vote_pk):
    """Cast a ballot. A secret vote's receipt code is shown once, on this response only: it is
    not put in the session, a message, the inbox or a log."""
    topic = _topic(request, pk)
    vote = get_object_or_404(Vote, village=request.village, topic=topic, pk=vote_pk)
    entrustment = int_param(request.POST, "entrustment", lo=1)
    try:
        cast = services.ballot_cast(
            actor=request.user,
            vote=vote,
            choice=request.POST.get("choice"),
            entrustment=entrustment,
        )
    except TalksError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(topic)
    if not cast.receipt:
        messages.success(request, _("Your ballot has been counted."))
        return redirect(topic)
    return _receipt(request, topic, vote, cast.receipt, entrusted=entrustment is not None)


def _receipt(request, topic, vote, code, **context):
    """The receipt page: the only place a code is ever shown (never stored with a name)."""
    context.update(topic=topic, vote=vote, code=code)
    response = render(request, "talks/receipt.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _vote(request, topic, vote_pk) -> Vote:
    return get_object_or_404(Vote, village=request.village, topic=topic, pk=vote_pk)


@village_view("village.member", oversee=True)
@require_GET
def roll(request, village_slug, pk, vote_pk):
    """A vote's roll, as names without choices, for the village's members; cadres correct it
    here while the vote is open."""
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    q = text_param(request.GET, "q")
    page = selectors.roll(vote, page=page_param(request.GET), q=q)
    form = forms.RollForm(village=request.village)
    return render(
        request,
        "talks/roll.html",
        {
            "topic": topic,
            "vote": vote,
            "page": page,
            "q": q,
            "form": form,
            "perms": request.village_perms,
        },
    )


@village_view("talks.open_vote")
@require_POST
def roll_correct(request, village_slug, pk, vote_pk):
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    form = forms.RollForm(request.POST, village=request.village)
    if form.is_valid():
        cd = form.cleaned_data
        change = services.roll_add if cd["action"] == "add" else services.roll_remove
        try:
            change(actor=request.user, vote=vote, resident=cd["resident"], reason=cd["reason"])
        except TalksError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The roll is corrected."))
            return redirect("talks:roll", village_slug=village_slug, pk=pk, vote_pk=vote.pk)
    page = selectors.roll(vote, page=None)
    context = {
        "topic": topic,
        "vote": vote,
        "page": page,
        "q": "",
        "form": form,
        "perms": request.village_perms,
    }
    return render(request, "talks/roll.html", context, status=400)


@village_view()
@require_GET
def receipts(request, village_slug, pk, vote_pk):
    """A closed secret vote's receipt codes (sorted), totals and, for members, the names of
    those who voted. ``?code=`` checks one code and says plainly whether it was counted."""
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    if not vote.secret:
        raise Http404("An open vote has no receipts.")
    context = {
        "topic": topic,
        "vote": vote,
        "closed": vote.closed_at is not None,
        "perms": request.village_perms,
    }
    if vote.closed_at is not None:
        code = services.normal_receipt_code(request.GET.get("code", ""))
        context.update(
            code=code,
            found=selectors.receipt_exists(vote, code) if code else None,
            page=selectors.receipts(vote, page=request.GET.get("page")),
            figures=selectors.vote_figures(vote),
            results=list(zip(vote.options, vote.counts or [], strict=False)),
        )
        if "village.member" in request.village_perms:
            context["participants"] = selectors.participants(vote, page=request.GET.get("people"))
    return render(request, "talks/receipts.html", context)


@village_view("talks.vote")
@require_http_methods(["GET", "POST"])
def entrust(request, village_slug, pk, vote_pk):
    """A villager on the roll entrusts their vote to a close relative on the roll."""
    return _entrust(request, pk, vote_pk, on_paper=False)


@village_view(ASSIST)
@require_http_methods(["GET", "POST"])
def entrust_paper(request, village_slug, pk, vote_pk):
    """A cadre records a signed paper entrustment, with a photo of the paper."""
    return _entrust(request, pk, vote_pk, on_paper=True)


def _entrust(request, pk, vote_pk, *, on_paper):
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = forms.EntrustForm(*data, vote=vote, on_paper=on_paper)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.entrust(
                actor=request.user,
                vote=vote,
                proxy_resident_id=cd["proxy_id"],
                relation=cd["relation"],
                resident_id=cd.get("person_id") if on_paper else None,
                paper=(cd.get("paper") or [None])[0],
            )
        except (TalksError, assist.AssistError) as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The entrustment is recorded."))
            return redirect(topic.get_absolute_url() + "#votes")
    status = 400 if request.method == "POST" else 200
    context = {
        "topic": topic,
        "vote": vote,
        "form": form,
        "on_paper": on_paper,
        "max_per_proxy": Entrustment.MAX_PER_PROXY,
    }
    return render(request, "talks/entrust.html", context, status=status)


@village_view("village.member")
@require_POST
def entrustment_withdraw(request, village_slug, pk, vote_pk, entrustment_pk):
    """Withdraw an entrustment: the person who made it, or a cadre, until the proxy votes."""
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    found = get_object_or_404(vote.entrustments, pk=entrustment_pk)
    mine = found.entry.resident.user_id == request.user.pk
    if not mine and "talks.handle" not in request.village_perms:
        raise Http404("Not yours.")
    try:
        services.entrustment_withdraw(actor=request.user, entrustment=found)
    except TalksError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The entrustment is withdrawn."))
    return redirect(topic.get_absolute_url() + "#votes")


@village_view(ASSIST)
@require_GET
def entrustment_paper(request, village_slug, pk, vote_pk, entrustment_pk):
    """The photo of a signed paper entrustment, for the village's cadres."""
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    found = get_object_or_404(vote.entrustments, pk=entrustment_pk)
    return media.serve(found.paper, private=True)


BOOTH_SALT = "talks.booth"
BOOTH_MINUTES = 15


@village_view("talks.handle")
@require_http_methods(["GET", "POST"])
def office(request, village_slug, pk, vote_pk):
    """Voting at the village committee office: the cadre confirms the voter's identity (and
    the helper the voter chose), then hands the device over for the ballot."""
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    form = forms.OfficeForm(request.POST or None, vote=vote)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            entry, helper = services.assisted_check(
                actor=request.user,
                vote=vote,
                resident_id=cd["person_id"],
                helper_id=cd.get("helper_id"),
            )
        except TalksError as exc:
            _apply_errors(form, exc)
        else:
            token = signing.dumps(
                {"v": vote.pk, "r": entry.resident_id, "h": helper.pk if helper else None},
                salt=BOOTH_SALT,
            )
            context = {
                "topic": topic,
                "vote": vote,
                "entry": entry,
                "helper": helper,
                "form": forms.BoothForm(initial={"token": token}),
            }
            response = render(request, "talks/booth.html", context)
            response["Cache-Control"] = "no-store"
            return response
    status = 400 if request.method == "POST" else 200
    context = {"topic": topic, "vote": vote, "form": form}
    return render(request, "talks/office.html", context, status=status)


@village_view("talks.handle")
@require_POST
def office_cast(request, village_slug, pk, vote_pk):
    """The ballot from the office's booth page; the receipt is shown to the voter once."""
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    form = forms.BoothForm(request.POST)
    try:
        if not form.is_valid():
            raise TalksError(_("Choose one of the options."), code="invalid")
        booth = signing.loads(
            form.cleaned_data["token"], salt=BOOTH_SALT, max_age=BOOTH_MINUTES * 60
        )
        if booth.get("v") != vote.pk:
            raise signing.BadSignature
        cast = services.ballot_cast_assisted(
            actor=request.user,
            vote=vote,
            resident_id=booth["r"],
            helper_id=booth.get("h"),
            choice=form.cleaned_data["choice"],
        )
    except (signing.BadSignature, KeyError, TypeError):
        messages.error(request, _("This ballot page has expired. Confirm the voter again."))
        return redirect("talks:office", village_slug=village_slug, pk=pk, vote_pk=vote.pk)
    except TalksError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("talks:office", village_slug=village_slug, pk=pk, vote_pk=vote.pk)
    if not cast.receipt:
        messages.success(request, _("The ballot has been counted."))
        return redirect("talks:office", village_slug=village_slug, pk=pk, vote_pk=vote.pk)
    return _receipt(request, topic, vote, cast.receipt, at_office=True)


@village_view("talks.recount")
@require_POST
def recount(request, village_slug, pk, vote_pk):
    """The supervisory committee recounts a closed vote's ballots (audited)."""
    topic = _topic(request, pk)
    vote = _vote(request, topic, vote_pk)
    try:
        counts = services.vote_recount(actor=request.user, vote=vote)
    except TalksError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(topic)
    rows = list(zip(vote.options, counts, vote.counts or [], strict=False))
    context = {"topic": topic, "vote": vote, "rows": rows, "agrees": counts == vote.counts}
    return render(request, "talks/recount.html", context)


@village_view("talks.open_vote")
@require_POST
def vote_close(request, village_slug, pk, vote_pk):
    topic = _topic(request, pk)
    vote = get_object_or_404(Vote, village=request.village, topic=topic, pk=vote_pk)
    call = lambda: services.vote_close(actor=request.user, vote=vote)  # noqa: E731
    return _write(request, topic, call, done=_("The vote is closed."))


@village_view("talks.handle")
@require_http_methods(["GET", "POST"])
def task_new(request, village_slug, pk):
    topic = _topic(request, pk)
    cadres = selectors.handling_cadres(request.village)
    form = forms.TaskForm(request.POST or None, cadres=cadres)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_assign(actor=request.user, topic=topic, **form.cleaned_data)
        except TalksError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The task is assigned."))
            return redirect(topic)
    status = 400 if request.method == "POST" else 200
    return render(request, "talks/task_new.html", {"topic": topic, "form": form}, status=status)


@village_view("talks.handle")
@require_POST
def progress(request, village_slug, pk, task_pk):
    topic = _topic(request, pk)
    task = get_object_or_404(Task, village=request.village, topic=topic, pk=task_pk)
    form = forms.ProgressForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(topic)
    call = lambda: services.progress_add(actor=request.user, task=task, **form.cleaned_data)  # noqa: E731
    return _write(request, topic, call)


@village_view("talks.handle")
@require_POST
def task_done(request, village_slug, pk, task_pk):
    topic = _topic(request, pk)
    task = get_object_or_404(Task, village=request.village, topic=topic, pk=task_pk)
    call = lambda: services.task_done(actor=request.user, task=task)  # noqa: E731
    return _write(request, topic, call)


@village_view("talks.handle")
@require_POST
def manage(request, village_slug, pk):
    """A cadre's action on the matter. A refusal changes nothing and shows the page again
    (status 400) with what was typed, the error by the field and a summary at the top."""
    topic = _topic(request, pk)
    form = forms.ManageForm(request.POST, status=topic.status)
    if not form.is_valid():
        return _detail(request, topic, status=400, manage_form=form)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    user = request.user
    if action == "handled":
        call = lambda: services.topic_mark_handled(actor=user, topic=topic, note=reason)  # noqa: E731
    elif action == "close":
        call = lambda: services.topic_close(actor=user, topic=topic, reason=reason)  # noqa: E731
    elif action == "decline":
        call = lambda: services.topic_decline(actor=user, topic=topic, reason=reason)  # noqa: E731
    else:
        into = Topic.objects.filter(village=request.village, pk=form.cleaned_data["into"]).first()
        if into is None:
            form.add_error("into", _("No such matter in this village."))
            return _detail(request, topic, status=400, manage_form=form)
        call = lambda: services.topic_merge(actor=user, topic=topic, into=into, note=reason)  # noqa: E731
    done = _("Done: %(action)s.") % {"action": forms.ManageForm.ACTIONS[action]}
    return _write(request, topic, call, form=form, form_name="manage_form", done=done)


@village_view("talks.speak")
@require_POST
def withdraw(request, village_slug, pk):
    topic = _topic(request, pk)
    call = lambda: services.topic_withdraw(actor=request.user, topic=topic)  # noqa: E731
    return _write(request, topic, call)


@village_view("village.member")
@require_POST
def rate(request, village_slug, pk):
    topic = _topic(request, pk)
    form = forms.RatingForm(request.POST)
    if not form.is_valid():
        return _detail(request, topic, status=400, rating_form=form)
    call = lambda: services.topic_rate(actor=request.user, topic=topic, **form.cleaned_data)  # noqa: E731
    return _write(request, topic, call, form=form, form_name="rating_form", done=_("Thank you."))


@village_view("village.member")
@require_http_methods(["GET", "POST"])
def inbox(request, village_slug):
    if request.method == "POST":
        services.notifications_mark_read(user=request.user, village=request.village)
        return redirect("talks:inbox", village_slug=request.village.slug)
    page = selectors.inbox(request.user, request.village, page=page_param(request.GET))
    return render(request, "talks/inbox.html", {"page": page, "Kind": Notification.Kind})


# --- escalation to the town and "still not fixed?" (talks.escalation) ----------------------


@village_view("talks.speak")
@require_POST
def escalate(request, village_slug, pk):
    """The author takes a declined (or overdue) matter to the town, with a reason."""
    topic = _topic(request, pk)
    form = forms.EscalateForm(request.POST)
    if not form.is_valid():
        return _detail(request, topic, status=400, escalate_form=form)
    call = lambda: escalation.topic_escalate(actor=request.user, topic=topic, **form.cleaned_data)  # noqa: E731
    town = region_name(request.village.region)
    done = _("The matter is escalated to %(town)s.") % {"town": town}
    return _write(request, topic, call, form=form, form_name="escalate_form", done=done)


@village_view("talks.speak")
@require_http_methods(["GET", "POST"])
def follow_up(request, village_slug, pk, fu_pk):
    """ "Is it fixed?": the author answers once, before the question expires."""
    topic = _topic(request, pk)
    question = get_object_or_404(FollowUp, village=request.village, topic=topic, pk=fu_pk)
    is_author = request.user.pk == topic.author_id
    form = forms.FollowUpForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400 if is_author else 403
        if form.is_valid():
            cd = form.cleaned_data
            try:
                escalation.follow_up_answer(
                    actor=request.user,
                    follow_up=question,
                    fixed=cd["fixed"],
                    note=cd["note"],
                    photos=cd["photos"],
                )
            except TalksError as exc:
                _apply_errors(form, exc)
            else:
                done = (
                    _("Thank you: it is confirmed.")
                    if cd["fixed"]
                    else _(
                        "Thank you. The matter is reopened and the village will handle it again."
                    )
                )
                messages.success(request, done)
                return redirect(topic)
        elif not is_author:
            form.add_error(None, _("Only the villager who raised the matter answers."))
    question.refresh_from_db()
    context = {
        "topic": topic,
        "question": question,
        "form": form,
        "is_author": is_author,
        "is_open": question.is_open(),
    }
    return render(request, "talks/follow_up.html", context, status=status)


def _official_topic(request, pk) -> Topic:
    """The escalated topic, for an official over its village; 404 for anyone else."""
    topic = _topic(request, pk)
    if not escalation.may_act_as_official(request.user, topic):
        raise Http404("No escalated matter for you here.")
    return topic


def official_view(view):
    """A town official's action on an escalated topic of a village: sign in first; anyone who
    is not an official over the village gets 404, whatever the method, so nothing leaks."""

    @login_required
    @village_view()
    @wraps(view)
    def wrapper(request, village_slug, pk, **kwargs):
        return view(request, _official_topic(request, pk), **kwargs)

    return wrapper


@official_view
@require_POST
def official_reply(request, topic):
    form = forms.ReplyForm(request.POST)
    if not form.is_valid():
        return _detail(request, topic, status=400, official_reply_form=form)
    call = lambda: escalation.official_reply(actor=request.user, topic=topic, **form.cleaned_data)  # noqa: E731
    return _write(
        request, topic, call, form=form, form_name="official_reply_form", done=_("Reply posted.")
    )


@official_view
@require_http_methods(["GET", "POST"])
def official_task(request, topic):
    """The official sends the matter back to the village: a task for its cadres."""
    cadres = selectors.handling_cadres(request.village)
    form = forms.TaskForm(request.POST or None, cadres=cadres)
    if request.method == "POST" and form.is_valid():
        try:
            escalation.official_assign(actor=request.user, topic=topic, **form.cleaned_data)
        except TalksError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The task is assigned to the village."))
            return redirect(topic)
    status = 400 if request.method == "POST" else 200
    context = {"topic": topic, "form": form, "official": True}
    return render(request, "talks/task_new.html", context, status=status)


@official_view
@require_POST
def take_over(request, topic):
    form = forms.TakeOverForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    call = lambda: escalation.topic_take_over(actor=request.user, topic=topic, note=note)  # noqa: E731
    return _write(request, topic, call, done=_("You have taken the matter over."))


@official_view
@require_POST
def official_handled(request, topic):
    form = forms.OfficialHandledForm(request.POST)
    if not form.is_valid():
        return _detail(request, topic, status=400, official_handled_form=form)
    call = lambda: escalation.official_mark_handled(  # noqa: E731
        actor=request.user, topic=topic, **form.cleaned_data
    )
    return _write(
        request,
        topic,
        call,
        form=form,
        form_name="official_handled_form",
        done=_("The matter is marked handled."),
    )


@login_required
@require_GET
def escalated(request):
    """The matters escalated to the regions the signed-in official oversees (404 for anyone
    who is no official)."""
    show_all = request.GET.get("all") == "1"
    page = selectors.escalated_for(
        request.user, page=page_param(request.GET), open_only=not show_all
    )
    if page is None:
        raise Http404("You are no region official.")
    return render(request, "talks/escalated.html", {"page": page, "show_all": show_all})
