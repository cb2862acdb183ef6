#!/usr/bin/env bash
# The `migrate` commands that take the database back to what release <ref> expects.
# Run them with the CURRENT (newer) release, before switching to <ref>: only the newer release
# has the migration files that know how to undo its changes (docs/operations.md, Rollback).
# Usage: deploy/migration_targets.sh v1.4.0     (any git ref: tag, commit)
set -euo pipefail
cd "$(dirname "$0")/.."
ref="${1:?usage: deploy/migration_targets.sh <git ref of the release to go back to>}"
git rev-parse --verify --quiet "$ref^{commit}" >/dev/null || { echo "unknown ref: $ref" >&2; exit 2; }
for app in villageaffairs points talks loans publicity; do
  last="$(git ls-tree --name-only "$ref" "$app/migrations/" \
    | sed -n 's#.*/\([0-9][0-9][0-9][0-9]_[^/]*\)\.py$#\1#p' | sort | tail -n1)"
  echo "python manage.py migrate $app ${last:-zero}"
done
