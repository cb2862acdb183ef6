"""Compile every django.po of the project to .mo with polib (no gettext tools needed).

`python -m villageaffairs.i18n_compile` — used by `make run`/`make test` and the Dockerfile so a
fresh machine needs no system package; CI also runs Django's compilemessages (GNU gettext).
"""

from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", "staticfiles", "media"}


def catalogues():
    for po in ROOT.glob("**/locale/*/LC_MESSAGES/*.po"):
        if not SKIP.intersection(po.relative_to(ROOT).parts):
            yield po


def main() -> None:
    count = 0
    for po in catalogues():
        polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
        count += 1
    print(f"compiled {count} catalogues")


if __name__ == "__main__":
    main()
