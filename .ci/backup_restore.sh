#!/usr/bin/env bash
# Backup and restore, as docs/operations.md describes them, proved on this machine: a database
# with the demo data is dumped (pg_dump -Fc) with its media folder (tar), both are restored
# into a second database and a fresh folder, and the smoke pages are served from the restored
# copy. Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and the client tools.
#   SOURCE_DB (va_ci_backup) and RESTORE_DB (va_ci_restore) are dropped and created afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
PG="postgres://postgres@127.0.0.1:5432"
SOURCE_DB="${SOURCE_DB:-va_ci_backup}"
RESTORE_DB="${RESTORE_DB:-va_ci_restore}"
PY="${PYTHON:-.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
psql_() { psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }

echo "-- source: $SOURCE_DB with the demo data, media in $work/media"
for db in "$SOURCE_DB" "$RESTORE_DB"; do
  psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\""
done
export DEBUG=true MEDIA_ROOT="$work/media"
export DATABASE_URL="$PG/$SOURCE_DB"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo >/dev/null

echo "-- backup (docs/operations.md, Backup)"
pg_dump -h 127.0.0.1 -U postgres -Fc --no-owner -f "$work/db.dump" "$SOURCE_DB"
tar -C "$work/media" -czf "$work/media.tar.gz" .

echo "-- restore into $RESTORE_DB and $work/restored-media (docs/operations.md, Restore)"
pg_restore -h 127.0.0.1 -U postgres --no-owner --exit-on-error -d "$RESTORE_DB" "$work/db.dump"
mkdir "$work/restored-media"
tar -C "$work/restored-media" -xzf "$work/media.tar.gz"

echo "-- smoke pages served from the restored copy"
export DATABASE_URL="$PG/$RESTORE_DB" MEDIA_ROOT="$work/restored-media"
"$PY" manage.py migrate --check -v0  # the dump holds every migration: nothing left to apply
"$PY" manage.py shell -c '
import sys
from django.test import Client
from points.models import EvidencePhoto
from publicity.models import Attachment
from talks.models import Photo

client = Client()
failed = []
for url in ("/", "/v/youyi/", "/v/youyi/ranking/", "/healthz"):
    status = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code
    print(f"{url}: {status}")
    if status != 200:
        failed.append(url)
files = [p.image for p in Photo.objects.all()] + [p.image for p in EvidencePhoto.objects.all()]
files += [a.file for a in Attachment.objects.all()]
missing = [f.name for f in files if not f.storage.exists(f.name)]
print(f"uploads restored: {len(files) - len(missing)} of {len(files)}")
if failed or missing or not files:
    sys.exit(f"restore smoke failed: pages {failed}, missing files {missing[:5]}")
'
psql_ -d postgres -c "DROP DATABASE \"$SOURCE_DB\"" -c "DROP DATABASE \"$RESTORE_DB\""
echo "backup and restore: ok"
