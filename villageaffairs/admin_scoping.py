"""The Django admin, scoped by village: a cadre sees and changes only their villages' objects.

Every village-scoped ModelAdmin inherits ``VillageScopedAdmin``; querysets, foreign-key
choices, object permissions and saves are all filtered through ``managed_village_ids``.
Changes are written to the audit trail.

A township or county official who is staff also *views* (never adds, changes, deletes or runs
actions on) the objects of the villages under their region (``overseen_village_ids``).
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from villageaffairs import audit
from villageaffairs.permissions import managed_village_ids, overseen_village_ids


def _secret(field: str) -> bool:
    # Password hashes (and the add form's two password fields) never go into the trail.
    return "password" in field


def form_before(form, change) -> dict:
    """The changed fields' values before the form: read them before saving."""
    if not change:
        return {}
    return {f: form.initial.get(f) for f in form.changed_data if not _secret(f)}


def record_save(request, obj, form, change, before: dict) -> None:
    """An admin add or change in the audit trail: who, what, and the changed fields."""
    changes = {
        f: (before.get(f), form.cleaned_data.get(f)) if change else form.cleaned_data.get(f)
        for f in form.changed_data
        if not _secret(f)
    }
    audit.record(
        actor=request.user,
        action=f"{obj._meta.model_name}.{'change' if change else 'add'}",
        obj=obj,
        changes=changes,
    )


def record_delete(request, obj) -> None:
    audit.record(actor=request.user, action=f"{obj._meta.model_name}.delete", obj=obj)


def _managed(request):
    if not hasattr(request, "_managed_village_ids"):
        request._managed_village_ids = (
            managed_village_ids(request.user) if request.user.is_authenticated else []
        )
    return request._managed_village_ids


def _viewable(request):
    """Villages whose objects the user may see: those they manage and those they oversee."""
    if not hasattr(request, "_viewable_village_ids"):
        managed = _managed(request)
        if managed is None:
            request._viewable_village_ids = None
        else:
            overseen = overseen_village_ids(request.user) if request.user.is_authenticated else []
            request._viewable_village_ids = sorted(set(managed) | set(overseen))
    return request._viewable_village_ids


class VillageScopedAdmin(admin.ModelAdmin):
    #: lookup from the model to its village id
    village_field = "village"

    def _scope(self, request, qs, field=None, ids=False):
        ids = _managed(request) if ids is False else ids
        if ids is None:
            return qs
        return qs.filter(**{f"{field or self.village_field}__in": ids})

    def get_queryset(self, request):
        # What the lists show: overseen villages too. Writes check _may (managed only).
        return self._scope(request, super().get_queryset(request), ids=_viewable(request))

    def response_action(self, request, queryset):
        # Actions (bulk changes) run on the villages the user manages, never on overseen ones.
        return super().response_action(request, self._scope(request, queryset))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        ids = _managed(request)
        if ids is not None:
            from villageaffairs.models import Village

            # A subclass's narrower choices (a household's own residents) stay narrow.
            base = kwargs.get("queryset", related._default_manager.all())
            if related is Village:
                kwargs["queryset"] = base.filter(pk__in=ids)
            elif any(f.name == "village" for f in related._meta.get_fields()):
                kwargs["queryset"] = base.filter(village_id__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        ids = _managed(request)
        if ids is not None and any(f.name == "village" for f in related._meta.get_fields()):
            kwargs["queryset"] = related._default_manager.filter(village_id__in=ids)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _object_village_id(self, obj):
        value = obj
        for part in self.village_field.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk if hasattr(value, "pk") else value

    def _may(self, request, obj=None, ids=False):
        ids = _managed(request) if ids is False else ids
        if ids is None:
            return True
        if not ids:
            return False
        return obj is None or self._object_village_id(obj) in ids

    def has_module_permission(self, request):
        return self._may(request, ids=_viewable(request))

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj, ids=_viewable(request))

    def has_add_permission(self, request):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj)

    def save_model(self, request, obj, form, change):
        if not self._may(request, obj):
            raise PermissionDenied
        before = form_before(form, change)
        super().save_model(request, obj, form, change)
        record_save(request, obj, form, change, before)

    def delete_model(self, request, obj):
        if not self._may(request, obj):
            raise PermissionDenied
        record_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class VillageScopedInlineMixin:
    """An inline of a village-scoped parent: whoever may open the parent (the parent admin
    checks the village) may work on its rows, without Django's per-model permissions."""

    def _may(self, request, ids=False):
        ids = _managed(request) if ids is False else ids
        return ids is None or bool(ids)

    def has_view_permission(self, request, obj=None):
        return self._may(request, ids=_viewable(request))

    def has_add_permission(self, request, obj=None):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request)

    def has_delete_permission(self, request, obj=None):
        return self._may(request)


class OperatorOnlyAdmin(admin.ModelAdmin):
    """Platform-wide objects (regions, villages, users): operators only."""

    @staticmethod
    def _operator(request):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._operator(request)

    def has_view_permission(self, request, obj=None):
        return self._operator(request)

    def has_add_permission(self, request):
        return self._operator(request)

    def has_change_permission(self, request, obj=None):
        return self._operator(request)

    def has_delete_permission(self, request, obj=None):
        return self._operator(request)


class AuditedOperatorAdmin(OperatorOnlyAdmin):
    """Operator-only objects whose admin changes go into the audit trail."""

    def save_model(self, request, obj, form, change):
        before = form_before(form, change)
        super().save_model(request, obj, form, change)
        record_save(request, obj, form, change, before)

    def delete_model(self, request, obj):
        record_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ReadOnlyAdminMixin:
    """Records changed only through services (append-only, or with rules the admin cannot
    keep): visible in the admin, never added, changed or deleted there. Put it first:
    ``class XAdmin(ReadOnlyAdminMixin, VillageScopedAdmin)``."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
