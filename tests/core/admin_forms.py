"""The complete data of a Django admin form, as the browser would post it.

Read from the rendered page (every input, select and textarea, inline formsets' management
forms included), so a test can post a full change form and see the scoping, not a form error,
refuse it.
"""

from html.parser import HTMLParser

from django.forms import MultiWidget


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


# From the context instead of the HTML: the bound forms the admin rendered.
def _put(data, bound):
    if bound.field.disabled:
        return
    value = bound.value()
    widget = bound.field.widget
    if isinstance(widget, MultiWidget):
        for i, part in enumerate(widget.decompress(value)):
            data[f"{bound.html_name}_{i}"] = "" if part is None else str(part)
    elif isinstance(value, bool):
        if value:
            data[bound.html_name] = "on"
    elif isinstance(value, list | tuple):
        data[bound.html_name] = [getattr(v, "pk", v) for v in value]
    else:
        data[bound.html_name] = "" if value is None else getattr(value, "pk", value)


def admin_form_data(response) -> dict:
    """The form of an admin add/change page with its inline formsets and management data."""
    assert response.status_code == 200, response.status_code
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for bound in form:
            _put(data, bound)
    return data
