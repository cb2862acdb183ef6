"""The public region dashboards: /r/ (the index), /r/<region>/ and its CSV, and one village's
figures under its region. Public by design: transparency is the point."""

import io

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from villageaffairs import csvexport, dashboards, regions, stats
from villageaffairs.parsing import page_param
from villageaffairs.regions import subtree_ids

LINES_PER_PAGE = 50


def _region(slug):
    region = dashboards.region_by_slug(slug)
    if region is None:
        raise Http404("No such region.")
    return region


@require_GET
def region_index(request):
    return render(request, "villageaffairs/region_index.html", {"tree": dashboards.region_index()})


@require_GET
def region_home(request, region_slug):
    region = _region(region_slug)
    period = dashboards.period_param(request.GET)
    sort = dashboards.sort_param(request.GET, stats.figures())
    board = dashboards.dashboard(region, period, sort)
    page = Paginator(board.lines, LINES_PER_PAGE).get_page(page_param(request.GET))
    context = {
        "board": board,
        "page": page,
        "sort": sort,
        "periods": dashboards.PERIODS.items(),
        "path": region.path(),
        # An official of this region (or above) gets the way to the matters escalated to it.
        "oversees": region.pk in regions.official_region_ids(request.user),
    }
    return render(request, "villageaffairs/region_home.html", context)


@require_GET
def region_export(request, region_slug):
    region = _region(region_slug)
    period = dashboards.period_param(request.GET)
    sort = dashboards.sort_param(request.GET, stats.figures())
    board = dashboards.dashboard(region, period, sort)
    out = io.StringIO()
    writer = csvexport.writer(out)
    header = [_("village"), _("division code"), pgettext("count", "households")]
    writer.writerow(header + [str(f.label) for f in board.figures])
    for line in [*board.lines, board.total]:
        name = line.village.name if line.village else _("Total")
        code = (line.village.code or "") if line.village else ""
        writer.writerow(
            [name, code, line.households]
            + [dashboards.csv_value(c.figure, c.value) for c in line.cells]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"{region.slug}-{period}-{board.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def region_village(request, region_slug, village_slug):
    region = _region(region_slug)
    village = request.village  # resolved (and checked active) by the tenancy middleware
    if village.region_id not in subtree_ids([region.pk]):
        raise Http404("No such village in this region.")
    period = dashboards.period_param(request.GET)
    context = {
        "region": region,
        "village": village,
        "period": period,
        "periods": dashboards.PERIODS.items(),
        **dashboards.village_dashboard(village, period),
    }
    return render(request, "villageaffairs/region_village.html", context)
