import importlib

from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from villageaffairs import health, notices, selectors
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
def cadre_work(request, village_slug):
    """Where a cadre lands after signing in: what waits for them, by app, with counts.
    Each app may offer ``<app>.selectors.cadre_work_items(village)``."""
    sections = []
    for app in HOME_APPS:
        module = _optional_module(f"{app}.selectors")
        if module is not None and hasattr(module, "cadre_work_items"):
            sections.append(module.cadre_work_items(request.village))
    items = [item for section in sections for item in section]
    waiting = [item for item in items if item["count"]]
    done = [item for item in items if not item["count"]]
    return render(request, "villageaffairs/cadre_work.html", {"waiting": waiting, "done": done})


@village_view()
@require_GET
def notices_index(request, village_slug):
    """What can be printed for the notice board (公开栏). Cadres also see drafts."""
    items = notices.available(request)
    return render(request, "villageaffairs/notices.html", {"items": items})


@village_view("village.manage")
def household_register(request, village_slug):
    q = text_param(request.GET, "q", max_length=60)
    page = selectors.household_register(request.village, q, page_param(request.GET))
    return render(request, "villageaffairs/register.html", {"q": q, "page": page})


@village_view("village.member")
def my_household(request, village_slug):
    """The villager's home base: where they land after signing in. Each app may add its part:
    ``<app>.selectors.my_household_context(household)`` returns a dict, and
    ``<app>/_my_household.html`` renders it (included by the template, in HOME_APPS order)."""
    household = selectors.household_of_user(request.user, request.village)
    context = {"household": household, "household_sections": []}
    if household is not None:
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


@never_cache
@require_GET
def healthz(request):
    """Liveness for compose and the proxy: 200 while web and the database work; the JSON names
    each dependency (database, cache, broker, worker, beat) as ok, down or not configured."""
    alive, checks = health.report()
    healthy = all(state != health.DOWN for state in checks.values())
    status = "ok" if healthy else ("degraded" if alive else "error")
    return JsonResponse({"status": status, "checks": checks}, status=200 if alive else 503)
