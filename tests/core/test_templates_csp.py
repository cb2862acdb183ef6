"""Our Content-Security-Policy allows styles and scripts from 'self' only, so a template with an
inline <style>, a style="" attribute or an inline <script> would render unstyled or dead."""

import re
from pathlib import Path

from django.conf import settings

INLINE = re.compile(r"<style\b|\sstyle\s*=|<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _templates():
    base = Path(settings.BASE_DIR)
    for path in base.glob("**/templates/**/*.html"):
        if ".venv" not in path.parts and "node_modules" not in path.parts:
            yield path


def test_no_template_relies_on_inline_styles_or_scripts():
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0).strip()}"
        for path in _templates()
        for match in INLINE.finditer(re.sub(r"\{#.*?#\}", "", path.read_text()))
    ]
    assert list(_templates()), "no templates found"
    assert not found, found
