"""Pages of the blackboard (三务公开). Thin: reads from selectors, writes through services.
A refused write shows the page again with what was typed and why (status 400)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from publicity import forms, notices, selectors, services
from publicity.models import Attachment, Disclosure, FinanceEntry, FinanceMonth, month_key
from publicity.selectors import INSIDER_FLAGS
from publicity.services import PublicityError
from publicity.sheets import entries_csv
from villageaffairs import media
from villageaffairs import notices as core_notices
from villageaffairs.parsing import int_param, page_param
from villageaffairs.tenancy import village_view


def _apply_errors(form, exc: PublicityError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _insider(request) -> bool:
    # The officials over the village read as insiders, read only (village_view's oversee).
    return selectors.is_insider(request.village_perms) or request.read_only


def _item(request, pk, insider=None) -> Disclosure:
    item = selectors.disclosure(
        request.village, pk, insider=_insider(request) if insider is None else insider
    )
    if item is None:
        raise Http404("No such item.")
    return item


def _month(request, period):
    month = selectors.parse_month(period)
    if month is None:
        raise NoSuchMonth(period)
    return month


class NoSuchMonth(Http404):
    pass


def _no_such_month(request, period):
    context = {"period": period, "this_month": month_key(timezone.localdate())}
    return render(request, "publicity/no_month.html", context, status=404)


def _month_url(request, month) -> str:
    return reverse("publicity:month", args=[request.village.slug, month_key(month)])


@village_view(oversee=INSIDER_FLAGS)
@require_GET
def index(request, village_slug):
    insider = _insider(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in Disclosure.Kind.values else ""
    context = {
        "page": selectors.disclosures(
            request.village, kind=kind, insider=insider, page=page_param(request.GET)
        ),
        "kind": kind,
        "kinds": Disclosure.Kind.choices,
        "months": selectors.months(request.village, insider=insider),
        "insider": insider,
        "this_month": month_key(timezone.localdate()),
    }
    if "publicity.publish" in request.village_perms or request.read_only:
        context["overdue"] = selectors.overdue_notices(request.village)
        context["unanswered"] = selectors.unanswered_count(request.village)
    if "publicity.finance" in request.village_perms:
        context["book"] = selectors.book(request.village)
        context["sent_back"] = selectors.sent_back_months(request.village)
    return render(request, "publicity/index.html", context)


def _item_page(request, item, status=200, question_form=None):
    context = {
        "item": item,
        "question_form": question_form or forms.QuestionForm(),
        "answer_form": forms.AnswerForm(),
    }
    return render(request, "publicity/item.html", context, status=status)


@village_view(oversee=INSIDER_FLAGS)
@require_GET
def item_detail(request, village_slug, pk):
    return _item_page(request, _item(request, pk))


@village_view("publicity.publish")
@require_http_methods(["GET", "POST"])
def item_new(request, village_slug):
    form = forms.DisclosureForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.disclosure_create(
                actor=request.user, village=request.village, **form.cleaned_data
            )
        except PublicityError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved as a draft. Publish it when it is ready."))
            return redirect(item)
    status = 400 if request.method == "POST" else 200
    return render(request, "publicity/item_form.html", {"form": form}, status=status)


@village_view("publicity.publish")
@require_http_methods(["GET", "POST"])
def item_edit(request, village_slug, pk):
    item = _item(request, pk, insider=True)
    initial = {f: getattr(item, f) for f in ("title", "text", "period_start", "period_end")}
    form = forms.DisclosureEditForm(
        request.POST or None, request.FILES or None, initial=initial, published=item.is_published
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_update(actor=request.user, disclosure=item, **form.cleaned_data)
        except PublicityError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The item has been changed."))
            return redirect(item)
    status = 400 if request.method == "POST" else 200
    return render(request, "publicity/item_form.html", {"form": form, "item": item}, status=status)


@village_view("publicity.publish")
@require_POST
def item_publish(request, village_slug, pk):
    item = services.disclosure_publish(actor=request.user, disclosure=_item(request, pk, True))
    messages.success(request, _("Published on the village's blackboard."))
    return redirect(item)


@village_view("publicity.ask")
@require_POST
def item_ask(request, village_slug, pk):
    item = _item(request, pk, insider=False)
    form = forms.QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_ask(
                actor=request.user,
                village=request.village,
                disclosure=item,
                text=form.cleaned_data["text"],
            )
        except PublicityError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your question is posted. A cadre will answer it here."))
            return redirect(item.get_absolute_url() + "#questions")
    return _item_page(request, item, status=400, question_form=form)


def _statement_page(request, month, status=200, question_form=None, send_back_form=None):
    statement = selectors.statement(
        request.village,
        month,
        insider=_insider(request),
        page=page_param(request.GET),
        today=timezone.localdate(),
    )
    ask = int_param(request.GET, "ask", lo=1)
    context = {
        "s": statement,
        "question_form": question_form
        or forms.QuestionForm(initial={"entry": ask} if ask is not None else None),
        "answer_form": forms.AnswerForm(),
        "check_form": forms.CheckForm(),
        "send_back_form": send_back_form or forms.SendBackForm(),
        "asking_about": "" if ask is None else str(ask),
        "overdue": selectors.overdue_notices(request.village)
        if "publicity.publish" in request.village_perms or request.read_only
        else [],
    }
    return render(request, "publicity/month.html", context, status=status)


@village_view(oversee=INSIDER_FLAGS)
@require_GET
def month(request, village_slug, period):
    try:
        return _statement_page(request, _month(request, period))
    except NoSuchMonth:
        return _no_such_month(request, period)


@village_view(oversee=INSIDER_FLAGS)
@require_GET
def month_csv(request, village_slug, period):
    month = selectors.parse_month(period)
    if month is None:
        return _no_such_month(request, period)
    row = FinanceMonth.objects.filter(village=request.village, month=month).first()
    if not _insider(request) and (row is None or not row.is_published):
        raise Http404("Not published.")
    body = entries_csv(selectors.month_entries(request.village, month))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"{request.village.slug}-{period}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@village_view(oversee=INSIDER_FLAGS)
@require_GET
def month_notice(request, village_slug, period):
    """The month's accounts as a printed notice: a published month for anyone, a draft (marked
    so on every page) for insiders, 404 otherwise."""
    month = selectors.parse_month(period)
    if month is None:
        return _no_such_month(request, period)

    def render_pdf():
        pdf = notices.month_accounts(request.village, month, insider=_insider(request))
        if pdf is None:
            raise Http404("Not published.")
        return pdf

    filename = f"{request.village.slug}-accounts-{period}.pdf"
    return core_notices.pdf_response(request, render_pdf, filename)


def _month_write(request, period, call, done):
    month = selectors.parse_month(period)
    if month is None:
        return _no_such_month(request, period)
    try:
        call(month)
    except PublicityError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(_month_url(request, month))


@village_view("publicity.check_finance")
@require_POST
def month_check(request, village_slug, period):
    form = forms.CheckForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _month_write(
        request,
        period,
        lambda m: services.month_check(
            actor=request.user, village=request.village, month=m, note=note
        ),
        _("Checked. The month's figures are now fixed and it can be published."),
    )


@village_view("publicity.check_finance")
@require_POST
def month_send_back(request, village_slug, period):
    """The finance group sends the month back to the accountant with a note. Without a note
    nothing changes: the page comes again with the error next to the note."""
    month = selectors.parse_month(period)
    if month is None:
        return _no_such_month(request, period)
    form = forms.SendBackForm(request.POST)
    if not form.is_valid():
        return _statement_page(request, month, status=400, send_back_form=form)
    return _month_write(
        request,
        period,
        lambda m: services.month_send_back(
            actor=request.user, village=request.village, month=m, note=form.cleaned_data["note"]
        ),
        _("Sent back to the accountant with your note. Check the month again once corrected."),
    )


@village_view("publicity.publish")
@require_POST
def month_publish(request, village_slug, period):
    return _month_write(
        request,
        period,
        lambda m: services.month_publish(actor=request.user, village=request.village, month=m),
        _("The month's accounts are published."),
    )


@village_view("publicity.ask")
@require_POST
def month_ask(request, village_slug, period):
    month = selectors.parse_month(period)
    if month is None:
        return _no_such_month(request, period)
    form = forms.QuestionForm(request.POST)
    if form.is_valid():
        entry = None
        if form.cleaned_data.get("entry"):
            entry = selectors.entry(request.village, form.cleaned_data["entry"])
            if entry is None or entry.date.replace(day=1) != month:
                entry = None
        try:
            services.question_ask(
                actor=request.user,
                village=request.village,
                month=month,
                entry=entry,
                text=form.cleaned_data["text"],
            )
        except PublicityError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your question is posted. A cadre will answer it here."))
            return redirect(_month_url(request, month) + "#questions")
    return _statement_page(request, month, status=400, question_form=form)


@village_view("publicity.publish")
@require_POST
def answer(request, village_slug, pk):
    question = selectors.question(request.village, pk)
    if question is None:
        raise Http404("No such question.")
    form = forms.AnswerForm(request.POST)
    if form.is_valid():
        services.question_answer(
            actor=request.user, question=question, answer=form.cleaned_data["answer"]
        )
        messages.success(request, _("Your answer is published."))
    else:
        messages.error(request, _("Write the answer."))
    if question.month_id:
        target = _month_url(request, question.month.month)
    else:
        target = reverse("publicity:item", args=[village_slug, question.disclosure_id])
    return redirect(f"{target}#q{question.pk}")


# --- the accountant's pages ---------------------------------------------------------------------


@village_view("publicity.finance")
@require_http_methods(["GET", "POST"])
def book(request, village_slug):
    current = selectors.book(request.village)
    initial = (
        {"starts_on": current.starts_on, "opening_balance": current.opening_balance}
        if current
        else {"starts_on": timezone.localdate().replace(day=1)}
    )
    form = forms.BookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.book_open(actor=request.user, village=request.village, **form.cleaned_data)
        except PublicityError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The books are open."))
            return redirect("publicity:index", village_slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "publicity/book.html", {"form": form, "book": current}, status=status)


@village_view("publicity.finance")
@require_http_methods(["GET", "POST"])
def entry_new(request, village_slug):
    day = request.GET.get("date", "")
    form = forms.EntryForm(
        request.POST or None, request.FILES or None, initial={"date": day or timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_record(
                actor=request.user, village=request.village, **form.cleaned_data
            )
        except PublicityError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Recorded. Add the next one."))
            url = reverse("publicity:entry_new", args=[village_slug])
            return redirect(f"{url}?date={entry.date.isoformat()}")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "book": selectors.book(request.village)}
    return render(request, "publicity/entry_form.html", context, status=status)


@village_view("publicity.finance")
@require_http_methods(["GET", "POST"])
def entry_edit(request, village_slug, pk):
    entry = selectors.entry(request.village, pk)
    if entry is None:
        raise Http404("No such entry.")
    initial = {f: getattr(entry, f) for f in services.FIELDS}
    form = forms.EntryForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.entry_update(actor=request.user, entry=entry, **form.cleaned_data)
        except PublicityError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The entry has been changed."))
            return redirect(_month_url(request, entry.date) + f"#e{entry.pk}")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "entry": entry, "book": True}
    return render(request, "publicity/entry_form.html", context, status=status)


@village_view("publicity.finance")
@require_POST
def entry_delete(request, village_slug, pk):
    entry = selectors.entry(request.village, pk)
    if entry is None:
        raise Http404("No such entry.")
    try:
        services.entry_delete(actor=request.user, entry=entry)
    except PublicityError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The entry has been deleted."))
    return redirect(_month_url(request, entry.date))


@village_view("publicity.finance")
@require_http_methods(["GET", "POST"])
def entry_import(request, village_slug):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        batch = services.import_upload(
            actor=request.user,
            village=request.village,
            filename=form.cleaned_data["sheet"].name or "sheet",
            dataset=form.dataset,
        )
        return redirect("publicity:import_preview", village_slug, batch.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "publicity/import.html", {"form": form}, status=status)


@village_view("publicity.finance")
@require_http_methods(["GET", "POST"])
def import_preview(request, village_slug, pk):
    batch = selectors.entry_import(request.village, pk)
    if batch is None:
        raise Http404("No such sheet.")
    if request.method == "POST" and batch.imported_at is None:
        try:
            count = services.entries_import(actor=request.user, batch=batch)
        except PublicityError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(n)d entries imported.") % {"n": count})
            return redirect("publicity:index", village_slug)
    preview = selectors.import_preview(request.village, request.user, batch)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "publicity/import_preview.html", {"batch": batch, **preview}, status=status
    )


# --- operators ----------------------------------------------------------------------------------


@login_required
@require_GET
def overdue(request):
    """Every village whose last month's accounts are late, at /operator/overdue/ (operators
    only; anyone else gets 404)."""
    if not request.user.is_operator:
        raise Http404("Operators only.")
    page = selectors.overdue_villages(page_param(request.GET))
    return render(request, "publicity/overdue.html", {"page": page})


# --- files (stored under private/, served after a check: villageaffairs.media) ------------------


@village_view(oversee=INSIDER_FLAGS)
@require_GET
def attachment_file(request, village_slug, pk, thumb=False):
    """An attachment of a published item is public; a draft's only for insiders (404 for the
    rest, anonymous included)."""
    attachment = (
        Attachment.objects.filter(village=request.village, pk=pk)
        .select_related("disclosure")
        .first()
    )
    if attachment is None:
        raise Http404("No such file.")
    published = attachment.disclosure.is_published
    if not published and not _insider(request):
        raise Http404("No such file.")
    return media.serve(attachment.thumbnail if thumb else attachment.file, private=not published)


@village_view(oversee=INSIDER_FLAGS)
@require_GET
def receipt_file(request, village_slug, pk, thumb=False):
    """A receipt photo is public once its month is published; before that only insiders see it."""
    entry = FinanceEntry.objects.filter(village=request.village, pk=pk).first()
    if entry is None:
        raise Http404("No such file.")
    published = FinanceMonth.objects.filter(
        village=request.village,
        month=entry.date.replace(day=1),
        status=FinanceMonth.Status.PUBLISHED,
    ).exists()
    if not published and not _insider(request):
        raise Http404("No such file.")
    return media.serve(entry.receipt_thumbnail if thumb else entry.receipt, private=not published)
