"""The blackboard in the Django admin, scoped to the cadre's villages. Publishing, checking and
amending go through the cadre pages (services keep revisions and the order of the books); the
admin shows the records, and operators find the villages whose accounts are late."""

from django.contrib import admin

from publicity.models import (
    Disclosure,
    DisclosureRevision,
    EntryImport,
    FinanceBook,
    FinanceEntry,
    FinanceMonth,
    OverdueNotice,
    Question,
)
from villageaffairs.admin_scoping import ReadOnlyAdminMixin, VillageScopedAdmin


class ReadOnlyAdmin(ReadOnlyAdminMixin, VillageScopedAdmin):
    pass


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("title", "village", "kind", "status", "published_at", "amended_at")
    list_filter = ("kind", "status")
    search_fields = ("title",)
    list_select_related = ("village",)


@admin.register(DisclosureRevision)
class DisclosureRevisionAdmin(ReadOnlyAdmin):
    list_display = ("title", "disclosure", "reason", "editor", "amended_at")
    list_select_related = ("disclosure", "editor")


@admin.register(FinanceBook)
class FinanceBookAdmin(ReadOnlyAdmin):
    list_display = ("village", "starts_on", "opening_balance")
    list_select_related = ("village",)


@admin.register(FinanceMonth)
class FinanceMonthAdmin(ReadOnlyAdmin):
    list_display = (
        "village",
        "month",
        "status",
        "opening_balance",
        "income",
        "expense",
        "closing_balance",
        "checked_by",
        "published_at",
    )
    list_filter = ("status",)
    list_select_related = ("village", "checked_by")
    date_hierarchy = "month"


@admin.register(FinanceEntry)
class FinanceEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "date",
        "village",
        "direction",
        "category",
        "amount",
        "counterparty",
        "voucher_no",
    )
    list_filter = ("direction", "category")
    search_fields = ("counterparty", "voucher_no", "note")
    list_select_related = ("village",)
    date_hierarchy = "date"


@admin.register(EntryImport)
class EntryImportAdmin(ReadOnlyAdmin):
    list_display = ("filename", "village", "row_count", "uploaded_by", "created_at", "imported_at")
    list_select_related = ("village", "uploaded_by")
    exclude = ("data",)


@admin.register(Question)
class QuestionAdmin(ReadOnlyAdmin):
    list_display = ("text", "village", "author", "created_at", "answered_by", "answered_at")
    list_filter = ("answered_at",)
    list_select_related = ("village", "author", "answered_by")


@admin.register(OverdueNotice)
class OverdueNoticeAdmin(ReadOnlyAdmin):
    """Operators: every village whose accounts were late, and whether they are still."""

    list_display = ("village", "month", "marked_at", "cleared_at")
    list_filter = ("cleared_at", "month")
    search_fields = ("village__name", "village__region_path")
    list_select_related = ("village",)
