"""Courtyard QR signs: vector PDFs whose QR codes lead to the public site, the figures of the
plates ("积分483分，在村排名第17名，五星级积分贷用户"), refusal of addresses no phone can
reach, and big prints as a background job with a progress page."""

import io

import pytest
import zxingcpp
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from points import selectors, services, signs, tasks
from points.models import SignPrint
from tests.factories import HouseholdFactory
from tests.printing_helpers import pdf_pages, pdf_qr_codes, pdf_text
from villageaffairs import printing
from villageaffairs.models import Household, Outbox

SITE = "https://cun.example.cn"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    return SITE


def _decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert results, "no QR code found"
    return results[0].text


def _is_vector(pdf: bytes) -> bool:
    return b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf


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


def test_cadre_downloads_a_sign_and_it_points_to_the_public_site(client, people, site):
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    client.force_login(people.cadre_here)
    response = client.get(reverse("points:sign_png", args=[people.here.slug, household.pk]))
    assert response["Content-Type"] == "image/png"
    assert _decode(response.content) == f"{SITE}/h/{household.code}/"


def test_the_sign_preview_is_refused_without_a_public_address(client, people, settings):
    settings.SITE_URL = "http://localhost:8000"
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    client.force_login(people.cadre_here)
    response = client.get(reverse("points:sign_png", args=[people.here.slug, household.pk]))
    assert response.status_code == 409
    assert "localhost" in response.content.decode()


def test_print_signs_command_writes_a_vector_pdf_whose_codes_lead_to_the_public_site(
    people, tmp_path, site
):
    HouseholdFactory.create_batch(6, village=people.here)
    households = list(Household.objects.filter(village=people.here).order_by("house_number", "pk"))
    output = tmp_path / "signs.pdf"
    call_command("print_signs", people.here.slug, "-o", str(output))
    data = output.read_bytes()
    assert data.startswith(b"%PDF") and _is_vector(data)
    assert pdf_pages(data) == -(-len(households) // 4)
    expected = {f"{SITE}/h/{h.code}/" for h in households[:4]}
    assert set(pdf_qr_codes(data, page=1)) == expected
    text = pdf_text(data)
    assert "友谊村" in text and "扫码查看我家积分和排名" in text
    assert households[0].code in text


def test_a_sign_costs_little_room(people, site):
    village = people.here
    few = signs.signs_pdf(HouseholdFactory.create_batch(4, village=village))
    HouseholdFactory.create_batch(76, village=village)
    many = signs.signs_pdf(Household.objects.filter(village=village).select_related("village"))
    assert _is_vector(many)
    per_sign = (len(many) - len(few)) / (Household.objects.filter(village=village).count() - 4)
    assert per_sign < 2500, per_sign  # 2,000 signs stay under 5 MB (the raster sign: 43 kB)


@pytest.mark.django_db
def test_figures_print_the_demo_households_score_and_rank(tmp_path, settings):
    from points import demo as points_demo
    from villageaffairs import demo as core_demo

    settings.SITE_URL = SITE
    ctx = core_demo.seed()
    points_demo.seed(ctx)
    xie = ctx.households["xieqifu"]
    village = xie.village
    output = tmp_path / "signs.pdf"
    call_command("print_signs", village.slug, "--figures", "-o", str(output))
    text = pdf_text(output.read_bytes())
    assert "积分483分，在村排名第17名，" in text
    assert "五星级积分贷用户" in text
    assert "截至" in text and "年" in text and "月" in text
    # Without --figures the plates carry no figures.
    call_command("print_signs", village.slug, "-o", str(output))
    assert "积分483分" not in pdf_text(output.read_bytes())


def test_the_figures_are_read_for_the_whole_village_at_once(people, django_assert_num_queries):
    from points import services as points_services

    households = HouseholdFactory.create_batch(30, village=people.here)
    for n, household in enumerate(households):
        points_services.award_direct(
            actor=None, household=household, points=10 * (n + 1), reason="x"
        )
    points_services.rankings_recompute(village_id=people.here.pk)
    with django_assert_num_queries(2):  # the latest snapshot and the star thresholds
        table, as_of = selectors.sign_figures(people.here.pk)
    best = table[households[-1].pk]
    assert (best.score, best.rank, best.stars) == (300, 1, 3)
    assert as_of is not None


def test_the_star_level_is_in_chinese_numerals_on_the_plate():
    from django.utils import translation

    figures = selectors.SignFigures(score=483, rank=17, stars=5)
    with translation.override("zh-hans"):
        assert signs.figures_text(figures) == "积分483分，在村排名第17名，五星级积分贷用户"
    with translation.override("en"):
        assert signs.figures_text(figures) == (
            "483 points, ranked 17 in the village, 5-star point-loan user"
        )


# -- refusal of addresses no phone can reach --------------------------------------------------


@pytest.mark.parametrize("url", ["", "http://localhost:8000", "http://192.168.1.20"])
def test_the_command_refuses_an_address_no_phone_can_reach(people, tmp_path, settings, url):
    settings.SITE_URL = url
    output = tmp_path / "signs.pdf"
    with pytest.raises(CommandError):
        call_command("print_signs", people.here.slug, "-o", str(output))
    assert not output.exists()


def test_the_base_url_override_goes_through_the_same_refusal(people, tmp_path, site):
    output = tmp_path / "signs.pdf"
    with pytest.raises(CommandError, match="localhost"):
        call_command(
            "print_signs", people.here.slug, "--base-url", "http://localhost:8000", "-o", output
        )
    assert not output.exists()
    call_command(
        "print_signs", people.here.slug, "--base-url", "https://x.example.cn", "-o", output
    )
    assert pdf_qr_codes(output.read_bytes())[0].startswith("https://x.example.cn/h/")


def test_the_command_exits_non_zero_when_refused(people, tmp_path):
    """A real process, as an operator runs it: DEBUG off, no SITE_URL."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "villageaffairs.settings_test",
        "SITE_URL": "http://localhost:8000",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "",
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "print_signs",
            "nowhere",
            "-o",
            str(tmp_path / "signs.pdf"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert not (tmp_path / "signs.pdf").exists()


def test_admin_action_refuses_without_a_public_address(client, people, settings):
    settings.SITE_URL = "http://localhost:8000"
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    client.force_login(people.cadre_here)
    url = reverse("admin:points_sign_changelist")
    for action in ("print_signs", "print_signs_with_figures"):
        response = client.post(url, {"action": action, "_selected_action": [household.pk]})
        assert response.status_code == 302
        assert response.get("Content-Type", "").startswith("text/html")
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        assert any("localhost" in m for m in messages), messages
    assert not SignPrint.objects.exists()


# -- the admin action -------------------------------------------------------------------------


def test_admin_action_prints_a_few_signs_at_once_and_reissues_codes(client, people, site):
    household = Household.objects.get(village=people.here, residents__user=people.villager_here)
    foreign = Household.objects.filter(village=people.elsewhere).first()
    client.force_login(people.cadre_here)
    url = reverse("admin:points_sign_changelist")
    response = client.post(
        url, {"action": "print_signs", "_selected_action": [household.pk, foreign.pk]}
    )
    assert response["Content-Type"] == "application/pdf"
    assert pdf_pages(response.content) == 1
    assert pdf_qr_codes(response.content) == [f"{SITE}/h/{household.code}/"]
    old = household.code
    client.post(url, {"action": "reissue_codes", "_selected_action": [household.pk, foreign.pk]})
    household.refresh_from_db()
    assert household.code != old
    assert client.get(reverse("household_public", args=[old])).status_code == 404
    foreign_code = foreign.code
    foreign.refresh_from_db()
    assert foreign.code == foreign_code


def test_admin_action_sends_a_big_print_to_a_worker(
    client, people, site, django_capture_on_commit_callbacks, eager_tasks
):
    HouseholdFactory.create_batch(45, village=people.here)
    ids = list(Household.objects.filter(village=people.here).values_list("pk", flat=True))
    client.force_login(people.cadre_here)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:points_sign_changelist"),
            {"action": "print_signs_with_figures", "_selected_action": ids},
        )
    job = SignPrint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("points:sign_print", args=[people.here.slug, job.pk])
    # Eager in the tests: the outbox ran the task after the commit.
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.figures) == ("done", len(ids), len(ids), True)
    assert job.requested_by == people.cadre_here
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'http-equiv="refresh"' not in page.content  # done: nothing left to wait for
    download = client.get(reverse("points:sign_print_file", args=[people.here.slug, job.pk]))
    pdf = b"".join(download.streaming_content)
    assert pdf_pages(pdf) == -(-len(ids) // 4) and _is_vector(pdf)
    assert "private" in download["Cache-Control"]


# -- the job ----------------------------------------------------------------------------------


def test_a_print_job_goes_from_queued_to_done_with_one_file(
    people, site, django_capture_on_commit_callbacks
):
    HouseholdFactory.create_batch(9, village=people.here)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.sign_print_request(
            actor=people.cadre_here, village=people.here, figures=False
        )
    job.refresh_from_db()
    assert job.state == SignPrint.State.QUEUED and not job.file
    row = Outbox.objects.get(key=f"points.signprint:{job.pk}")
    assert row.task == "points.tasks.print_signs" and row.args == [job.pk]
    assert tasks.print_signs(job.pk) is True
    job.refresh_from_db()
    total = Household.objects.filter(village=people.here).count()
    assert (job.state, job.done, job.total) == (SignPrint.State.DONE, total, total)
    assert job.file.name == f"private/points/{people.here.pk}/signs/signs-{job.pk}.pdf"
    first = job.file.read()
    assert pdf_pages(first) == -(-total // 4)
    # Run again (a redelivered message): a done job is not redone.
    assert tasks.print_signs(job.pk) is False
    folder = job.file.storage.path(job.file.name).rsplit("/", 1)[0]
    import os

    assert os.listdir(folder) == [f"signs-{job.pk}.pdf"]


def test_a_job_left_running_by_a_killed_worker_is_redone_into_the_same_file(
    people, site, django_capture_on_commit_callbacks
):
    import os

    with django_capture_on_commit_callbacks(execute=False):
        job = services.sign_print_request(
            actor=people.cadre_here, village=people.here, figures=True
        )
    assert tasks.print_signs(job.pk)
    SignPrint.objects.filter(pk=job.pk).update(state=SignPrint.State.RUNNING)  # as if killed
    assert tasks.print_signs(job.pk)
    job.refresh_from_db()
    folder = os.path.dirname(job.file.path)
    assert os.listdir(folder) == [f"signs-{job.pk}.pdf"] and job.state == SignPrint.State.DONE


def test_a_failed_job_says_why_and_can_be_tried_again(
    client, people, settings, django_capture_on_commit_callbacks, eager_tasks
):
    settings.SITE_URL = SITE
    with django_capture_on_commit_callbacks(execute=False):
        job = services.sign_print_request(
            actor=people.cadre_here, village=people.here, figures=False
        )
    settings.SITE_URL = "http://10.0.0.5"  # changed before the worker ran
    from villageaffairs import outbox

    assert outbox.run(Outbox.objects.get(key=f"points.signprint:{job.pk}").pk)
    job.refresh_from_db()
    assert job.state == SignPrint.State.FAILED and "10.0.0.5" in job.error
    client.force_login(people.cadre_here)
    page = client.get(reverse("points:sign_print", args=[people.here.slug, job.pk]))
    assert job.error in page.content.decode() and b"retry" in page.content
    settings.SITE_URL = SITE
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("points:sign_print_retry", args=[people.here.slug, job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == SignPrint.State.DONE and job.file


def test_the_progress_page_refreshes_itself_while_the_job_runs(
    client, people, site, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=False):
        job = services.sign_print_request(
            actor=people.cadre_here, village=people.here, figures=False
        )
    SignPrint.objects.filter(pk=job.pk).update(state=SignPrint.State.RUNNING, done=50, total=200)
    client.force_login(people.cadre_here)
    url = reverse("points:sign_print", args=[people.here.slug, job.pk])
    client.get(url)  # session and permissions warmed
    with django_assert_num_queries(6):  # the cadre, their roles and rights (one query), the job
        page = client.get(url)
    body = page.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body
    assert '<progress value="50" max="200">' in body
    assert "<script" not in body
    # Not downloadable yet.
    download = client.get(reverse("points:sign_print_file", args=[people.here.slug, job.pk]))
    assert download.status_code == 404


def test_another_villages_cadre_gets_404(client, people, site, django_capture_on_commit_callbacks):
    job = services.sign_print_request(actor=people.cadre_here, village=people.here, figures=False)
    client.force_login(people.cadre_elsewhere)
    for name in ("points:sign_print", "points:sign_print_file"):
        assert client.get(reverse(name, args=[people.here.slug, job.pk])).status_code == 404
        assert client.get(reverse(name, args=[people.elsewhere.slug, job.pk])).status_code == 404


def test_a_request_is_refused_and_writes_nothing_without_a_public_address(people, settings):
    settings.SITE_URL = ""
    with pytest.raises(printing.PrintAddressError):
        services.sign_print_request(actor=people.cadre_here, village=people.here, figures=True)
    assert not SignPrint.objects.exists() and not Outbox.objects.exists()


@pytest.mark.integration
def test_a_live_worker_prints_a_job(celery_live_worker, settings):
    """The real path: the service's outbox row reaches a Celery worker on Redis after the
    commit, the worker draws the signs, and the job ends done with its file."""
    import time

    from tests.factories import UserFactory, VillageFactory

    settings.SITE_URL = SITE
    village = VillageFactory()
    HouseholdFactory.create_batch(45, village=village)
    job = services.sign_print_request(actor=UserFactory(), village=village, figures=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in (SignPrint.State.DONE, SignPrint.State.FAILED):
            break
        time.sleep(0.5)
    assert (job.state, job.done, job.total) == (SignPrint.State.DONE, 45, 45), job.error
    pdf = job.file.read()
    assert pdf_pages(pdf) == 12 and _is_vector(pdf)
    assert Outbox.objects.get(key=f"points.signprint:{job.pk}").done_at is not None
