"""The points app in the Django admin, scoped to the cadre's villages (VillageScopedAdmin)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from points import selectors, services, signs
from points.models import (
    Balance,
    Claim,
    EvidencePhoto,
    Item,
    LedgerEntry,
    Objection,
    PointsSettings,
    Redemption,
    Rule,
    RuleRevision,
    Sign,
    Suspension,
)
from villageaffairs.admin_scoping import ReadOnlyAdminMixin, VillageScopedAdmin
from villageaffairs.images import clean_image
from villageaffairs.models import Village
from villageaffairs.printing import PrintAddressError

# Up to this many signs are drawn in the request (well under a second); more go to a worker.
INLINE_SIGNS = 40


def _thumb(photo):
    return format_html(
        '<a href="{}"><img src="{}" width="80" height="80" style="object-fit:cover" alt=""></a>',
        photo.image.url,
        photo.thumbnail.url,
    )


class RuleRevisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RuleRevision
    extra = 0
    fields = ("created_at", "actor", "changes", "note")
    readonly_fields = fields


class RuleForm(forms.ModelForm):
    note = forms.CharField(label=_("Note for the history"), max_length=300, required=False)

    class Meta:
        model = Rule
        fields = (
            "village",
            "category",
            "text",
            "points",
            "evidence_required",
            "limit_count",
            "limit_period",
            "in_force_from",
            "in_force_to",
            "position",
        )


@admin.register(Rule)
class RuleAdmin(VillageScopedAdmin):
    form = RuleForm
    list_display = (
        "text",
        "category",
        "points",
        "evidence_required",
        "in_force_from",
        "in_force_to",
    )
    list_filter = ("category", "evidence_required")
    search_fields = ("text",)
    inlines = [RuleRevisionInline]

    def has_delete_permission(self, request, obj=None):
        return False  # rules leave history; end one with "in force until"

    def save_model(self, request, obj, form, change):
        if not self._may(request, obj):
            raise PermissionDenied
        note = form.cleaned_data.get("note", "")
        fields = [f for f in services.RULE_FIELDS if f in form.cleaned_data]
        if change:
            changed = {f: form.cleaned_data[f] for f in form.changed_data if f in fields}
            services.rule_update(actor=request.user, rule=obj, note=note, **changed)
        else:
            values = {f: form.cleaned_data[f] for f in fields}
            rule = services.rule_create(
                actor=request.user, village=form.cleaned_data["village"], note=note, **values
            )
            obj.pk, obj.created_at = rule.pk, rule.created_at


class EvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = EvidencePhoto
    fk_name = "claim"
    extra = 0
    fields = ("preview", "width", "height")
    readonly_fields = fields

    @admin.display(description=_("photo"))
    def preview(self, photo):
        return _thumb(photo)


class ClaimActionForm(ActionForm):
    reason = forms.CharField(label=_("Reason (to reject)"), required=False, max_length=300)


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdminMixin, VillageScopedAdmin):
    list_display = ("household", "rule_text", "points", "state", "created_at", "thumbnails")
    list_filter = ("state", "rule__category")
    search_fields = ("household__name", "household__house_number", "rule__text")
    list_select_related = ("household", "rule")
    inlines = [EvidenceInline]
    action_form = ClaimActionForm
    actions = ["approve_selected", "reject_selected"]
    readonly_fields = (
        "household",
        "rule",
        "points",
        "note",
        "state",
        "claimant",
        "acted_for",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_reason",
    )
    fields = readonly_fields

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        # Actions need the change permission; the form itself stays read-only.
        return self._may(request, obj)

    def get_queryset(self, request):
        # Pending claims first, oldest first among them.
        return (
            super()
            .get_queryset(request)
            .prefetch_related("photos")
            .annotate(
                pending=Case(
                    When(state=Claim.State.SUBMITTED, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("pending", "created_at")
        )

    @admin.display(description=_("rule"))
    def rule_text(self, claim):
        return claim.rule.text[:40]

    @admin.display(description=_("photos"))
    def thumbnails(self, claim):
        return format_html_join(
            "",
            '<img src="{}" width="48" height="48" style="object-fit:cover" alt="">',
            ((p.thumbnail.url,) for p in claim.photos.all()),
        )

    @admin.action(description=_("Approve selected claims"))
    def approve_selected(self, request, queryset):
        done, failed = 0, []
        for claim in queryset.filter(state=Claim.State.SUBMITTED):
            try:
                services.claim_approve(actor=request.user, claim=claim)
                done += 1
            except ValidationError as exc:
                failed.append(f"{claim}: {' '.join(exc.messages)}")
        self.message_user(
            request,
            ngettext("%(n)d claim approved.", "%(n)d claims approved.", done) % {"n": done},
            messages.SUCCESS,
        )
        for text in failed:
            self.message_user(request, text, messages.ERROR)

    @admin.action(description=_("Reject selected claims (with the reason below)"))
    def reject_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(request, _("Write a reason to reject claims."), messages.ERROR)
            return
        done = 0
        for claim in queryset.filter(state=Claim.State.SUBMITTED):
            services.claim_reject(actor=request.user, claim=claim, reason=reason)
            done += 1
        self.message_user(
            request,
            ngettext("%(n)d claim rejected.", "%(n)d claims rejected.", done) % {"n": done},
            messages.SUCCESS,
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, VillageScopedAdmin):
    list_display = ("created_at", "household", "kind", "points", "reason", "actor")
    list_filter = ("kind", "year")
    search_fields = ("household__name", "household__house_number", "reason")
    list_select_related = ("household", "actor")
    date_hierarchy = "created_at"

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdminMixin, VillageScopedAdmin):
    list_display = ("household", "score", "balance", "updated_at")
    search_fields = ("household__name", "household__house_number")
    list_select_related = ("household",)
    ordering = ("-score",)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdminMixin, VillageScopedAdmin):
    list_display = ("entry", "text", "raised_by", "state", "created_at", "response")
    list_filter = ("state",)
    list_select_related = ("entry__household", "raised_by")

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdminMixin, VillageScopedAdmin):
    list_display = ("created_at", "household", "item", "quantity", "points", "state")
    list_filter = ("state",)
    list_select_related = ("household", "item")

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = ("village", "name", "cost", "stock", "photo", "is_active")

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):  # a new upload
            cleaned = clean_image(photo)
            self.instance.thumbnail = cleaned.thumbnail
            return cleaned.image
        return photo


@admin.register(Item)
class ItemAdmin(VillageScopedAdmin):
    form = ItemForm
    list_display = ("name", "cost", "stock", "is_active")
    list_editable = ("stock", "is_active")
    search_fields = ("name",)


@admin.register(Suspension)
class SuspensionAdmin(VillageScopedAdmin):
    list_display = ("household", "reason", "starts_on", "ends_on")
    list_select_related = ("household",)
    fields = ("village", "household", "reason", "starts_on", "ends_on")


@admin.register(PointsSettings)
class PointsSettingsAdmin(VillageScopedAdmin):
    list_display = ("village", "posting_days", "star_thresholds")


@admin.register(Sign)
class SignAdmin(VillageScopedAdmin):
    list_display = ("house_number", "name", "villager_group", "preview")
    search_fields = ("name", "house_number")
    actions = ["print_signs", "print_signs_with_figures", "reissue_codes"]
    list_select_related = ("village",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)  # the actions need it; no field is editable

    def get_readonly_fields(self, request, obj=None):
        return ("village", "house_number", "name", "villager_group", "preview")

    fields = ("village", "house_number", "name", "villager_group", "preview")

    @admin.display(description=_("sign"))
    def preview(self, household):
        from django.urls import reverse

        url = reverse("points:sign_png", args=[household.village.slug, household.pk])
        return format_html('<a href="{}">{}</a>', url, _("PNG"))

    @admin.action(description=_("Print the selected signs (PDF)"))
    def print_signs(self, request, queryset):
        return self._print(request, queryset, figures=False)

    @admin.action(description=_("Print the selected signs with score, rank and stars (PDF)"))
    def print_signs_with_figures(self, request, queryset):
        return self._print(request, queryset, figures=True)

    def _print(self, request, queryset, *, figures: bool):
        """A few signs come back at once; more go to a worker, and the cadre is sent to the
        print's page, which shows its progress and then the download. Nothing is printed
        when the QR codes would carry an address no phone can reach."""
        villages = sorted(set(queryset.values_list("village_id", flat=True)))
        if len(villages) != 1:
            self.message_user(
                request, _("Select the signs of one village at a time."), messages.ERROR
            )
            return None
        village = Village.objects.get(pk=villages[0])
        ids = list(queryset.values_list("pk", flat=True))
        try:
            if len(ids) > INLINE_SIGNS:
                job = services.sign_print_request(
                    actor=request.user, village=village, figures=figures, household_ids=ids
                )
                return redirect("points:sign_print", village.slug, job.pk)
            table, as_of = selectors.sign_figures(village.pk) if figures else (None, None)
            pdf = signs.signs_pdf(
                queryset.select_related("village").order_by("house_number", "pk"),
                figures=table,
                as_of=as_of,
                title=str(village),
            )
        except PrintAddressError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="signs.pdf"'
        return response

    @admin.action(description=_("Re-issue the code of the selected signs (old signs stop working)"))
    def reissue_codes(self, request, queryset):
        from villageaffairs.services import household_reissue_code

        count = 0
        for household in queryset:
            household_reissue_code(actor=request.user, household=household)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(n)d new code issued: print its sign again.",
                "%(n)d new codes issued: print their signs again.",
                count,
            )
            % {"n": count},
            messages.SUCCESS,
        )
