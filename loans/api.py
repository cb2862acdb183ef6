"""The bank API (``/api/v1/bank/``): a branch's systems look up households, read the credit
profile and follow the branch's applications, with the branch's token.

Everything goes through the selectors and services the /bank/ pages use: the same households
(only of villages the branch serves; any other answers 404), the same consent rule, the same
credit figures, and the same lookup log, which the household reads on its credit page
("查询方：三水支行 信贷系统", with the bank's officer id).

Every call names the bank officer responsible in the ``X-Officer-Id`` header (the bank's own
staff id); calls that look at a household's credit also give the ``purpose``. A refused call
writes nothing.
"""

from django.http import Http404
from django.urls import path
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from loans import rates, selectors, services
from loans.apiauth import BankTokenAuthentication, BankTokenThrottle, scoped
from loans.models import Application, BankToken, Lookup
from villageaffairs.apikit import Cursor, Problem, problems

OFFICER_HEADER = "X-Officer-Id"
OFFICER_MAX = Lookup._meta.get_field("bank_officer").max_length

OFFICER_PARAM = OpenApiParameter(
    OFFICER_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The bank's own id of the officer responsible for this call (1 to 64 "
    "printable characters). It is logged and shown to the household.",
)
PURPOSE_PARAM = OpenApiParameter(
    "purpose",
    str,
    required=True,
    enum=Lookup.Purpose.values,
    description="Why the household is looked up (as on the bank's lookup page).",
)


# --- serializers ---------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class RateField(serializers.Field):
    """A rate in percent as a decimal string, written as the bank writes it: "4.42"."""

    def to_representation(self, value):
        return rates.pct(value)


class VillageRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class HouseholdRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    house_number = serializers.CharField()
    village = VillageRefSerializer()


class StandingSerializer(serializers.Serializer):
    """The public figures (the courtyard sign's): anyone may see them."""

    household = HouseholdRefSerializer()
    score = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    households_ranked = serializers.IntegerField()
    star_level = serializers.IntegerField()


class LookupSerializer(serializers.Serializer):
    household = HouseholdRefSerializer(source="profile.household")
    score = serializers.IntegerField(source="profile.score")
    rank = serializers.IntegerField(source="profile.rank", allow_null=True)
    households_ranked = serializers.IntegerField(source="profile.households_ranked")
    star_level = serializers.IntegerField(source="profile.star_level")
    consent = serializers.BooleanField(
        source="full", help_text="Whether the household lets the branch see its credit."
    )
    consent_granted_at = serializers.DateTimeField(source="consent.granted_at", allow_null=True)


class WorkingSerializer(serializers.Serializer):
    """How the rate was reached, step by step."""

    text = serializers.CharField(source="working")
    base_rate = RateField()
    reduction_per_100 = RateField()
    reduction_mode = serializers.CharField()
    steps = serializers.IntegerField(allow_null=True)
    raw_reduction = RateField()
    max_reduction = RateField(allow_null=True)
    capped = serializers.BooleanField()
    reduction = RateField()
    floor_rate = RateField()
    floored = serializers.BooleanField()
    rate = RateField()
    notes = serializers.ListField(child=serializers.CharField())


class TierSerializer(serializers.Serializer):
    star_level = serializers.IntegerField()
    credit_limit = serializers.DecimalField(max_digits=12, decimal_places=2)


class PolicySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    effective_from = serializers.DateField()
    min_term_months = serializers.IntegerField()
    max_term_months = serializers.IntegerField()
    tiers = TierSerializer(many=True, source="tiers.all")


class CreditSerializer(serializers.Serializer):
    """Exactly the bank's credit page: the same selector computes both."""

    household = HouseholdRefSerializer()
    score = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    households_ranked = serializers.IntegerField()
    star_level = serializers.IntegerField()
    eligible = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    credit_limit = serializers.DecimalField(
        source="limit", max_digits=12, decimal_places=2, allow_null=True
    )
    rate = RateField(source="quote.rate", allow_null=True)
    working = WorkingSerializer(source="quote", allow_null=True)
    policy = PolicySerializer(allow_null=True)


class ApplicationSerializer(serializers.ModelSerializer):
    household = HouseholdRefSerializer()
    village = serializers.CharField(source="village.slug")
    state_label = serializers.CharField(source="get_state_display")
    rate = RateField()

    class Meta:
        model = Application
        fields = [
            "id",
            "household",
            "village",
            "amount",
            "term_months",
            "purpose",
            "state",
            "state_label",
            "score",
            "star_level",
            "rank",
            "policy_version",
            "rate",
            "credit_limit",
            "working",
            "created_at",
            "decided_at",
            "approved_amount",
            "decline_reason",
            "disbursed_at",
            "withdrawn_at",
        ]


# --- views ---------------------------------------------------------------------------------


class BankAPIView(APIView):
    """A bank system's call: its token (with the view's scope), then the officer responsible."""

    authentication_classes = [BankTokenAuthentication]
    throttle_classes = [BankTokenThrottle]
    scope = BankToken.Scope.LOOKUP

    def get_permissions(self):
        return [scoped(self.scope)()]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.bank_officer = bank_officer(request)

    @property
    def branch(self):
        return self.request.auth.branch

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code < 400 and isinstance(request.auth, BankToken):
            services.token_used(token=request.auth)
        return super().finalize_response(request, response, *args, **kwargs)


def _interpolated(message, **values):
    """A lazy message with its values filled in: a problem is told in both languages."""
    return lazy(lambda: str(message) % values, str)()


def bank_officer(request) -> str:
    value = request.META.get("HTTP_X_OFFICER_ID", "").strip()
    if not value:
        message = _("Name the bank officer responsible in the X-Officer-Id header.")
        raise Problem("officer_missing", message, errors={OFFICER_HEADER: [message]})
    if len(value) > OFFICER_MAX or not value.isprintable():
        message = _("The officer id is at most 64 printable characters.")
        raise Problem("officer_invalid", message, errors={OFFICER_HEADER: [message]})
    return value


def purpose_of(request) -> str:
    purpose = request.query_params.get("purpose", "").strip()
    if not purpose:
        message = _("Give the purpose of this lookup.")
        raise Problem("purpose_missing", message, errors={"purpose": [message]})
    if purpose not in Lookup.Purpose.values:
        message = _interpolated(
            _("The purpose is one of: %(choices)s."), choices=", ".join(Lookup.Purpose.values)
        )
        raise Problem("purpose_invalid", message, errors={"purpose": [message]})
    return purpose


def _log(request, household, purpose: str, *, full: bool) -> None:
    services.lookup_record(
        branch=request.auth.branch,
        household=household,
        purpose=purpose,
        full_profile=full,
        token=request.auth,
        bank_officer=request.bank_officer,
    )


class HouseholdLookup(BankAPIView):
    scope = BankToken.Scope.LOOKUP

    @extend_schema(
        operation_id="bank_lookup",
        tags=["bank"],
        summary="Find a household by its sign code or a resident's phone number",
        description="The public figures and whether the household consents to the branch "
        "seeing its credit. Logged as a lookup (public figures only).",
        parameters=[
            OFFICER_PARAM,
            PURPOSE_PARAM,
            OpenApiParameter("code", str, description="The household code (on its sign)."),
            OpenApiParameter("phone", str, description="A resident's mobile number."),
        ],
        responses={200: LookupSerializer, **problems(400, 401, 403, 404, 429)},
    )
    def get(self, request):
        purpose = purpose_of(request)
        code = request.query_params.get("code", "").strip()
        phone = request.query_params.get("phone", "").strip()
        if bool(code) == bool(phone):
            message = _("Give either the household code or a phone number.")
            raise Problem("query_missing", message, errors={"code": [message]})
        if code:
            household = selectors.household_for_branch(self.branch, code)
        else:
            household = selectors.household_for_branch_by_phone(self.branch, phone)
        if household is None:  # not served by this branch: as if it did not exist
            raise Http404
        consent = selectors.consent_of(self.branch.pk, household)
        _log(request, household, purpose, full=False)
        result = {
            "profile": selectors.public_profile(household),
            "full": consent is not None,
            "consent": consent,
        }
        return Response(LookupSerializer(result).data)


class HouseholdCredit(BankAPIView):
    scope = BankToken.Scope.CREDIT

    @extend_schema(
        operation_id="bank_credit",
        tags=["bank"],
        summary="A household's credit profile",
        description="Points, rank, star level, credit limit, and the rate as a decimal string "
        "with its working: the figures of the bank's credit page. Needs the household's "
        "consent (403 consent_missing otherwise). Logged as a lookup.",
        parameters=[OFFICER_PARAM, PURPOSE_PARAM],
        responses={200: CreditSerializer, **problems(400, 401, 403, 404, 429)},
    )
    def get(self, request, code):
        purpose = purpose_of(request)
        household = selectors.household_for_branch(self.branch, code)
        if household is None:
            raise Http404
        credit = selectors.branch_credit(self.branch.pk, household)
        if not credit.full:  # the page shows the public figures only; the API refuses
            raise Problem(
                "consent_missing",
                _("The household has not given this branch consent to see its credit."),
                status=403,
            )
        _log(request, household, purpose, full=True)
        return Response(CreditSerializer(credit.profile).data)


class ApplicationList(BankAPIView, generics.ListAPIView):
    scope = BankToken.Scope.APPLICATIONS
    serializer_class = ApplicationSerializer
    pagination_class = Cursor

    @extend_schema(
        operation_id="bank_applications",
        tags=["bank"],
        summary="The branch's loan applications, newest first",
        parameters=[
            OFFICER_PARAM,
            OpenApiParameter("state", str, enum=Application.State.values),
        ],
        responses={200: ApplicationSerializer(many=True), **problems(400, 401, 403, 429)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        state = self.request.query_params.get("state", "")
        if state and state not in Application.State.values:
            message = _interpolated(
                _("The state is one of: %(choices)s."), choices=", ".join(Application.State.values)
            )
            raise Problem("invalid", message, errors={"state": [message]})
        return selectors.branch_applications(self.branch, state)


class ApplicationDetail(BankAPIView):
    scope = BankToken.Scope.APPLICATIONS

    @extend_schema(
        operation_id="bank_application",
        tags=["bank"],
        summary="One of the branch's loan applications and its state",
        parameters=[OFFICER_PARAM],
        responses={200: ApplicationSerializer, **problems(401, 403, 404, 429)},
    )
    def get(self, request, pk):
        application = selectors.application_of_branch(self.branch, pk)
        if application is None:
            raise Http404
        return Response(ApplicationSerializer(application).data)


urlpatterns = [
    path("bank/lookup/", HouseholdLookup.as_view(), name="api_bank_lookup"),
    path("bank/households/<str:code>/credit/", HouseholdCredit.as_view(), name="api_bank_credit"),
    path("bank/applications/", ApplicationList.as_view(), name="api_bank_applications"),
    path("bank/applications/<int:pk>/", ApplicationDetail.as_view(), name="api_bank_application"),
]
