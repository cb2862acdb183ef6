"""Open data of the points app: a village's rules, its ranking and a household's public page.

Names stay on the human-readable pages, as the village's posting does: a bulk, machine-readable
list of households with their heads' names is personal data under PIPL, so the ranking
publishes household codes only, and the household resource leaves out the head's name and the
names of whoever entered points for someone.
"""

from django.db.models import Max, Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from points import selectors
from points.models import LedgerEntry, RankingSnapshot, Rule, RuleRevision
from villageaffairs import opendata
from villageaffairs import selectors as core_selectors
from villageaffairs.api import village_or_404
from villageaffairs.apikit import Problem, etag_for, not_modified, problems, validators

NO_HOUSEHOLD = _("There is no household with this code.")
BAD_PERIOD = _("The period is either “all” or “year”.")


class RuleSerializer(serializers.ModelSerializer):
    in_force = serializers.BooleanField(source="is_in_force")

    class Meta:
        model = Rule
        fields = [
            "id",
            "category",
            "text",
            "points",
            "evidence_required",
            "limit_count",
            "limit_period",
            "in_force_from",
            "in_force_to",
            "in_force",
        ]


@extend_schema(
    parameters=opendata.DATE_PARAMETERS,
    responses={200: RuleSerializer(many=True), **problems(400, 404, 429)},
)
class RuleList(opendata.OpenList):
    """The village's points rules, as its rules page lists them (old ones included).
    ``since`` and ``until`` keep the rules in force at some time between the two days."""

    serializer_class = RuleSerializer
    pagination_class = opendata.cursor_for(("pk",))
    version_fields = ("created_at",)

    def get_queryset(self):
        self.village = village_or_404(self.kwargs["slug"])
        since, until = opendata.date_range(self.request)
        rows = selectors.rules_of(self.village)
        if since:
            rows = rows.filter(Q(in_force_to__isnull=True) | Q(in_force_to__gte=since))
        if until:
            rows = rows.filter(in_force_from__lte=until)
        return rows

    def version(self, queryset):
        parts, last_modified = super().version(queryset)
        # A rule changed in place leaves its revision: that is the list's newest change too.
        changed = RuleRevision.objects.filter(village=self.village).aggregate(t=Max("created_at"))
        if changed["t"] and (last_modified is None or changed["t"] > last_modified):
            last_modified = changed["t"]
        return (*parts, changed["t"]), last_modified


RANK = inline_serializer(
    "HouseholdRank",
    {
        "household_code": serializers.CharField(allow_null=True),
        "household": serializers.URLField(allow_null=True),
        "rank": serializers.IntegerField(),
        "score": serializers.IntegerField(),
        "stars": serializers.IntegerField(min_value=0, max_value=5),
    },
)
RANKING = inline_serializer(
    "Ranking",
    {
        "period": serializers.ChoiceField(choices=RankingSnapshot.Period.choices),
        "computed_at": serializers.DateTimeField(allow_null=True),
        "households_ranked": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializers.ListField(child=RANK),
    },
)


class Ranking(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period", str, enum=RankingSnapshot.Period.values, description="all or year"
            ),
            OpenApiParameter("cursor", str),
            OpenApiParameter("limit", int),
        ],
        responses={200: RANKING, **problems(400, 404, 429)},
    )
    def get(self, request, slug):
        """The village's latest ranking (all time, or this year): household code, rank, score
        and star level, best first. The same ranks as the ranking page; no names. A ranking is
        recomputed as a whole, so there is no date filter: ``computed_at`` says when."""
        village = village_or_404(slug)
        period = request.query_params.get("period", RankingSnapshot.Period.ALL)
        if period not in RankingSnapshot.Period.values:
            raise Problem("bad_period", BAD_PERIOD, status=400, errors={"period": [BAD_PERIOD]})
        snapshot, rows = selectors.ranking_rows(village, period=period)
        thresholds = selectors.star_thresholds(village.pk)
        last_modified = snapshot.computed_at if snapshot else None
        etag = etag_for(request.get_full_path(), snapshot.pk if snapshot else None, thresholds)
        cached = not_modified(request, etag=etag, last_modified=last_modified)
        if cached is not None:
            return cached
        pager = opendata.RowCursor(request, rows, key=lambda row: (row.rank, row.household_id))
        shown = selectors.attach_households(pager.page())
        data = {
            "period": period,
            "computed_at": last_modified,
            "households_ranked": snapshot.households_ranked if snapshot else 0,
            **pager.links(),
            "results": [_rank(request, row, thresholds) for row in shown],
        }
        return validators(Response(data), etag=etag, last_modified=last_modified)


def _rank(request, row, thresholds) -> dict:
    code = row.household.code if row.household is not None else None
    return {
        "household_code": code,
        "household": reverse("api_household", args=[code], request=request) if code else None,
        "rank": row.rank,
        "score": row.score,
        "stars": selectors.star_level(row.score, thresholds),
    }


class PointsEntrySerializer(serializers.ModelSerializer):
    entered_for_household = serializers.SerializerMethodField(
        help_text="Entered by a grid worker or a cadre for the household (as the page says)."
    )

    class Meta:
        model = LedgerEntry
        fields = ["kind", "points", "reason", "created_at", "entered_for_household"]

    def get_entered_for_household(self, entry) -> bool:
        return bool(entry.claim_id and entry.claim.assisted_act_id)


HOUSEHOLD = inline_serializer(
    "HouseholdPublic",
    {
        "code": serializers.CharField(),
        "village": serializers.CharField(help_text="The village's slug."),
        "house_number": serializers.CharField(),
        "villager_group": serializers.CharField(),
        "score": serializers.IntegerField(),
        "rank": serializers.IntegerField(allow_null=True),
        "households_ranked": serializers.IntegerField(),
        "movement": serializers.IntegerField(),
        "stars": serializers.IntegerField(),
        "year": serializers.IntegerField(),
        "year_score": serializers.IntegerField(),
        "ranked_at": serializers.DateTimeField(allow_null=True),
        "recent_entries": PointsEntrySerializer(many=True),
    },
)


class HouseholdPublic(APIView):
    @extend_schema(responses={200: HOUSEHOLD, **problems(404, 429)})
    def get(self, request, code):
        """What the courtyard sign's page (/h/<code>/) shows of a household: score, rank, star
        level, this year's points and the recent score changes. Without names (PIPL)."""
        household = core_selectors.household_by_code(code)
        if household is None:
            raise Problem("household_not_found", NO_HOUSEHOLD, status=404)
        standing = selectors.household_standing(household)
        entries = selectors.public_entries(household)
        data = {
            "code": household.code,
            "village": household.village.slug,
            "house_number": household.house_number,
            "villager_group": household.villager_group,
            "score": standing.score,
            "rank": standing.rank,
            "households_ranked": standing.households_ranked,
            "movement": standing.movement,
            "stars": standing.star_level,
            "year": standing.year,
            "year_score": standing.year_score,
            "ranked_at": standing.ranked_at,
            "recent_entries": PointsEntrySerializer(entries, many=True).data,
        }
        times = [t for t in (standing.ranked_at, *(e.created_at for e in entries[:1])) if t]
        return opendata.conditional(request, data, last_modified=max(times) if times else None)


urlpatterns = [
    path("villages/<slug:slug>/rules/", RuleList.as_view(), name="api_village_rules"),
    path("villages/<slug:slug>/ranking/", Ranking.as_view(), name="api_village_ranking"),
    path("households/<str:code>/", HouseholdPublic.as_view(), name="api_household"),
]
