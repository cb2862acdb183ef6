import functools
import importlib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import set_language as django_set_language

from villageaffairs import fragments, health, joining, notices, register_import, selectors, timing
from villageaffairs.parsing import page_param, text_param
from villageaffairs.tenancy import village_view


@require_GET
def directory(request):
    q = text_param(request.GET, "q", max_length=60)
    page = Paginator(selectors.village_search(q), 30).get_page(page_param(request.GET))
    # Where an account that is nobody yet lands after signing in: it is offered to ask to join.
    context = {"q": q, "page": page, "may_ask_to_join": joining.may_ask_to_join(request.user)}
    if context["may_ask_to_join"]:
        context["join_request"] = joining.latest_request_of_user(request.user)
    return render(request, "villageaffairs/directory.html", context)


HOME_APPS = ("points", "talks", "publicity", "loans")
# The village home's public parts are cached (villageaffairs.fragments): an app's section under
# its version where it offers one (``<app>.selectors.village_home_version(request)``: the points
# section's is the ranking snapshot), else for this long, which bounds how late it shows a change.
HOME_SECTION_SECONDS = 60


@village_view()
def village_home(request, village_slug):
    village = request.village
    # Each app may add its section: ``<app>.selectors.village_home_context(request)`` returns a
    # dict, and ``<app>/_village_home.html`` renders it. Sections depend on the village, the
    # viewer's rights there (a cadre sees more) and the language, never on who the viewer is.
    parts = [("facts", None, None)]
    for app in HOME_APPS:
        module = _optional_module(f"{app}.selectors")
        if module is not None and hasattr(module, "village_home_context"):
            version_of = getattr(module, "village_home_version", None)
            parts.append((app, module, version_of(request) if version_of else None))
    rights = ",".join(sorted(request.village_perms))
    keys = [fragments.key("home", name, village.pk, rights, version) for name, _m, version in parts]
    versioned = all(version is not None for _n, _m, version in parts)
    timeout = fragments.TIMEOUT if versioned else HOME_SECTION_SECONDS

    def rendered():
        found = cache.get_many(keys)
        timing.cache_lookup(len(found), len(keys) - len(found))
        fresh = {}
        for (name, module, version), key in zip(parts, keys, strict=True):
            if key not in found:
                found[key] = _home_part(request, name, module)
                lasts = HOME_SECTION_SECONDS if version is None else fragments.TIMEOUT
                fresh.setdefault(lasts, {})[key] = found[key]
        for lasts, values in fresh.items():
            cache.set_many(values, lasts)
        context = {
            "my_household": selectors.household_of_user(request.user, village),
            "may_ask_to_join": joining.may_ask_to_join(request.user),
            "facts": mark_safe(found[keys[0]]),  # noqa: S308 - our own templates' output
            "home_sections": mark_safe("".join(found[key] for key in keys[1:])),  # noqa: S308
        }
        return render(request, "villageaffairs/village_home.html", context)

    # The page of a signed-out viewer, kept no longer than its shortest-lived section.
    page_parts = ("home", village.slug, village.name, *keys)
    return fragments.anonymous_page(request, page_parts, rendered, timeout=timeout)


def _home_part(request, name, module) -> str:
    village = request.village
    context = {"village": village, "village_perms": request.village_perms}
    if module is None:  # the village's own facts: where it lies, its households and residents
        context["stats"] = selectors.village_stats(village)
        return render_to_string("villageaffairs/_village_facts.html", context)
    context.update(module.village_home_context(request))
    return render_to_string(f"{name}/_village_home.html", context)


def _optional_module(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


@village_view("village.manage", oversee=True)
@require_GET
def cadre_work(request, village_slug):
    """Where a cadre lands after signing in: what waits for them, by app, with counts.
    Each app may offer ``<app>.selectors.cadre_work_items(village)``."""
    sections = []
    for app in HOME_APPS:
        module = _optional_module(f"{app}.selectors")
        if module is not None and hasattr(module, "cadre_work_items"):
            sections.append(module.cadre_work_items(request.village))
    items = [item for section in sections for item in section]
    if request.read_only:
        # An official reads the counts; only the pages open to oversight are links.
        items = [
            {**item, "url": item["url"] if _readable(request, item["url"]) else ""}
            for item in items
        ]
    waiting = [item for item in items if item["count"]]
    done = [item for item in items if not item["count"]]
    context = {
        "waiting": waiting,
        "done": done,
        "join_requests": joining.pending_for_village(request.village),
    }
    return render(request, "villageaffairs/cadre_work.html", context)


def _readable(request, url: str) -> bool:
    """Whether the viewer may open ``url``: a public page, one their flags allow, or a cadre
    page open to oversight."""
    from django.urls import Resolver404, resolve

    try:
        func = resolve(url.split("?")[0]).func
    except Resolver404:
        return False
    permission = getattr(func, "permission", None)
    return (
        permission is None or permission in request.village_perms or getattr(func, "oversee", False)
    )


@village_view()
@require_GET
def notices_index(request, village_slug):
    """What can be printed for the notice board (公开栏). Cadres also see drafts."""
    items = notices.available(request)
    return render(request, "villageaffairs/notices.html", {"items": items})


@village_view("village.manage", oversee=True)
@require_GET
def household_register(request, village_slug):
    q = text_param(request.GET, "q", max_length=60)
    page = selectors.household_register(request.village, q, page_param(request.GET))
    return render(request, "villageaffairs/register.html", {"q": q, "page": page})


@village_view("village.manage")
@require_http_methods(["GET", "POST"])
def household_import(request, village_slug):
    """Upload the household register sheet; the preview comes next, nothing is saved here."""
    form = register_import.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = register_import.sheet_store(village=request.village, data=form.data_bytes)
        return redirect("household_import_preview", village_slug, token)
    status = 400 if request.method == "POST" else 200
    return render(request, "villageaffairs/register_import.html", {"form": form}, status=status)


PREVIEW_LIMIT = 50  # rows per list on the page; the command prints them all


@village_view("village.manage")
@require_http_methods(["GET", "POST"])
def household_import_preview(request, village_slug, token):
    """The sheet's errors and planned changes, and the confirmation. The sheet is read and
    checked again from the server's copy at each step (register_import.sheet_store); the
    confirmation applies only the plan the cadre saw."""
    data = register_import.sheet_load(village=request.village, token=token)
    if data is None:
        raise Http404("No such sheet.")
    try:
        sheet = register_import.read_sheet(data)
    except register_import.SheetError:
        raise Http404("No such sheet.") from None
    result = register_import.plan(request.village, sheet)
    form = register_import.ConfirmForm(request.POST or None, initial={"digest": result.digest()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and result.ok:
            try:
                done = register_import.register_import(
                    actor=request.user,
                    village=request.village,
                    sheet=sheet,
                    confirm_departures=form.cleaned_data["confirm_departures"],
                    expected_digest=form.cleaned_data["digest"],
                )
            except register_import.RegisterImportError as error:
                result = error.plan or result
                messages.error(request, str(error))
                form = register_import.ConfirmForm(initial={"digest": result.digest()})
            else:
                register_import.sheet_discard(village=request.village, token=token)
                messages.success(request, _import_summary(done))
                return redirect("household_register", village_slug)
    context = {"result": result, "form": form, "limit": PREVIEW_LIMIT}
    return render(request, "villageaffairs/register_import_preview.html", context, status=status)


def _import_summary(done) -> str:
    summary = _(
        "The register was imported: %(households)d households and %(residents)d residents "
        "added, %(changed)d residents changed."
    ) % {
        "households": len(done.households_added),
        "residents": len(done.residents_added),
        "changed": len(done.residents_changed),
    }
    if done.departures and done.departures_applied:
        summary += " " + _("%(n)d residents marked as no longer registered.") % {
            "n": done.departures_applied
        }
    elif done.departures:
        summary += " " + _("%(n)d residents not on the sheet are still registered.") % {
            "n": len(done.departures)
        }
    return summary


@village_view("village.member")
def my_household(request, village_slug):
    """The villager's home base: where they land after signing in. Each app may add its part:
    ``<app>.selectors.my_household_context(household)`` returns a dict, and
    ``<app>/_my_household.html`` renders it (included by the template, in HOME_APPS order)."""
    household = selectors.household_of_user(request.user, request.village)
    context = {"household": household, "household_sections": [], "join_requests": []}
    if household is not None:
        if household.head is not None and household.head.user_id == request.user.pk:
            context["join_requests"] = joining.pending_for_head(request.user, request.village)
        for app in HOME_APPS:
            module = _optional_module(f"{app}.selectors")
            if module is not None and hasattr(module, "my_household_context"):
                context.update(module.my_household_context(household))
                context["household_sections"].append(f"{app}/_my_household.html")
    return render(request, "villageaffairs/my_household.html", context)


@require_GET
def household_public(request, code):
    """The QR target on a courtyard sign. Public by design; the points app adds score and rank."""
    household = selectors.household_by_code(code)
    if household is None:
        raise Http404("No such household.")
    request.village = household.village
    return render(request, "villageaffairs/household_public.html", {"household": household})


def load_empty(request):
    """Nothing but the middleware: `make load` compares the pages' req/s with this one's.
    Mounted only with LOAD_EMPTY_VIEW (villageaffairs/urls.py); public, touches no data."""
    return HttpResponse(b"ok", content_type="text/plain")


@functools.cache
def _icon() -> bytes:
    return (settings.BASE_DIR / "static" / "img" / "favicon-32.png").read_bytes()


@require_GET
def favicon(request):
    """Browsers that do not read the pages' icon link ask for /favicon.ico: the same icon, not a
    404 page rendered for every new visitor."""
    response = HttpResponse(_icon(), content_type="image/png")
    patch_cache_control(response, public=True, max_age=7 * 24 * 3600)
    return response


@never_cache
@require_GET
def healthz(request):
    """Liveness for compose and the proxy: 200 while web and the database work; the JSON names
    each dependency (database, cache, broker, worker, beat) as ok, down or not configured."""
    alive, checks = health.report()
    healthy = all(state != health.DOWN for state in checks.values())
    status = "ok" if healthy else ("degraded" if alive else "error")
    return JsonResponse({"status": status, "checks": checks}, status=200 if alive else 503)


def same_origin(request) -> bool:
    """Whether a form was sent from one of our own pages, by the browser's own word: its
    ``Sec-Fetch-Site`` header where it sends one, else its ``Origin`` (a form POST has carried
    one in every browser since 2020). A request with neither is no browser's cross-site form."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")  # "none": typed or bookmarked by the user
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        return urlsplit(origin).netloc == request.get_host()
    except ValueError:  # a malformed Origin, or a Host outside ALLOWED_HOSTS
        return False


@csrf_exempt
def set_language(request):
    """The language switch at the foot of every page, without a CSRF token: so a signed-out page
    is the same for every phone (cached whole, compressed once, no cookie set). The choice is a
    cookie of this browser's, nobody's account; a form from another site is still refused, by
    the browser's Sec-Fetch-Site or Origin header."""
    if request.method == "POST" and not same_origin(request):
        failure = import_string(settings.CSRF_FAILURE_VIEW)
        return failure(request, reason="The language form was sent from another site.")
    return django_set_language(request)
