"""Open data of the publicity app: published disclosures (party, village and finance affairs)
and the published monthly statements with their entries. Drafts and months not yet published
answer 404, as on the pages."""

from django.urls import path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from publicity import selectors
from publicity.models import Category, Direction, Disclosure, FinanceEntry, FinanceMonth, month_key
from villageaffairs import opendata
from villageaffairs.api import village_or_404
from villageaffairs.apikit import Problem, problems

NO_STATEMENT = _("This month's statement is not published.")

MONTH = r"(?P<period>\d{4}-\d{2})"


class DisclosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Disclosure
        fields = [
            "id",
            "kind",
            "title",
            "text",
            "period_start",
            "period_end",
            "published_at",
            "amended_at",
        ]


@extend_schema(
    parameters=[
        OpenApiParameter("kind", str, enum=Disclosure.Kind.values),
        *opendata.DATE_PARAMETERS,
    ],
    responses={200: DisclosureSerializer(many=True), **problems(400, 404, 429)},
)
class DisclosureList(opendata.OpenList):
    """The village's published disclosures, newest first; ``since`` and ``until`` bound the
    day of publication."""

    serializer_class = DisclosureSerializer
    pagination_class = opendata.cursor_for(("-published_at", "-pk"))
    version_fields = ("published_at", "amended_at")

    def get_queryset(self):
        village = village_or_404(self.kwargs["slug"])
        since, until = opendata.date_range(self.request)
        kind = self.request.query_params.get("kind", "")
        rows = selectors.disclosure_rows(
            village, kind=kind if kind in Disclosure.Kind.values else "", insider=False
        )
        if since:
            rows = rows.filter(published_at__date__gte=since)
        if until:
            rows = rows.filter(published_at__date__lte=until)
        return rows


class StatementSerializer(serializers.ModelSerializer):
    month = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = FinanceMonth
        fields = [
            "month",
            "url",
            "opening_balance",
            "income",
            "expense",
            "closing_balance",
            "entry_count",
            "published_at",
        ]

    def get_month(self, row) -> str:
        return row.key

    def get_url(self, row) -> str:
        kwargs = {"slug": self.context["slug"], "period": row.key}
        return reverse("api_village_statement", kwargs=kwargs, request=self.context["request"])


def _context(view):
    return {"slug": view.kwargs["slug"]}


@extend_schema(
    parameters=opendata.DATE_PARAMETERS,
    responses={200: StatementSerializer(many=True), **problems(400, 404, 429)},
)
class StatementList(opendata.OpenList):
    """The village's published monthly statements, newest month first, with their totals;
    ``since`` and ``until`` bound the months (a month counts from its first day)."""

    serializer_class = StatementSerializer
    pagination_class = opendata.cursor_for(("-month",))
    version_fields = ("published_at",)

    def get_queryset(self):
        village = village_or_404(self.kwargs["slug"])
        since, until = opendata.date_range(self.request)
        rows = selectors.published_months(village)
        if since:
            rows = rows.filter(month__gte=since.replace(day=1))
        if until:
            rows = rows.filter(month__lte=until)
        return rows

    def get_serializer_context(self):
        return super().get_serializer_context() | _context(self)


def _published_month(village, period: str):
    """The published month (and the books), or the 404 problem: the month page's rule."""
    month = selectors.parse_month(period)
    the_book = selectors.book(village)
    row = FinanceMonth.objects.filter(village=village, month=month).first() if month else None
    if month is None or not selectors.month_visible(the_book, row, month, insider=False):
        raise Problem("statement_not_published", NO_STATEMENT, status=404)
    return month, the_book, row


CATEGORY_TOTAL = inline_serializer(
    "CategoryTotal",
    {
        "direction": serializers.ChoiceField(choices=Direction.choices),
        "category": serializers.ChoiceField(choices=Category.choices),
        "label": serializers.CharField(help_text="The category's name in the request's language."),
        "total": serializers.DecimalField(max_digits=14, decimal_places=2),
        "entries": serializers.IntegerField(),
    },
)
STATEMENT = inline_serializer(
    "StatementFigures",
    {
        "month": serializers.CharField(),
        "opening_balance": serializers.DecimalField(max_digits=14, decimal_places=2),
        "income": serializers.DecimalField(max_digits=14, decimal_places=2),
        "expense": serializers.DecimalField(max_digits=14, decimal_places=2),
        "closing_balance": serializers.DecimalField(max_digits=14, decimal_places=2),
        "entry_count": serializers.IntegerField(),
        "by_category": serializers.ListField(child=CATEGORY_TOTAL),
        "published_at": serializers.DateTimeField(),
        "entries": serializers.URLField(),
    },
)


class StatementDetail(APIView):
    @extend_schema(responses={200: STATEMENT, **problems(404, 429)})
    def get(self, request, slug, period):
        """A published month's statement: opening balance, income, expense and closing
        balance, and the totals by category, as the month page computes them."""
        village = village_or_404(slug)
        month, the_book, row = _published_month(village, period)
        figures = selectors.month_figures(village, month, book=the_book, row=row)
        kwargs = {"slug": slug, "period": month_key(month)}
        # The figures name categories by their (translated) label; the data carries the code.
        codes = {str(label): code for code, label in Category.choices}
        data = {
            "month": month_key(month),
            "opening_balance": f"{figures.opening_balance:.2f}",
            "income": f"{figures.income:.2f}",
            "expense": f"{figures.expense:.2f}",
            "closing_balance": f"{figures.closing_balance:.2f}",
            "entry_count": figures.entry_count,
            "by_category": [
                {
                    "direction": d,
                    "category": codes.get(str(label), ""),
                    "label": str(label),
                    "total": f"{total:.2f}",
                    "entries": n,
                }
                for d, label, total, n in figures.by_category
            ],
            "published_at": row.published_at,
            "entries": reverse("api_village_statement_entries", kwargs=kwargs, request=request),
        }
        return opendata.conditional(request, data, last_modified=row.published_at)


class FinanceEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = FinanceEntry
        fields = [
            "id",
            "date",
            "direction",
            "category",
            "amount",
            "counterparty",
            "voucher_no",
            "note",
        ]


@extend_schema(
    parameters=opendata.DATE_PARAMETERS,
    responses={200: FinanceEntrySerializer(many=True), **problems(400, 404, 429)},
)
class StatementEntryList(opendata.OpenList):
    """A published month's income and expense entries, by date, as the month page lists them;
    ``since`` and ``until`` narrow the days within the month."""

    serializer_class = FinanceEntrySerializer
    pagination_class = opendata.cursor_for(("date", "pk"))
    version_fields = ("created_at",)

    def get_queryset(self):
        village = village_or_404(self.kwargs["slug"])
        month, _book, self.month_row = _published_month(village, self.kwargs["period"])
        since, until = opendata.date_range(self.request)
        rows = selectors.month_entries(village, month)
        if since:
            rows = rows.filter(date__gte=since)
        if until:
            rows = rows.filter(date__lte=until)
        return rows

    def version(self, queryset):
        parts, last_modified = super().version(queryset)
        published = self.month_row.published_at
        return (*parts, published), max(t for t in (last_modified, published) if t)


urlpatterns = [
    path(
        "villages/<slug:slug>/disclosures/",
        DisclosureList.as_view(),
        name="api_village_disclosures",
    ),
    path(
        "villages/<slug:slug>/statements/",
        StatementList.as_view(),
        name="api_village_statements",
    ),
    re_path(
        rf"^villages/(?P<slug>[-a-zA-Z0-9_]+)/statements/{MONTH}/$",
        StatementDetail.as_view(),
        name="api_village_statement",
    ),
    re_path(
        rf"^villages/(?P<slug>[-a-zA-Z0-9_]+)/statements/{MONTH}/entries/$",
        StatementEntryList.as_view(),
        name="api_village_statement_entries",
    ),
]
