"""Courtyard QR signs: the PNG decodes back to the household's URL; the PDF sheet prints."""

import io

import pytest
import zxingcpp
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from points import signs
from tests.factories import HouseholdFactory
from villageaffairs.models import Household


def _decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found"
    return results[0].text


@pytest.mark.django_db
def test_sign_png_decodes_to_the_household_url(people):
    household = HouseholdFactory(village=people.here, name="谢启富", house_number="017")
    url = signs.household_url(household, base_url="https://cunwu.example.cn")
    png = signs.sign_png(household, url)
    assert _decode(png) == f"https://cunwu.example.cn/h/{household.code}/"
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == signs.SIGN_SIZE


def test_the_font_comes_from_the_installed_package():
    assert signs.FONT_PATH.is_file()
    font = signs._font(40)
    # A CJK glyph has real width (a missing glyph would render as an empty box or nothing).
    assert font.getlength("谢启富") > 80


def test_cadre_downloads_a_sign_and_it_points_here(client, people):
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    client.force_login(people.cadre_here)
    response = client.get(reverse("points:sign_png", args=[people.here.slug, household.pk]))
    assert response["Content-Type"] == "image/png"
    assert _decode(response.content) == f"http://testserver/h/{household.code}/"


def test_print_signs_command_writes_a_pdf_with_a_page_per_four_signs(people, tmp_path):
    HouseholdFactory.create_batch(6, village=people.here)
    count = Household.objects.filter(village=people.here).count()
    output = tmp_path / "signs.pdf"
    call_command("print_signs", people.here.slug, "-o", str(output))
    data = output.read_bytes()
    assert data.startswith(b"%PDF")
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert pages == -(-count // 4)


def test_admin_action_prints_the_pdf_and_reissues_codes(client, people):
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    foreign = Household.objects.filter(village=people.elsewhere).first()
    client.force_login(people.cadre_here)
    url = reverse("admin:points_sign_changelist")
    response = client.post(
        url, {"action": "print_signs", "_selected_action": [household.pk, foreign.pk]}
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.count(b"/Type /Page") - response.content.count(b"/Type /Pages") == 1
    old = household.code
    client.post(url, {"action": "reissue_codes", "_selected_action": [household.pk, foreign.pk]})
    household.refresh_from_db()
    assert household.code != old
    assert client.get(reverse("household_public", args=[old])).status_code == 404
    foreign_code = foreign.code
    foreign.refresh_from_db()
    assert foreign.code == foreign_code
