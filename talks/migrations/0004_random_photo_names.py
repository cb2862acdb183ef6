"""Photos stored before uploads got random names (talks/1/2026/11/ditch.jpg): renamed, since
talks' photos are public and a guessable name could be found by trying. They stay public.

Reverse: nothing to undo (the random names work with the previous release too)."""

from django.db import migrations

from villageaffairs.media import move_uploads


def forwards(apps, schema_editor):
    move_uploads(apps, "talks.Photo", ("image", "thumbnail"), private=False, rename=True)


class Migration(migrations.Migration):
    dependencies = [("talks", "0003_photo_from_core")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
