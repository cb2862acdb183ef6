"""Supermarket item photos stored before uploads got random names (points/shop/1/apple.jpg):
renamed, like the other apps' photos. They stay public (the shop is public).

Reverse: nothing to undo (the random names work with the previous release too)."""

from django.db import migrations

from villageaffairs.media import move_uploads


def forwards(apps, schema_editor):
    move_uploads(apps, "points.Item", ("photo", "thumbnail"), private=False, rename=True)


class Migration(migrations.Migration):
    dependencies = [("points", "0010_numbers_bounded")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
