from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from villageaffairs import services
from villageaffairs.admin_scoping import OperatorOnlyAdmin, VillageScopedAdmin
from villageaffairs.models import (
    AuditEntry,
    Household,
    Region,
    Resident,
    RoleAssignment,
    User,
    Village,
)
from villageaffairs.phones import normalize_phone

admin.site.site_header = _("Village Affairs administration")
admin.site.site_title = _("Village Affairs")
admin.site.index_title = _("Village administration")


@admin.register(User)
class UserAdmin(OperatorOnlyAdmin, BaseUserAdmin):
    list_display = ("username", "display_name", "phone", "is_staff", "is_superuser")
    search_fields = ("username", "display_name", "phone")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Village"), {"fields": ("display_name", "phone", "phone_verified")}),
    )


@admin.register(Region)
class RegionAdmin(OperatorOnlyAdmin):
    list_display = ("name", "name_en", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "name_en")


@admin.register(Village)
class VillageAdmin(OperatorOnlyAdmin):
    list_display = ("name", "name_en", "slug", "region", "is_active")
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    readonly_fields = ("region_path",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.village_refresh_region_path(village=obj)


class ResidentForm(forms.ModelForm):
    class Meta:
        model = Resident
        fields = ("household", "name", "phone", "year_of_birth", "user")

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return normalize_phone(phone) if phone else ""


class ResidentInline(admin.TabularInline):
    model = Resident
    fields = ("name", "phone", "year_of_birth")
    form = ResidentForm
    extra = 0
    show_change_link = True


@admin.register(Household)
class HouseholdAdmin(VillageScopedAdmin):
    list_display = ("house_number", "name", "villager_group", "village")
    list_filter = ("village", "villager_group")
    search_fields = ("house_number", "name", "residents__name")
    list_select_related = ("village",)
    readonly_fields = ("code",)
    fields = ("village", "house_number", "villager_group", "head", "code")
    inlines = [ResidentInline]
    actions = ["reissue_code"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "head":
            # Only residents of this household can head it.
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Resident.objects.filter(household_id=object_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance.village_id = form.instance.village_id
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()

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
    list_display = ("name", "household", "phone", "year_of_birth", "village")
    list_filter = ("village",)
    search_fields = ("name", "phone", "household__house_number")
    list_select_related = ("household", "village")
    raw_id_fields = ("user",)
    fields = ("household", "name", "phone", "year_of_birth", "user")
    form = ResidentForm

    def save_model(self, request, obj, form, change):
        obj.village_id = obj.household.village_id
        super().save_model(request, obj, form, change)


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
