"""Uploaded photos: one implementation for claims, talks, progress notes and receipts.

A photo is opened with Pillow (so a file that only claims to be an image is refused), limited in
bytes and pixels, turned upright, re-encoded (which drops EXIF, GPS included, and anything
appended to the file) and given a thumbnail. Nothing is stored if any check fails.
"""

import io
import os
import secrets
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 4096
STORED_SIDE = 1600  # what a phone needs; keeps pages light on a weak signal
THUMB_SIDE = 320
MAX_PHOTOS = 6
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO", "HEIF"}

Image.MAX_IMAGE_PIXELS = MAX_SIDE * MAX_SIDE  # refuse decompression bombs before decoding


@dataclass
class CleanImage:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _encode(img: Image.Image, name: str) -> ContentFile:
    out = io.BytesIO()
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.save(out, format="JPEG", quality=82, optimize=True)
    return ContentFile(out.getvalue(), name=name)


def clean_image(upload) -> CleanImage:
    """Validate and re-encode an uploaded file, or raise ValidationError (nothing is kept)."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    if size > MAX_BYTES:
        raise ValidationError(
            _("The photo is larger than %(mb)d MB. Take it again at a lower size."),
            code="too_big",
            params={"mb": MAX_BYTES // (1024 * 1024)},
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not a photo we can read."), code="not_image"
        ) from None
    if kind not in ALLOWED_FORMATS:
        raise ValidationError(_("Send a JPEG, PNG or WebP photo."), code="format")
    if max(width, height) > MAX_SIDE:
        raise ValidationError(
            _("The photo is more than %(px)d pixels wide or high."),
            code="too_large_pixels",
            params={"px": MAX_SIDE},
        )
    upload.seek(0)
    try:
        with Image.open(upload) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not a photo we can read."), code="not_image"
        ) from None
    stored = img.copy()
    stored.thumbnail((STORED_SIDE, STORED_SIDE))
    thumb = img.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    # A random name: uploads are served from the media folder without a permission check, so
    # a photo must not be found by guessing (and the sender's file name may say too much).
    base = secrets.token_urlsafe(12)
    return CleanImage(
        image=_encode(stored, f"{base}.jpg"),
        thumbnail=_encode(thumb, f"{base}-thumb.jpg"),
        width=stored.width,
        height=stored.height,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos; cleans to a list of CleanImage."""

    widget = MultipleFileInput(attrs={"accept": "image/*"})

    def __init__(self, *args, max_photos: int = MAX_PHOTOS, **kwargs):
        self.max_photos = max_photos
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > self.max_photos:
            raise ValidationError(
                _("At most %(n)d photos."), code="too_many", params={"n": self.max_photos}
            )
        return [clean_image(super(PhotosField, self).clean(f, initial)) for f in files]
