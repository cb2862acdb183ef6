"""Uploads that need a permission check: stored under ``private/`` (which nginx never serves),
and answered by a view that has checked the viewer.

In production (``MEDIA_ACCEL_REDIRECT`` on) the view answers with an ``X-Accel-Redirect`` to
nginx's ``internal`` location (deploy/nginx.conf), so nginx sends the bytes; otherwise (DEBUG,
tests) the view streams the file itself. A file the viewer may not see is a 404, like any page
(DESIGN.md: outsiders get 404).
"""

import mimetypes
import secrets

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

PRIVATE_PREFIX = "private/"


def private_photo_path(instance, filename):
    """``private/<app>/<village>/<yyyy>/<mm>/<name>`` for a CleanPhoto served with a check."""
    return (
        f"{PRIVATE_PREFIX}{instance._meta.app_label}/{instance.village_id}/"
        f"{timezone.now():%Y/%m}/{filename}"
    )


def random_name(name: str) -> str:
    """A new unguessable file name in the same folder, keeping the extension."""
    folder, _, base = name.rpartition("/")
    dot = base.rfind(".")
    ext = base[dot:].lower() if dot > 0 and len(base) - dot <= 6 else ""
    new = f"{secrets.token_urlsafe(12)}{ext}"
    return f"{folder}/{new}" if folder else new


def serve(field_file, *, private: bool) -> HttpResponse:
    """Answer with a stored file the caller has already allowed the viewer to see.

    ``private``: the file is shown only after a check of who is asking (``Cache-Control:
    private``, so no shared cache keeps it); otherwise it is public and may be cached."""
    if not field_file or not field_file.name:
        raise Http404("No file.")
    name = field_file.name
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.MEDIA_ACCEL_REDIRECT:
        if name.startswith(PRIVATE_PREFIX):
            target = settings.MEDIA_ACCEL_PREFIX + name[len(PRIVATE_PREFIX) :]
        else:
            target = settings.MEDIA_URL + name
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = target
    else:
        try:
            handle = field_file.storage.open(name, "rb")
        except FileNotFoundError:
            raise Http404("No file.") from None
        response = FileResponse(handle, content_type=content_type)
    if private:
        patch_cache_control(response, private=True, max_age=3600)
    else:
        patch_cache_control(response, public=True, max_age=30 * 24 * 3600)
    return response
