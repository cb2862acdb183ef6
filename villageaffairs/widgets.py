"""Form widgets every app shares."""

from django import forms


class DateInput(forms.DateInput):
    """``<input type="date">`` with its value written as ISO (2026-11-29).

    The browser's date picker reads only ISO. Django otherwise writes a date in the first of the
    language's DATE_INPUT_FORMATS, which for zh-hans is 2026/11/29: the picker cannot read that,
    so a form opened to change an entry showed its date field blank (and saving it then lost or
    refused the date). Parsing is unaffected: Django always accepts ISO dates as well.
    """

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
