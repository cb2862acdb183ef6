"""Every date field in every app's forms writes its value as the browser's date pickers read it
(ISO), in Chinese too: zh-hans would otherwise write 2026/11/29 and the field shows blank."""

import importlib
import inspect
import re
from datetime import date, datetime

import pytest
from django import forms
from django.utils import translation

from villageaffairs.widgets import DateInput

APPS = ["villageaffairs", "points", "talks", "loans", "publicity"]
ISO = {
    "date": r"2026-11-29",
    "month": r"2026-11",
    "datetime-local": r"2026-11-29T08:05",
}


def _form_classes():
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def _date_fields():
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                yield pytest.param(field, id=f"{cls.__module__}.{cls.__name__}.{name}")


def test_the_forms_have_date_fields_to_check():
    assert len(list(_date_fields())) >= 6


@pytest.mark.parametrize("field", list(_date_fields()))
def test_a_date_field_writes_what_its_input_reads(field):
    widget = field.widget
    input_type = getattr(widget, "input_type", "")
    assert input_type in ISO, f"{field.label}: a plain text date field (type={input_type!r})"
    value = datetime(2026, 11, 29, 8, 5) if isinstance(field, forms.DateTimeField) else None
    value = value or date(2026, 11, 29)
    with translation.override("zh-hans"):
        written = widget.format_value(value)
        assert re.fullmatch(ISO[input_type], written), f"{field.label}: {written!r}"
        # and what it wrote is read back as the same day
        assert field.clean(written) is not None


def test_the_shared_date_input_is_iso_in_every_language():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = DateInput().render("day", date(2026, 11, 29))
        assert 'type="date"' in html and 'value="2026-11-29"' in html
