import importlib

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from villageaffairs import selectors
from villageaffairs.parsing import page_param, text_param
from villageaffairs.tenancy import village_view


@require_GET
def directory(request):
    q = text_param(request.GET, "q", max_length=60)
    page = Paginator(selectors.village_search(q), 30).get_page(page_param(request.GET))
    return render(request, "villageaffairs/directory.html", {"q": q, "page": page})


HOME_APPS = ("points", "talks", "publicity", "loans")


@village_view()
def village_home(request, village_slug):
    village = request.village
    context = {
        "stats": selectors.village_stats(village),
        "my_household": selectors.household_of_user(request.user, village),
    }
    # Each app may add its section: ``<app>.selectors.village_home_context(request)`` returns a
    # dict, and ``<app>/_village_home.html`` renders it (included by the template).
    sections = []
    for app in HOME_APPS:
        module = _optional_module(f"{app}.selectors")
        if module is not None and hasattr(module, "village_home_context"):
            context.update(module.village_home_context(request))
            sections.append(f"{app}/_village_home.html")
    context["home_sections"] = sections
    return render(request, "villageaffairs/village_home.html", context)


def _optional_module(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


@village_view("village.manage")
def household_register(request, village_slug):
    q = text_param(request.GET, "q", max_length=60)
    page = selectors.household_register(request.village, q, page_param(request.GET))
    return render(request, "villageaffairs/register.html", {"q": q, "page": page})


@village_view("village.member")
def my_household(request, village_slug):
    household = selectors.household_of_user(request.user, request.village)
    return render(request, "villageaffairs/my_household.html", {"household": household})


@require_GET
def household_public(request, code):
    """The QR target on a courtyard sign. Public by design; the points app adds score and rank."""
    household = selectors.household_by_code(code)
    if household is None:
        raise Http404("No such household.")
    request.village = household.village
    return render(request, "villageaffairs/household_public.html", {"household": household})


@never_cache
@require_GET
def healthz(request):
    checks, healthy = {}, True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        checks["database"] = f"error: {exc.__class__.__name__}"
        healthy = False
    if settings.CELERY_BROKER_URL:
        from villageaffairs.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["broker"] = f"error: {exc.__class__.__name__}"
            healthy = False
    else:
        checks["broker"] = "not configured (tasks run eagerly)"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
