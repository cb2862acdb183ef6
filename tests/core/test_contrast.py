"""Buttons stay readable: WCAG AA contrast of every button variant on every background it is
used on, computed from the colours in static/css/site.css (so a palette change that breaks AA
fails here), and every button at least 44 px high."""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "site.css"

# Where the buttons are drawn: the cream page, white cards, the red header.
PAGE, CARD, HEADER = "--page", "--card", "--header"

# (selector of the variant's rule, the backgrounds it appears on). The selectors are the ones
# written in site.css; a rule the variant does not set is inherited from the plain `button`.
VARIANTS = [
    ("button", [PAGE, CARD]),  # primary
    ("button.secondary", [PAGE, CARD]),
    ("button.pts-reject", [PAGE, CARD]),  # review and counter: a secondary button
    ("button.danger", [PAGE, CARD]),
    ("button.loan-decline", [PAGE, CARD]),  # the bank's decline: a danger button
    ("button.link", [PAGE, CARD]),  # withdraw a claim, support, report, withdraw my matter
    ("button.link.danger", [PAGE, CARD]),  # delete an accounts entry
    ("button.link-dark", [PAGE, CARD]),  # "use another number" on the sign-in page
    (".top button.link", [HEADER]),  # sign out
    ("button[disabled]", [PAGE, CARD]),
    ("footer .lang button", [PAGE]),
    ("footer .lang button[disabled]", [PAGE]),
]
TRANSPARENT = {"none", "transparent"}


def _rules(css: str) -> dict[str, dict[str, str]]:
    """selector -> declarations, later rules overriding earlier ones (as the cascade does for
    equal selectors)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip()] = value.strip()
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(declarations)
    return rules


RULES = _rules(CSS.read_text(encoding="utf-8"))
PALETTE = RULES[":root"]


def _colour(value: str) -> str:
    """A hex colour, resolving var(--name) through the palette."""
    value = value.split()[0] if not value.startswith("var(") else value
    match = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if match:
        return _colour(PALETTE[match.group(1)])
    if value in ("#fff", "white"):
        return "#ffffff"
    assert re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}", value), value
    return value


def _luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(digits[i : i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(_colour(a)), _luminance(_colour(b))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _style(selector: str) -> dict[str, str]:
    """The declarations a variant ends up with: the plain button's, then its own."""
    assert selector in RULES, f"{selector} is not in site.css any more"
    style = dict(RULES["button"])
    if selector.startswith(".top "):
        style.update(RULES["button.link"])
    if "[disabled]" in selector and selector != "button[disabled]":
        style.update(RULES[selector.replace("[disabled]", "")])
    if selector == "button.link.danger":
        style.update(RULES["button.link"])
    style.update(RULES[selector])
    return style


def _background(style: dict[str, str]) -> str | None:
    value = style.get("background-color", style.get("background", "none"))
    return None if value.split()[0] in TRANSPARENT else value


def _border(style: dict[str, str]) -> str | None:
    colour = style.get("border-color")
    if colour is None and "border" in style and style["border"] not in ("0", "none"):
        colour = style["border"].split()[-1]
    return None if colour in (None, *TRANSPARENT) else colour


def test_the_palette_is_a_palette():
    for name in (PAGE, CARD, HEADER, "--accent", "--on-accent", "--danger"):
        assert _colour(PALETTE[name])
    assert _colour(RULES["body"]["background"]) == _colour(PALETTE[PAGE])
    assert _colour(RULES[".top"]["background"]) == _colour(PALETTE[HEADER])


def test_contrast_matches_the_wcag_examples():
    assert contrast("#000", "#fff") == pytest.approx(21)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    "selector,surface",
    [(selector, surface) for selector, surfaces in VARIANTS for surface in surfaces],
)
def test_button_text_meets_aa_on_its_background(selector, surface):
    style = _style(selector)
    behind_text = _background(style) or f"var({surface})"
    ratio = contrast(style["color"], behind_text)
    assert ratio >= 4.5, f"{selector} on {surface}: {ratio:.2f}:1, AA needs 4.5:1"


@pytest.mark.parametrize(
    "selector,surface",
    [
        (selector, surface)
        for selector, surfaces in VARIANTS
        if "disabled" not in selector and "link" not in selector
        for surface in surfaces
    ],
)
def test_a_button_shows_where_it_is(selector, surface):
    """WCAG 1.4.11: the button's edge (its fill, or its border) is 3:1 against the surface."""
    style = _style(selector)
    edges = [c for c in (_background(style), _border(style)) if c]
    assert edges, selector
    best = max(contrast(edge, f"var({surface})") for edge in edges)
    assert best >= 3, f"{selector} on {surface}: edge {best:.2f}:1, needs 3:1"


def test_link_buttons_are_underlined():
    for selector in ("button.link", "button.link-dark"):
        assert RULES[selector]["text-decoration"].startswith("underline")


def test_every_button_is_a_44px_target():
    assert RULES["button"]["min-height"] == "44px"
    assert RULES["button"]["min-width"] == "44px"
    for selector, declarations in RULES.items():
        if "button" not in selector:
            continue
        for name in ("min-height", "height"):
            value = declarations.get(name)
            if value and value.endswith("px"):
                assert int(value[:-2]) >= 44, f"{selector} {name}: {value}"
            assert not (value and value.endswith(("rem", "em"))), f"{selector}: {name} {value}"
