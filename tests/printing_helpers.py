"""Reading printed PDFs back in tests: the text (pypdf) and the QR codes (pdftoppm + zxing-cpp)."""

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def pdf_qr_codes(pdf: bytes, *, page: int = 1, dpi: int = 150) -> list[str]:
    """The texts of the QR codes on one page, rendered as a printer would."""
    import zxingcpp
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is missing in CI")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        pages = ["-f", str(page), "-l", str(page)]
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-r", str(dpi), "-png", *pages, source, f"{tmp}/out"],  # noqa: S607
            check=True,
            timeout=60,
        )
        (png,) = Path(tmp).glob("out*.png")
        image = Image.open(png).convert("L")
        image.load()
    return [found.text for found in zxingcpp.read_barcodes(image)]
