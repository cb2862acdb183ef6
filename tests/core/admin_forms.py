"""The complete data of a Django admin form, as the browser would post it.

Read from the rendered page (every input, select and textarea, inline formsets' management
forms included), so a test can post a full change form and see the scoping, not a form error,
refuse it.
"""

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(
                attrs.get("value") or ("on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += (
                data.lstrip("\n") if not self.data[self._textarea][-1] else data
            )


def form_data(html: str) -> dict:
    """The posted fields of the page's admin form (the last value wins, lists for multiples)."""
    parser = _FormFields()
    parser.feed(html)
    data = {}
    for name, values in parser.data.items():
        if name in ("csrfmiddlewaretoken", "q", "action", "_selected_action", "language", "next"):
            continue
        if len(values) > 1:
            data[name] = values
        else:
            data[name] = values[0] if values else ""
    return data
