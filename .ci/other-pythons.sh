#!/usr/bin/env bash
# Python 3.12 (Ubuntu 24.04) and 3.13: install the project in a fresh virtualenv with each
# interpreter this machine has, run Django's checks and a few quick test modules.
set -euo pipefail
cd "$(dirname "$0")/.."
found=0
for minor in 3.12 3.13; do
  python=""
  if command -v "python$minor" >/dev/null && "python$minor" -c 'import sys' 2>/dev/null; then
    python="$(command -v "python$minor")"
  elif command -v pyenv >/dev/null; then
    version="$(pyenv versions --bare 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | tail -n1 || true)"
    [ -n "$version" ] && python="$(pyenv root)/versions/$version/bin/python$minor"
  fi
  if [ -z "$python" ] || [ ! -x "$python" ]; then
    echo "Python $minor: not on this machine, skipped"
    continue
  fi
  found=$((found + 1))
  venv="$(mktemp -d)/venv"
  echo "Python $minor: $python"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e ".[dev]"
  DEBUG=true "$venv/bin/python" manage.py check
  "$venv/bin/python" -m villageaffairs.i18n_compile >/dev/null
  "$venv/bin/python" -m pytest -q -p no:randomly --no-header \
    tests/core/test_settings.py tests/core/test_signin.py tests/points/test_ledger_property.py
  rm -rf "$(dirname "$venv")"
done
if [ "$found" -eq 0 ] && [ "${CI:-}" = "true" ]; then
  echo "neither Python 3.12 nor 3.13 was found" >&2
  exit 1
fi
