"""Evidence photos: under private/ (served by points.views.photo after a check), and photos
stored before uploads got random names (points/1/2026/11/ditch.jpg) renamed.

Reverse: the files go back out of private/ (so the previous release, which links to /media/,
finds them); the random names stay, as both releases serve any name."""

from django.db import migrations

from villageaffairs.media import move_uploads

FIELDS = ("image", "thumbnail")


def forwards(apps, schema_editor):
    move_uploads(apps, "points.EvidencePhoto", FIELDS, private=True, rename=True)


def backwards(apps, schema_editor):
    move_uploads(apps, "points.EvidencePhoto", FIELDS, private=False, rename=False)


class Migration(migrations.Migration):
    dependencies = [("points", "0008_evidence_private")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
