"""Attachments of disclosures: photos (through the one photo implementation) and PDF documents.

A PDF is recognised by its bytes, not its name: the header, the end-of-file marker, and the
cross-reference section that ``startxref`` points at must all be where the format puts them, and
the trailer must name a document catalogue. Then a real parser (pikepdf, on qpdf) reads every
object, including those packed into compressed object streams, with escaped names such as
``/J#61vaScript`` decoded, so a byte scan cannot be fooled. Encrypted documents (villagers cannot
open them), unparseable ones, and documents with scripts, launch actions or embedded files are
refused.
"""

import io
import os
import re
from dataclasses import dataclass

import pikepdf
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _

from villageaffairs.images import clean_image

MAX_PDF_BYTES = 8 * 1024 * 1024
MAX_ATTACHMENTS = 6

_HEADER = re.compile(rb"^%PDF-(1\.[0-7]|2\.0)")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_STREAM = re.compile(rb"\d+\s+\d+\s+obj\s*<<")
# Keys whose presence anywhere means active or embedded content: scripts (in the names tree, in
# actions, /OpenAction and /AA included), embedded files and rich media.
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/EmbeddedFiles", "/EmbeddedFile", "/RichMedia"})
# Values of /S (action type), /Type and /Subtype that mean the same.
_ACTIVE_NAMES = frozenset(
    {"/JavaScript", "/Launch", "/EmbeddedFile", "/FileAttachment", "/RichMedia", "/Sound", "/Movie"}
)


@dataclass
class CleanAttachment:
    kind: str  # Attachment.Kind value
    name: str
    file: ContentFile
    thumbnail: ContentFile | None
    size: int


def _safe_name(name: str, ext: str) -> str:
    base = os.path.splitext(os.path.basename(name or ""))[0][:80]
    base = "".join(c for c in base if c.isalnum() or c in "-_ ·（）()") or "file"
    return f"{base}{ext}"


def check_pdf(data: bytes) -> None:
    """Raise ValidationError unless ``data`` is a readable, unencrypted, script-free PDF."""
    broken = ValidationError(_("This file is not a PDF document we can open."), code="not_pdf")
    if not _HEADER.match(data):
        raise broken
    tail = data[-2048:]
    match = _STARTXREF.search(tail)
    if match is None:
        raise broken
    offset = int(match.group(1))
    if offset <= 8 or offset >= len(data):
        raise broken
    at = data[offset : offset + 64].lstrip()
    if at.startswith(b"xref"):
        # A classic table: a subsection header, then 20-byte entries; the trailer follows.
        table = data[offset : offset + 128].lstrip()
        if re.match(rb"xref\s+\d+\s+\d+\s+\d{10} \d{5} [nf]", table) is None:
            raise broken
        trailer = data[offset:]
        if b"trailer" not in trailer:
            raise broken
    elif _XREF_STREAM.match(at):
        trailer = data[offset : offset + 4096]
        if b"/XRef" not in trailer:
            raise broken
    else:
        raise broken
    if b"/Root" not in trailer:
        raise broken
    if b"/Encrypt" in trailer:
        raise ValidationError(
            _("This PDF is locked with a password. Attach a copy without one."), code="encrypted"
        )
    if _has_active_content(data):
        raise ValidationError(
            _("This PDF contains scripts or embedded programs. Attach a plain copy."),
            code="active",
        )


def _is_active(obj) -> bool:
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if not isinstance(obj, pikepdf.Dictionary):
        return False
    keys = set(obj.keys())
    if keys & _ACTIVE_KEYS:
        return True
    for key in ("/S", "/Type", "/Subtype"):
        value = obj.get(key)
        if isinstance(value, pikepdf.Name) and str(value) in _ACTIVE_NAMES:
            return True
    return False


def _has_active_content(data: bytes) -> bool:
    """Parse the document and look at every object (those in object streams too)."""
    broken = ValidationError(_("This file is not a PDF document we can open."), code="not_pdf")
    try:
        with pikepdf.open(io.BytesIO(data), attempt_recovery=False) as pdf:
            if pdf.is_encrypted:
                raise ValidationError(
                    _("This PDF is locked with a password. Attach a copy without one."),
                    code="encrypted",
                )
            if _is_active(pdf.trailer) or _is_active(pdf.Root):
                return True
            return any(_is_active(obj) for obj in pdf.objects)
    except pikepdf.PasswordError:
        raise ValidationError(
            _("This PDF is locked with a password. Attach a copy without one."), code="encrypted"
        ) from None
    except (pikepdf.PdfError, RuntimeError, ValueError, TypeError):
        raise broken from None


def clean_attachment(upload) -> CleanAttachment:
    """A photo (re-encoded by villageaffairs.images) or a checked PDF; anything else is refused."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        size = upload.size
        if size > MAX_PDF_BYTES:
            raise ValidationError(
                _("The PDF is larger than %(mb)d MB."),
                code="too_big",
                params={"mb": MAX_PDF_BYTES // (1024 * 1024)},
            )
        data = upload.read()
        check_pdf(data)
        name = _safe_name(upload.name, ".pdf")
        return CleanAttachment("pdf", name, ContentFile(data, name=name), None, len(data))
    try:
        photo = clean_image(upload)
    except ValidationError as exc:
        if exc.code == "not_image":
            raise ValidationError(
                _("“%(name)s” is neither a photo nor a PDF document."),
                code="kind",
                params={"name": os.path.basename(upload.name or "")[:60]},
            ) from None
        raise
    name = _safe_name(upload.name, ".jpg")
    return CleanAttachment("image", name, photo.image, photo.thumbnail, photo.image.size)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to MAX_ATTACHMENTS photos or PDFs; cleans to a list of CleanAttachment."""

    widget = MultipleFileInput(attrs={"accept": "image/*,application/pdf"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(
                _("At most %(n)d attachments."), code="too_many", params={"n": MAX_ATTACHMENTS}
            )
        return [clean_attachment(super(AttachmentsField, self).clean(f, initial)) for f in files]
