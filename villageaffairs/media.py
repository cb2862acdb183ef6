"""Uploads that need a permission check: stored under ``private/`` (which nginx never serves),
and answered by a view that has checked the viewer.

In production (``MEDIA_ACCEL_REDIRECT`` on) the view answers with an ``X-Accel-Redirect`` to
nginx's ``internal`` location (deploy/nginx.conf), so nginx sends the bytes; otherwise (DEBUG,
tests) the view streams the file itself. A file the viewer may not see is a 404, like any page
(DESIGN.md: outsiders get 404).
"""

import mimetypes
import re
import secrets
from urllib.parse import quote

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
        # Percent-encoded (nginx decodes it): attachments keep the tail of their upload's name,
        # which may be Chinese, and a header carries ASCII only.
        response["X-Accel-Redirect"] = quote(target)
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


# --- moving stored files (used by the data migrations that rename old uploads) ------------------

# Names given since uploads are cleaned: secrets.token_urlsafe(12) (16 characters, and "-thumb"
# for a thumbnail) or, for publicity, 32 hex digits of a uuid4 followed by the upload's tail.
_RANDOM = re.compile(r"^(?:[A-Za-z0-9_-]{16}(?:-thumb)?|[0-9a-f]{32}.{0,8})\.[A-Za-z0-9]{1,5}$")


def is_random_name(name: str) -> bool:
    return bool(_RANDOM.match(name.rpartition("/")[2]))


def _move(storage, old: str, new: str) -> str | None:
    """Copy ``old`` to ``new`` and delete ``old``; the name stored, or None if ``old`` is gone."""
    if not storage.exists(old):
        return None
    with storage.open(old, "rb") as handle:
        stored = storage.save(new, handle)
    storage.delete(old)
    return stored


def move_uploads(apps, model: str, fields: tuple[str, ...], *, private: bool, rename: bool):
    """For a data migration: give every stored file of ``model`` an unguessable name (when
    ``rename`` and its name is not random yet) and put it under ``private/`` (``private``) or
    out of it (not ``private``), moving the file in storage and updating the row. A file that
    is missing from storage is left as it is. Safe to run twice."""
    from django.core.files.storage import default_storage

    Model = apps.get_model(model)
    for row in Model._base_manager.only("pk", *fields).iterator():
        changes = {}
        for field in fields:
            old = getattr(row, field).name
            if not old:
                continue
            new = random_name(old) if rename and not is_random_name(old) else old
            if private and not new.startswith(PRIVATE_PREFIX):
                new = PRIVATE_PREFIX + new
            elif not private and new.startswith(PRIVATE_PREFIX):
                new = new[len(PRIVATE_PREFIX) :]
            if new != old:
                stored = _move(default_storage, old, new)
                if stored is not None:
                    changes[field] = stored
        if changes:
            Model._base_manager.filter(pk=row.pk).update(**changes)


def private_not_served(request, path):
    """/media/private/… in the local run (DEBUG serves /media/): 404, as nginx does."""
    raise Http404("Private uploads are served by their views.")
