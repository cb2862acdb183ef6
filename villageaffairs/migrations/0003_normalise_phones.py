"""Phone numbers in E.164 form: users' numbers were stored as typed in the admin, so an SMS
sign-in with the same number did not find its account. Numbers that are not numbers, and
numbers another user already holds in E.164 form, are kept as they are for a person to fix."""

import re

from django.db import migrations

# A copy of villageaffairs.phones.normalize_phone as it was when this migration was written.
_E164 = re.compile(r"^\+[1-9]\d{5,14}$")
_MAINLAND = re.compile(r"^1[3-9]\d{9}$")


def _normalise(raw):
    value = re.sub(r"[\s\-()]", "", raw or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    if _MAINLAND.match(value):
        value = "+86" + value
    return value if _E164.match(value) else None


def normalise_phones(apps, schema_editor):
    User = apps.get_model("villageaffairs", "User")
    Resident = apps.get_model("villageaffairs", "Resident")
    taken = set(User.objects.exclude(phone=None).values_list("phone", flat=True))
    for user in User.objects.exclude(phone=None).exclude(phone="").order_by("pk").iterator():
        value = _normalise(user.phone)
        if value and value != user.phone and value not in taken:
            taken.discard(user.phone)
            taken.add(value)
            User.objects.filter(pk=user.pk).update(phone=value)
    for resident in Resident.objects.exclude(phone="").iterator():
        value = _normalise(resident.phone)
        if value and value != resident.phone:
            Resident.objects.filter(pk=resident.pk).update(phone=value)


class Migration(migrations.Migration):
    dependencies = [("villageaffairs", "0002_resident_phone_owner")]

    operations = [migrations.RunPython(normalise_phones, migrations.RunPython.noop)]
