"""Attachments and receipt photos: under private/ (served by publicity.views after a check:
drafts and unpublished months to insiders only), renamed if their name is not random yet.

Reverse: the files go back out of private/ (so the previous release, which links to /media/,
finds them); the names stay."""

from django.db import migrations

from villageaffairs.media import move_uploads

FILES = {
    "publicity.Attachment": ("file", "thumbnail"),
    "publicity.FinanceEntry": ("receipt", "receipt_thumbnail"),
}


def forwards(apps, schema_editor):
    for model, fields in FILES.items():
        move_uploads(apps, model, fields, private=True, rename=True)


def backwards(apps, schema_editor):
    for model, fields in FILES.items():
        move_uploads(apps, model, fields, private=False, rename=False)


class Migration(migrations.Migration):
    dependencies = [("publicity", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
