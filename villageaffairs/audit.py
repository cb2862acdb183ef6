"""The audit trail: one function records who changed what, when, and for whom."""

from django.db import models

from villageaffairs.models import AuditEntry


def _plain(value):
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(*, actor, action: str, obj, village=None, acted_for=None, changes=None) -> AuditEntry:
    """Append an audit entry. ``changes`` maps a field to (old, new) or to a value."""
    if village is None:
        village = (
            obj if obj._meta.label == "villageaffairs.Village" else getattr(obj, "village", None)
        )
    clean = {}
    for field, value in (changes or {}).items():
        if isinstance(value, tuple | list) and len(value) == 2:
            clean[field] = [_plain(value[0]), _plain(value[1])]
        else:
            clean[field] = _plain(value)
    return AuditEntry.objects.create(
        village=village,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        acted_for=acted_for,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=clean,
    )


def diff(instance, fields, before: dict) -> dict:
    """Changes of ``fields`` between ``before`` (a dict of old values) and the instance."""
    changes = {}
    for field in fields:
        new = getattr(instance, field, None)
        old = before.get(field)
        if _plain(old) != _plain(new):
            changes[field] = (old, new)
    return changes
