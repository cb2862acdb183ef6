"""Banks, branches and their staff are set up by platform operators; the bank's own work
(policies, applications) happens on the /bank/ pages, which go through the services. Lookups,
consents and applications are shown read-only here, so the records cannot be rewritten."""

from django.contrib import admin

from loans.models import (
    Application,
    Bank,
    BankToken,
    Branch,
    BranchRole,
    Consent,
    Lookup,
    RatePolicy,
    StarTier,
)
from villageaffairs import audit
from villageaffairs.admin_scoping import OperatorOnlyAdmin, ReadOnlyAdminMixin


class AuditedOperatorAdmin(OperatorOnlyAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{'change' if change else 'add'}",
            obj=obj,
            changes={f: form.cleaned_data.get(f) for f in form.changed_data if f != "villages"},
        )


class ReadOnlyOperatorAdmin(ReadOnlyAdminMixin, OperatorOnlyAdmin):
    pass


@admin.register(Bank)
class BankAdmin(AuditedOperatorAdmin):
    list_display = ["name", "name_en"]
    search_fields = ["name", "name_en"]


@admin.register(Branch)
class BranchAdmin(AuditedOperatorAdmin):
    list_display = ["name", "bank"]
    list_filter = ["bank"]
    search_fields = ["name", "bank__name"]
    filter_horizontal = ["villages"]


@admin.register(BranchRole)
class BranchRoleAdmin(AuditedOperatorAdmin):
    list_display = ["user", "branch", "role", "created_at"]
    list_filter = ["role", "branch__bank"]
    autocomplete_fields = ["user"]
    search_fields = ["user__username", "user__display_name", "branch__name"]


class StarTierInline(admin.TabularInline):
    model = StarTier
    extra = 0


@admin.register(RatePolicy)
class RatePolicyAdmin(ReadOnlyOperatorAdmin):
    list_display = ["branch", "version", "effective_from", "base_rate", "floor_rate"]
    list_filter = ["branch__bank"]
    inlines = [StarTierInline]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyOperatorAdmin):
    list_display = ["household", "branch", "granted_at", "revoked_at"]
    list_select_related = ["household", "branch__bank"]


@admin.register(Lookup)
class LookupAdmin(ReadOnlyOperatorAdmin):
    list_display = [
        "created_at",
        "officer",
        "token",
        "bank_officer",
        "household",
        "branch",
        "purpose",
        "full_profile",
    ]
    list_filter = ["purpose", "branch"]
    list_select_related = ["officer", "token", "household", "branch__bank"]
    date_hierarchy = "created_at"


@admin.register(BankToken)
class BankTokenAdmin(ReadOnlyOperatorAdmin):
    """Read only: tokens are made and revoked by the branch manager's page or the command."""

    list_display = [
        "name",
        "prefix",
        "branch",
        "scopes",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["branch"]
    list_select_related = ["branch__bank"]
    exclude = ["digest"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyOperatorAdmin):
    list_display = ["created_at", "household", "branch", "amount", "rate", "state"]
    list_filter = ["state", "branch"]
    list_select_related = ["household", "branch__bank"]
