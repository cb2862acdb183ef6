"""Printed notices for the village notice board (公开栏): the registry and the PDF answer.

Each app renders its own notices in ``<app>/notices.py`` with the shared frame of
``villageaffairs.printing`` and offers what can be printed through
``<app>.notices.available(request)``: a list of ``{"title", "url", "note", "draft"}``. The
core lists them on ``/v/<village>/notices/`` without importing a feature app, as it does with
the village home sections.
"""

from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import render

from villageaffairs.printing import PrintAddressError

NOTICE_APPS = ("points", "publicity", "talks")


def available(request) -> list[dict]:
    """What the viewer may print in ``request.village``, app by app."""
    from villageaffairs.views import _optional_module

    items = []
    for app in NOTICE_APPS:
        module = _optional_module(f"{app}.notices")
        if module is not None and hasattr(module, "available"):
            items.extend(module.available(request))
    return items


def pdf_response(request, render_pdf: Callable[[], bytes], filename: str) -> HttpResponse:
    """The notice as an inline PDF, or a page saying why it cannot be printed.

    A QR code on paper must lead to the public site: when the site address is not a public
    one (and DEBUG is off), nothing is printed rather than a code that leads nowhere."""
    try:
        body = render_pdf()
    except PrintAddressError as exc:
        return render(
            request, "villageaffairs/notice_unavailable.html", {"problem": str(exc)}, status=503
        )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # A notice shows figures as of now; the print time is on it.
    response["Cache-Control"] = "private, no-store"
    return response
