"""Attachments: photos are re-encoded, PDFs are recognised by their bytes and parsed enough to be
sure; anything else, or a file that lies about what it is, is refused and nothing is saved."""

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from publicity.attachments import MAX_PDF_BYTES, check_pdf, clean_attachment
from publicity.models import Attachment, Disclosure


def real_pdf(text="村务公开") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 750, text)
    c.save()
    return buf.getvalue()


def photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(buf, "PNG")
    return buf.getvalue()


def test_a_real_pdf_is_accepted():
    item = clean_attachment(SimpleUploadedFile("招标结果.pdf", real_pdf()))
    assert item.kind == "pdf" and item.name == "招标结果.pdf" and item.thumbnail is None


def test_a_photo_is_re_encoded_with_a_thumbnail():
    item = clean_attachment(SimpleUploadedFile("现场.png", photo()))
    assert item.kind == "image" and item.file.name.endswith(".jpg") and item.thumbnail


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n garbage without structure",
        b"%PDF-1.4\n1 0 obj<<>>endobj\nstartxref\n999999\n%%EOF\n",
        b"%PDF-9.9\n" + real_pdf()[9:],
        real_pdf()[:-200],  # truncated
        real_pdf().replace(b"/Root", b"/Rxxx"),
        b"MZ\x90\x00 an executable named .pdf",
        b"plain text pretending",
    ],
)
def test_a_file_that_is_not_a_pdf_or_photo_is_refused(data):
    with pytest.raises(ValidationError):
        clean_attachment(SimpleUploadedFile("公示.pdf", data))


def test_pdfs_with_scripts_or_passwords_are_refused():
    pdf = real_pdf()
    # Same length, so every offset in the file stays right: only the script makes it refused.
    mode = b"/PageMode /UseNone"
    script = b"/JS (app.alert(1))".ljust(len(mode))
    assert len(script) == len(mode) and mode in pdf
    check_pdf(pdf)
    with pytest.raises(ValidationError) as info:
        check_pdf(pdf.replace(mode, script))
    assert info.value.code == "active"
    with pytest.raises(ValidationError) as info:
        check_pdf(pdf.replace(b"trailer\n<<", b"trailer\n<< /Encrypt 9 0 R"))
    assert info.value.code == "encrypted"


def test_an_oversized_pdf_is_refused():
    pdf = real_pdf()
    big = pdf[:-6] + b" " * (MAX_PDF_BYTES) + b"%%EOF\n"
    with pytest.raises(ValidationError) as info:
        clean_attachment(SimpleUploadedFile("big.pdf", big))
    assert info.value.code == "too_big"


def test_publishing_an_item_with_attachments(client, staff, youyi):
    client.force_login(staff.secretary)
    data = {
        "kind": "village",
        "title": "村道硬化工程招标结果",
        "text": "中标单位：通达路桥。",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "attachments": [
            SimpleUploadedFile("结果.pdf", real_pdf()),
            SimpleUploadedFile("现场.png", photo()),
        ],
    }
    response = client.post("/v/youyi/open/items/new/", data)
    assert response.status_code == 302
    item = Disclosure.objects.get()
    assert item.status == "draft" and item.author == staff.secretary
    assert sorted(a.kind for a in item.attachments.all()) == ["image", "pdf"]
    client.post(f"/v/youyi/open/items/{item.pk}/publish/")
    client.logout()
    body = client.get(f"/v/youyi/open/items/{item.pk}/").content.decode()
    assert "结果.pdf" in body and "<img" in body


def test_a_fake_attachment_saves_nothing_and_keeps_the_input(client, staff, youyi):
    client.force_login(staff.secretary)
    data = {
        "kind": "village",
        "title": "低保户评议",
        "text": "名单附后。",
        "period_start": "2026-01-01",
        "period_end": "2026-01-31",
        "attachments": [SimpleUploadedFile("名单.pdf", b"GIF89a not a pdf at all")],
    }
    response = client.post("/v/youyi/open/items/new/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="低保户评议"' in body and "名单.pdf" in body
    assert not Disclosure.objects.exists() and not Attachment.objects.exists()


def test_a_period_that_ends_before_it_starts_is_refused(client, staff, youyi):
    client.force_login(staff.secretary)
    response = client.post(
        "/v/youyi/open/items/new/",
        {
            "kind": "party",
            "title": "t",
            "text": "t",
            "period_start": "2026-02-01",
            "period_end": "2026-01-31",
        },
    )
    assert response.status_code == 400 and not Disclosure.objects.exists()
    assert date(2026, 1, 1)  # keep the import used for readability of dates above


# --- active content found by the parser (pikepdf), not by a byte scan ----------------------------


def _pikepdf_doc(change=None, **save) -> bytes:
    """A one-page PDF built and saved by pikepdf; ``change(pdf)`` adds what the test needs."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    if change is not None:
        change(pdf)
    buf = io.BytesIO()
    pdf.save(buf, **save)
    return buf.getvalue()


def _open_action_script(pdf):
    import pikepdf

    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )


def _names_tree_script(pdf):
    import pikepdf

    action = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), action]))
    )


def _page_aa_launch(pdf):
    import pikepdf

    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pdf.make_indirect(launch))


def _embedded_file(pdf):
    import pikepdf

    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00", mime_type="x")


def _file_attachment_annotation(pdf):
    import pikepdf

    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.FileAttachment,
        Rect=pikepdf.Array([0, 0, 10, 10]),
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))


def test_a_plain_pikepdf_document_is_accepted_also_with_object_streams():
    import pikepdf

    check_pdf(_pikepdf_doc())
    check_pdf(
        _pikepdf_doc(object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    )


@pytest.mark.parametrize(
    "change",
    [
        _open_action_script,
        _names_tree_script,
        _page_aa_launch,
        _embedded_file,
        _file_attachment_annotation,
    ],
)
def test_active_content_is_refused_even_inside_compressed_object_streams(change):
    import pikepdf

    for save in (
        {},
        {"object_stream_mode": pikepdf.ObjectStreamMode.generate, "compress_streams": True},
    ):
        data = _pikepdf_doc(change, **save)
        if save:
            # The action lives in a compressed object stream: not one byte of it is readable.
            assert (
                b"JavaScript" not in data
                and b"Launch" not in data
                and b"FileAttachment" not in data
            )
        with pytest.raises(ValidationError) as info:
            check_pdf(data)
        assert info.value.code == "active", change.__name__


def test_an_escaped_name_is_decoded_by_the_parser():
    # "/J#61vaScript" is "/JavaScript" in PDF syntax; the regex of old missed it. Written raw, with
    # the same length as what it replaces so that every offset in the file stays right.
    data = _pikepdf_doc(_open_action_script)
    assert b"/S /JavaScript >>" in data
    escaped = data.replace(b"/S /JavaScript >>", b"/S/J#61vaScript>>")
    assert len(escaped) == len(data) and b"/J#61vaScript" in escaped
    # Take out the plain /JS key too, so only the escaped action type is left to find.
    escaped = escaped.replace(b"/JS (", b"/Xx (")
    with pytest.raises(ValidationError) as info:
        check_pdf(escaped)
    assert info.value.code == "active"


def test_an_unparseable_pdf_is_refused_with_a_clear_message():
    data = _pikepdf_doc()
    # Structure looks right (header, startxref, trailer), but the objects are garbage.
    broken = data.replace(b"/Type /Pages", b"<<<< >>>>>>")
    with pytest.raises(ValidationError) as info:
        check_pdf(broken)
    assert info.value.code == "not_pdf"
    assert "PDF" in info.value.messages[0]  # "这个文件不是能打开的 PDF 文档。" in zh-hans
