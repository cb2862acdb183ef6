"""The shared print frame: public addresses only, vector QR codes, CJK text, page numbers."""

import pytest
from django.test import override_settings

from tests.printing_helpers import pdf_pages, pdf_qr_codes, pdf_text
from villageaffairs import printing


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://localhost:8000",
        "http://LOCALHOST",
        "http://app.localhost",
        "http://127.0.0.1:8000",
        "http://10.0.0.5",
        "http://192.168.1.20/",
        "http://172.16.0.1",
        "http://[::1]:8000",
        "http://169.254.1.1",
        "http://printer.local",
        "http://intranet",
        "ftp://cun.example.cn",
        "cun.example.cn",
        "javascript:alert(1)",
    ],
)
def test_an_address_no_phone_can_reach_is_refused(url):
    assert printing.address_problem(url)
    with override_settings(DEBUG=False, SITE_URL=url), pytest.raises(printing.PrintAddressError):
        printing.public_url("/h/abc/")


@pytest.mark.parametrize("url", ["https://cun.example.cn", "http://8.8.8.8", "https://村务.中国"])
def test_a_public_address_is_printed(url):
    assert printing.address_problem(url) is None
    with override_settings(DEBUG=False, SITE_URL=url + "/"):
        assert printing.public_url("/h/abc/") == url + "/h/abc/"


def test_a_developer_machine_falls_back_to_the_local_server():
    with override_settings(DEBUG=True, SITE_URL=""):
        assert printing.public_url("/v/x/") == "http://localhost:8000/v/x/"


def test_a_vector_qr_code_scans_back_to_its_address():
    import io

    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    url = "https://cun.example.cn/h/Zq3-x_9AbCdEfGh/"
    printing.draw_qr(canvas, url, 100, 400, 120)
    canvas.showPage()
    canvas.save()
    pdf = out.getvalue()
    assert pdf_qr_codes(pdf) == [url]
    assert b"/Subtype /Image" not in pdf  # paths, not a raster picture


def test_a_long_notice_repeats_its_frame_and_numbers_its_pages():
    notice = printing.Notice(
        village_name="友谊村", title="积分排名", url="https://cun.example.cn/v/youyi/ranking/"
    )
    notice.paragraph("公示期内如有异议，请向村两委反映。" * 8)
    columns = [
        printing.Column("名次", 0.2, "right"),
        printing.Column("户主", 0.5),
        printing.Column("积分", 0.3, "right"),
    ]
    rows = [(n, f"第{n}户 谢家", 1000 - n) for n in range(1, 121)]
    assert notice.table(columns, rows) == 120
    pdf = notice.finish()
    pages = pdf_pages(pdf)
    assert pages >= 3
    text = pdf_text(pdf)
    assert text.count("友谊村") >= pages  # the running head on every page
    assert text.count("户主") == pages  # the table header repeats on each page
    assert "第120户 谢家" in text and "880" in text
    assert f"{pages}" in text
    assert pdf_qr_codes(pdf) == ["https://cun.example.cn/v/youyi/ranking/"]
    assert len(pdf) < 120_000  # an embedded subset of the font, not the 10 MB font file


def test_the_footer_names_the_page_and_the_count_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        notice = printing.Notice(village_name="友谊村", title="公示", url="https://cun.example.cn/")
        notice.paragraph("一")
        notice.new_page()
        notice.paragraph("二")
        text = pdf_text(notice.finish())
    assert "第 1 页，共 2 页" in text or "第1页，共2页" in text, text


def test_a_cell_too_long_for_its_column_is_cut_not_spilled():
    notice = printing.Notice(village_name="V", title="T", url="https://cun.example.cn/")
    notice.table([printing.Column("a", 0.1), printing.Column("b", 0.9)], [("甲" * 200, "x")])
    text = pdf_text(notice.finish())
    assert "…" in text
    assert "甲" * 30 not in text


def test_an_explicit_base_address_is_held_to_the_same_rule():
    with override_settings(DEBUG=False, SITE_URL="https://cun.example.cn"):
        assert printing.public_url("/h/a/", base="https://sign.example.cn/") == (
            "https://sign.example.cn/h/a/"
        )
        with pytest.raises(printing.PrintAddressError):
            printing.public_url("/h/a/", base="http://localhost:8000")
        with pytest.raises(printing.PrintAddressError):
            printing.site_url("http://192.168.1.20")
    with override_settings(DEBUG=True, SITE_URL=""):
        assert printing.public_url("/h/a/", base="http://127.0.0.1:9000") == (
            "http://127.0.0.1:9000/h/a/"
        )
