import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from villageaffairs import images


def _jpeg_with_gps(size=(800, 600)) -> bytes:
    img = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 58.0, 12.0), 3: "E", 4: (104.0, 16.0, 5.0)}  # GPS
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_exif_and_gps_are_stripped_and_a_thumbnail_made():
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the fixture really carries EXIF
    cleaned = images.clean_image(SimpleUploadedFile("ditch.jpg", raw, "image/jpeg"))
    stored = Image.open(io.BytesIO(cleaned.image.read()))
    assert not stored.getexif()
    assert stored.size == (800, 600)
    thumb = Image.open(io.BytesIO(cleaned.thumbnail.read()))
    assert max(thumb.size) == images.THUMB_SIDE


def test_stored_names_are_random_and_never_the_senders_file_name():
    raw = _jpeg_with_gps((100, 80))
    first = images.clean_image(SimpleUploadedFile("王家院子-张三.jpg", raw, "image/jpeg"))
    second = images.clean_image(SimpleUploadedFile("王家院子-张三.jpg", raw, "image/jpeg"))
    names = {first.image.name, first.thumbnail.name, second.image.name, second.thumbnail.name}
    assert len(names) == 4
    assert not any("张三" in name for name in names)
    assert all(len(name.split(".")[0].removesuffix("-thumb")) >= 16 for name in names)


def test_a_file_that_is_not_an_image_is_refused():
    with pytest.raises(ValidationError) as exc:
        images.clean_image(SimpleUploadedFile("x.jpg", b"%PDF-1.4 not a photo", "image/jpeg"))
    assert exc.value.code == "not_image"


def test_too_many_pixels_are_refused():
    out = io.BytesIO()
    Image.new("L", (5000, 10)).save(out, format="PNG")
    with pytest.raises(ValidationError) as exc:
        images.clean_image(SimpleUploadedFile("wide.png", out.getvalue(), "image/png"))
    assert exc.value.code == "too_large_pixels"


def test_too_many_bytes_are_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError) as exc:
        images.clean_image(SimpleUploadedFile("big.jpg", _jpeg_with_gps(), "image/jpeg"))
    assert exc.value.code == "too_big"


def test_photos_field_limits_the_count():
    field = images.PhotosField(max_photos=2)
    files = [
        SimpleUploadedFile(f"{i}.jpg", _jpeg_with_gps((20, 20)), "image/jpeg") for i in range(3)
    ]
    with pytest.raises(ValidationError):
        field.clean(files)
    assert len(field.clean(files[:2])) == 2
