from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from villageaffairs import audit, housenumbers, selectors, services
from villageaffairs.admin_scoping import (
    AuditedOperatorAdmin,
    OperatorOnlyAdmin,
    VillageScopedAdmin,
    VillageScopedInlineMixin,
    form_before,
    record_delete,
    record_save,
)
from villageaffairs.models import (
    AuditEntry,
    CadreInvitation,
    Household,
    JoinRequest,
    Region,
    RegionOfficial,
    Resident,
    RoleAssignment,
    User,
    Village,
)
from villageaffairs.permissions import managed_village_ids
from villageaffairs.phones import normalize_phone

admin.site.site_header = _("Village Affairs administration")
admin.site.site_title = _("Village Affairs")
admin.site.index_title = _("Village administration")


def _operator(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class RoleAssignmentInline(admin.TabularInline):
    """A user's village roles, granted and removed through the services (audited, and the
    staff flag follows the roles)."""

    model = RoleAssignment
    fields = ("village", "role")
    extra = 0


class UserForm(UserChangeForm):
    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return normalize_phone(phone) if phone else None


@admin.register(User)
class UserAdmin(OperatorOnlyAdmin, BaseUserAdmin):
    form = UserForm
    list_display = ("username", "display_name", "phone", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "phone")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Village"), {"fields": ("display_name", "phone", "phone_verified")}),
    )
    inlines = [RoleAssignmentInline]

    def get_inline_instances(self, request, obj=None):
        # Roles are given once the account exists (the add form is username and password).
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_model(self, request, obj, form, change):
        before = form_before(form, change)
        super().save_model(request, obj, form, change)
        record_save(request, obj, form, change, before)

    def save_formset(self, request, form, formset, change):
        if formset.model is RoleAssignment:
            _save_role_formset(request, form.instance, formset)
        else:
            super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        record_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = User.objects.get(pk=id)
            audit.record(actor=request.user, action="user.password_change", obj=user)
        return response


def _save_role_formset(request, user, formset):
    formset.save(commit=False)
    for assignment in formset.deleted_objects:
        services.role_revoke(
            actor=request.user, user=user, village=assignment.village, role=assignment.role
        )
    for assignment, _changed in formset.changed_objects:
        old = RoleAssignment.objects.select_related("village").get(pk=assignment.pk)
        services.role_revoke(actor=request.user, user=user, village=old.village, role=old.role)
        services.role_assign(
            actor=request.user, user=user, village=assignment.village, role=assignment.role
        )
    for assignment in formset.new_objects:
        services.role_assign(
            actor=request.user, user=user, village=assignment.village, role=assignment.role
        )


@admin.register(Region)
class RegionAdmin(AuditedOperatorAdmin):
    list_display = ("name", "name_en", "level", "code", "parent")
    list_filter = ("level",)
    search_fields = ("name", "name_en", "code")
    autocomplete_fields = ("parent",)


@admin.register(RegionOfficial)
class RegionOfficialAdmin(AuditedOperatorAdmin):
    """Township and county officials: operators appoint them (villageaffairs.officials)."""

    list_display = ("user", "region", "title", "created_at")
    list_filter = ("region__level", ("region", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__display_name", "user__phone", "region__name")
    list_select_related = ("user", "region")
    autocomplete_fields = ("user", "region")


class VillageForm(forms.ModelForm):
    class Meta:
        model = Village
        fields = ("name", "name_en", "slug", "code", "region", "introduction", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Leave empty to make one from the name in pinyin.")
        self.fields["region"].queryset = Region.objects.filter(level=Region.Level.TOWN)

    def clean_slug(self):
        from villageaffairs.divisions import unique_village_slug

        slug = self.cleaned_data.get("slug")
        if slug:
            return slug
        return unique_village_slug(
            self.cleaned_data.get("name") or "",
            self.cleaned_data.get("name_en") or "",
            exclude_pk=self.instance.pk,
        )


@admin.register(Village)
class VillageAdmin(AuditedOperatorAdmin):
    form = VillageForm
    list_display = ("name", "name_en", "slug", "code", "region", "is_active")
    search_fields = ("name", "name_en", "slug", "code")
    readonly_fields = ("region_path",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.village_refresh_region_path(village=obj)


class ResidentForm(forms.ModelForm):
    #: set by the admin for cadres: accounts they may link are their village's villagers
    scoped = False

    class Meta:
        model = Resident
        fields = ("household", "name", "phone", "phone_owner", "year_of_birth", "user")

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return normalize_phone(phone) if phone else ""

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        household = cleaned.get("household") or (
            instance.household if instance.household_id else None
        )
        if (
            instance.pk
            and household is not None
            and household.pk != instance.household_id
            and instance.household.head_id == instance.pk
        ):
            self.add_error(
                "household",
                _("This resident heads their household: choose another head there first."),
            )
        user = cleaned.get("user")
        if (
            self.scoped
            and user is not None
            and household is not None
            and user.pk != instance.user_id
            and not selectors.is_villager_account(user=user, village_id=household.village_id)
        ):
            self.add_error(
                "user",
                _("Only a villager account of this resident's village can be linked."),
            )
        return cleaned


def _resident_changes(form, fields) -> dict:
    return {f: form.cleaned_data[f] for f in form.changed_data if f in fields}


class ResidentInline(VillageScopedInlineMixin, admin.TabularInline):
    model = Resident
    fields = ("name", "phone", "phone_owner", "year_of_birth")
    form = ResidentForm
    extra = 0
    show_change_link = True


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = ("village", "house_number", "villager_group", "head")

    def clean_house_number(self):
        return housenumbers.clean(self.cleaned_data.get("house_number"))

    def clean_head(self):
        head = self.cleaned_data.get("head")
        if head is not None and (not self.instance.pk or head.household_id != self.instance.pk):
            raise forms.ValidationError(_("The head must be a resident of this household."))
        return head


@admin.register(Household)
class HouseholdAdmin(VillageScopedAdmin):
    form = HouseholdForm
    list_display = ("house_number", "name", "villager_group", "village")
    list_filter = ("village", "villager_group")
    search_fields = ("house_number", "name", "residents__name")
    list_select_related = ("village",)
    readonly_fields = ("code",)
    fields = ("village", "house_number", "villager_group", "head", "code")
    inlines = [ResidentInline]
    actions = ["reissue_code", "import_register"]
    change_list_template = "admin/villageaffairs/household/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_register_view)
        return [
            path("import/", view, name="villageaffairs_household_import"),
            *super().get_urls(),
        ]

    def import_register_view(self, request):
        """The admin's way to the register import: the cadre's own village's import page (the
        village chosen in the list's filter when they manage several, or are an operator)."""
        managed = managed_village_ids(request.user)
        chosen = request.GET.get("village__id__exact", "")
        village = None
        if chosen.isascii() and chosen.isdigit() and (managed is None or int(chosen) in managed):
            village = Village.objects.filter(pk=int(chosen)).first()
        elif managed is not None and len(managed) == 1:
            village = Village.objects.filter(pk=managed[0]).first()
        if village is None:
            self.message_user(
                request, _("Choose the village in the filter first."), messages.WARNING
            )
            return redirect("admin:villageaffairs_household_changelist")
        return redirect("household_import", village.slug)

    @admin.action(description=_("Import the household register of their village from Excel"))
    def import_register(self, request, queryset):
        villages = list(Village.objects.filter(pk__in=queryset.values("village_id")).distinct()[:2])
        if len(villages) != 1:
            self.message_user(request, _("Choose households of one village."), messages.ERROR)
            return None
        return redirect("household_import", villages[0].slug)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "head":
            # Only residents of this household can head it (the form checks it again).
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Resident.objects.filter(household_id=object_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Resident:
            return super().save_formset(request, form, formset, change)
        household = form.instance
        formset.save(commit=False)
        for resident in formset.deleted_objects:
            record_delete(request, resident)
            resident.delete()
        for resident, _changed in formset.changed_objects:
            inline = next(f for f in formset.forms if f.instance is resident)
            current = Resident.objects.get(pk=resident.pk, household=household)
            services.resident_update(
                actor=request.user,
                resident=current,
                **_resident_changes(inline, ResidentInline.fields),
            )
        for resident in formset.new_objects:
            inline = next(f for f in formset.forms if f.instance is resident)
            resident.village_id = household.village_id
            resident.save()
            record_save(request, resident, inline, False, {})

    def save_model(self, request, obj, form, change):
        if obj.head_id:
            obj.name = obj.head.name
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Re-issue the sign code (the old QR sign stops working)"))
    def reissue_code(self, request, queryset):
        count = 0
        for household in queryset:
            services.household_reissue_code(actor=request.user, household=household)
            count += 1
        self.message_user(
            request,
            ngettext("Re-issued %(n)d code.", "Re-issued %(n)d codes.", count) % {"n": count},
            messages.SUCCESS,
        )


@admin.register(Resident)
class ResidentAdmin(VillageScopedAdmin):
    list_display = (
        "name",
        "household",
        "phone",
        "phone_owner",
        "year_of_birth",
        "registered",
        "village",
    )
    list_filter = ("village", "phone_owner", "registered")
    search_fields = ("name", "phone", "household__house_number")
    list_select_related = ("household", "village")
    raw_id_fields = ("user",)
    fields = ("household", "name", "phone", "phone_owner", "year_of_birth", "user")
    form = ResidentForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.scoped = not _operator(request)
        return form

    def save_model(self, request, obj, form, change):
        # A new resident's village is its household's (the form offers only the cadre's own
        # households); set it first, so the check below sees the village it will belong to.
        obj.village_id = obj.household.village_id
        if not self._may(request, obj):
            raise PermissionDenied
        if not change:
            return super().save_model(request, obj, form, change)
        # Through the service: a new number ends the old account link.
        current = Resident.objects.get(pk=obj.pk)
        services.resident_update(
            actor=request.user, resident=current, **_resident_changes(form, self.fields)
        )
        obj.user = current.user


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(VillageScopedAdmin):
    list_display = ("user", "village", "role", "created_at")
    list_filter = ("role", "village")
    search_fields = ("user__username", "user__display_name", "user__phone")
    raw_id_fields = ("user",)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    # Through the services: audited, and the staff flag follows the roles.
    def save_model(self, request, obj, form, change):
        if change:
            old = RoleAssignment.objects.select_related("user", "village").get(pk=obj.pk)
            services.role_revoke(
                actor=request.user, user=old.user, village=old.village, role=old.role
            )
        assignment = services.role_assign(
            actor=request.user, user=obj.user, village=obj.village, role=obj.role
        )
        obj.pk = assignment.pk
        obj.created_at = assignment.created_at

    def delete_model(self, request, obj):
        services.role_revoke(actor=request.user, user=obj.user, village=obj.village, role=obj.role)


@admin.register(AuditEntry)
class AuditEntryAdmin(VillageScopedAdmin):
    list_display = ("created_at", "actor", "action", "object_repr", "village")
    list_filter = ("action",)
    search_fields = ("object_repr", "action")
    list_select_related = ("actor", "village")

    # The trail is append-only, in the admin too.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JoinRequest)
class JoinRequestAdmin(VillageScopedAdmin):
    """Read only: requests are decided on the cadre work page (or My household), where the
    service checks the resident and writes the audit trail."""

    list_display = ("created_at", "name", "household", "resident", "state", "decided_by")
    list_filter = ("state",)
    search_fields = ("name", "household__house_number")
    list_select_related = ("household", "resident", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CadreInvitation)
class CadreInvitationAdmin(VillageScopedAdmin):
    """Read only: invitations are sent and revoked on the village's invitations page, where the
    service checks the region and writes the audit trail."""

    list_display = ("created_at", "village", "phone", "role", "invited_by", "accepted_at")
    list_filter = ("role",)
    search_fields = ("phone",)
    list_select_related = ("village", "invited_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
