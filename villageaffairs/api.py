"""Open data of the core: the village directory (as /villages/?q= shows it) and one village."""

from django.db.models import Q
from django.urls import NoReverseMatch, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from villageaffairs import opendata, selectors
from villageaffairs.apikit import Problem, problems
from villageaffairs.models import Village

NO_VILLAGE = _("There is no such village.")

# The resources a village has under /api/v1/villages/<slug>/ (key, URL name): the apps' URL
# names, reversed without importing the apps; one that is not installed is left out.
VILLAGE_LINKS = (
    ("rules", "api_village_rules"),
    ("ranking", "api_village_ranking"),
    ("topics", "api_village_topics"),
    ("votes", "api_village_votes"),
    ("disclosures", "api_village_disclosures"),
    ("statements", "api_village_statements"),
)


def village_or_404(slug: str) -> Village:
    """An active village (the pages' own lookup), or the 404 problem."""
    village = selectors.village_by_slug(slug)
    if village is None:
        raise Problem("village_not_found", NO_VILLAGE, status=404)
    return village


class VillageSerializer(serializers.ModelSerializer):
    division_code = serializers.CharField(source="code", allow_null=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Village
        fields = ["slug", "name", "name_en", "region_path", "division_code", "links"]

    def get_links(self, village) -> dict[str, str]:
        request = self.context.get("request")
        kwargs = {"slug": village.slug}
        links = {"self": reverse("api_village", kwargs=kwargs, request=request)}
        for key, name in VILLAGE_LINKS:
            try:
                links[key] = reverse(name, kwargs=kwargs, request=request)
            except NoReverseMatch:
                continue
        return links


@extend_schema(
    parameters=[
        OpenApiParameter(
            "q",
            str,
            description="Name, English name, slug or region, as /villages/?q=",
        ),
        OpenApiParameter("region", str, description="Only villages in this region (its slug)."),
        *opendata.DATE_PARAMETERS,
    ],
    responses={200: VillageSerializer(many=True), **problems(400, 429)},
)
class VillageList(opendata.OpenList):
    """The village directory: active villages, searched like /villages/?q=. ``since`` and
    ``until`` bound the day a village joined the platform."""

    serializer_class = VillageSerializer
    pagination_class = opendata.cursor_for(("slug",))
    version_fields = ("created_at",)

    def get_queryset(self):
        params = self.request.query_params
        since, until = opendata.date_range(self.request)
        rows = selectors.village_search(params.get("q", "")[:60])
        region = params.get("region", "").strip()
        if region:
            rows = rows.filter(
                Q(region__slug=region)
                | Q(region__parent__slug=region)
                | Q(region__parent__parent__slug=region)
                | Q(region__parent__parent__parent__slug=region)
            )
        if since:
            rows = rows.filter(created_at__date__gte=since)
        if until:
            rows = rows.filter(created_at__date__lte=until)
        return rows


class VillageDetail(APIView):
    @extend_schema(responses={200: VillageSerializer, **problems(404, 429)})
    def get(self, request, slug):
        """One village: its names, region, division code and links to its open data."""
        village = village_or_404(slug)
        data = VillageSerializer(village, context={"request": request}).data
        return opendata.conditional(request, data, last_modified=village.created_at)


urlpatterns = [
    path("villages/", VillageList.as_view(), name="api_villages"),
    path("villages/<slug:slug>/", VillageDetail.as_view(), name="api_village"),
]
