"""A complete admin change form as the browser would post it, read from the GET response."""

from django.forms import MultiWidget


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
