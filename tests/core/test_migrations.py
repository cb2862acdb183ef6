"""Every migration can be undone (a rollback is `migrate <app> <previous>`, docs/operations.md),
and the data migration that renames old uploads moves the files and the rows together."""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from tests.points.factories import ItemFactory, evidence_photo, jpeg_upload

PROJECT_APPS = ("villageaffairs", "points", "talks", "loans", "publicity")


def test_every_operation_of_the_project_is_reversible():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    irreversible = [
        f"{app}.{name}: {operation.describe()}"
        for (app, name), migration in loader.disk_migrations.items()
        if app in PROJECT_APPS
        for operation in migration.operations
        if not operation.reversible
    ]
    assert not irreversible


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_all_apps_migrate_to_zero_and_back():
    _migrate([(app, None) for app in PROJECT_APPS])
    tables = set(connection.introspection.table_names())
    assert not {t for t in tables if t.startswith(("points_", "talks_", "publicity_"))}
    _migrate(_latest())
    assert "points_ledgerentry" in connection.introspection.table_names()


RANDOM = r"[A-Za-z0-9_-]{16}\.jpg"


@pytest.mark.django_db(transaction=True)
def test_old_uploads_get_random_names_and_private_ones_move_under_private(people):
    from publicity.models import Attachment
    from talks.models import Photo
    from tests.publicity.factories import DisclosureFactory
    from tests.talks.factories import TopicFactory

    village = people.here.pk
    jpeg = jpeg_upload().read()

    def old_file(name):
        return default_storage.save(name, ContentFile(jpeg))

    evidence = evidence_photo(people.villager_here)
    type(evidence).objects.filter(pk=evidence.pk).update(
        image=old_file(f"points/{village}/2026/11/ditch.jpg"),
        thumbnail=old_file(f"points/{village}/2026/11/ditch_thumb.jpg"),
    )
    topic = TopicFactory(village=people.here)
    talk = Photo.objects.create(
        village=people.here,
        topic=topic,
        image=old_file(f"talks/{village}/2026/11/ditch.jpg"),
        thumbnail=old_file(f"talks/{village}/2026/11/ditch-small.jpg"),
    )
    item = ItemFactory(village=people.here)
    type(item).objects.filter(pk=item.pk).update(
        photo=old_file(f"points/shop/{village}/apple.jpg"),
        thumbnail=old_file(f"points/shop/{village}/apple_thumb.jpg"),
    )
    kept = f"publicity/{village}/{'ab' * 16}a.pdf"
    attachment = Attachment.objects.create(
        village=people.here,
        disclosure=DisclosureFactory(village=people.here),
        kind="pdf",
        name="a.pdf",
        file=old_file(kept),
        size=len(jpeg),
    )

    # Back to before the data migrations (their reverses leave these rows alone), then forward.
    _migrate([("points", "0008_evidence_private"), ("talks", "0003_photo_from_core")])
    _migrate([("publicity", "0001_initial")])
    _migrate(_latest())

    evidence.refresh_from_db()
    talk.refresh_from_db()
    attachment.refresh_from_db()
    item.refresh_from_db()
    assert re.fullmatch(rf"points/shop/{village}/{RANDOM}", item.photo.name)
    assert re.fullmatch(rf"points/shop/{village}/{RANDOM}", item.thumbnail.name)
    assert not default_storage.exists(f"points/shop/{village}/apple.jpg")
    assert default_storage.open(item.photo.name).read() == jpeg
    assert re.fullmatch(rf"private/points/{village}/2026/11/{RANDOM}", evidence.image.name)
    assert re.fullmatch(rf"private/points/{village}/2026/11/{RANDOM}", evidence.thumbnail.name)
    assert re.fullmatch(rf"talks/{village}/2026/11/{RANDOM}", talk.image.name)
    assert attachment.file.name == "private/" + kept  # already random: only moved
    for name in (evidence.image.name, evidence.thumbnail.name, talk.image.name, "private/" + kept):
        assert default_storage.open(name).read() == jpeg
    for gone in ("ditch.jpg", "ditch_thumb.jpg"):
        assert not default_storage.exists(f"points/{village}/2026/11/{gone}")
    assert not default_storage.exists(f"talks/{village}/2026/11/ditch.jpg")
    assert not default_storage.exists(kept)

    # Reversed: private files come back out of private/ (the previous release links to
    # /media/), with their new names.
    renamed = evidence.image.name
    _migrate([("points", "0008_evidence_private"), ("publicity", "0001_initial")])
    evidence.refresh_from_db()
    attachment.refresh_from_db()
    assert evidence.image.name == renamed.removeprefix("private/")
    assert attachment.file.name == kept
    assert default_storage.open(kept).read() == jpeg
    _migrate(_latest())
    evidence.refresh_from_db()
    assert evidence.image.name == renamed


def test_rollback_targets_name_each_apps_latest_migration():
    """deploy/migration_targets.sh (docs/operations.md, Rollback) at HEAD names the newest
    migration of every app, which is what the loader sees when the tree is committed."""
    import shutil
    import subprocess

    from django.conf import settings

    if shutil.which("git") is None or not (settings.BASE_DIR / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(  # noqa: S603
        [str(settings.BASE_DIR / "deploy" / "migration_targets.sh"), "HEAD"],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(PROJECT_APPS)
    for app in PROJECT_APPS:
        assert any(line.startswith(f"python manage.py migrate {app} 0") for line in lines), app
