from decimal import Decimal

import pytest
from django.urls import reverse

from loans.models import Application, Consent, Lookup, RatePolicy
from tests.factories import HouseholdFactory
from tests.loans.conftest import give_points


def _profile(bank, household=None, purpose="application"):
    household = household or bank.household
    url = reverse("loans:profile", kwargs={"branch_id": bank.branch.pk, "code": household.code})
    return f"{url}?purpose={purpose}"


def test_officer_sees_the_full_profile_with_consent_and_the_lookup_is_logged(client, bank):
    bank.consent()
    client.force_login(bank.officer)
    body = client.get(_profile(bank)).content.decode()
    assert "4.42%" in body
    assert "5.00% − 583 × 0.10 / 100 = 4.42%" in body
    assert "300,000" in body or "300000" in body
    lookup = Lookup.objects.get()
    assert (lookup.officer, lookup.household, lookup.purpose) == (
        bank.officer,
        bank.household,
        "application",
    )
    assert lookup.full_profile is True


def test_without_consent_only_public_figures_and_still_logged(client, bank):
    client.force_login(bank.officer)
    body = client.get(_profile(bank)).content.decode()
    assert "583" in body
    assert "4.42%" not in body and "300,000" not in body
    assert Lookup.objects.get().full_profile is False


def test_no_purpose_no_lookup(client, bank):
    client.force_login(bank.officer)
    url = reverse(
        "loans:profile", kwargs={"branch_id": bank.branch.pk, "code": bank.household.code}
    )
    response = client.get(url)
    assert response.status_code == 200
    assert "583" not in response.content.decode()
    assert not Lookup.objects.exists()


def test_unserved_household_answers_404_and_is_not_logged(client, bank):
    client.force_login(bank.officer)
    assert client.get(_profile(bank, bank.outsider)).status_code == 404
    assert not Lookup.objects.exists()


def test_the_household_sees_who_looked_and_when(client, bank):
    client.force_login(bank.officer)
    client.get(_profile(bank, purpose="visit"))
    client.force_login(bank.wen)
    body = client.get(reverse("loans_village:credit", args=["youyi"])).content.decode()
    assert "王信贷" in body  # the officer's name
    assert "走访" in body or "visit" in body.lower()
    lookup = Lookup.objects.get()
    from django.utils import timezone

    shanghai = timezone.localtime(lookup.created_at).strftime("%Y-%m-%d %H:%M")
    assert shanghai in body


def test_search_by_name_house_number_phone_and_scanned_sign(client, bank):
    client.force_login(bank.officer)
    lookup_url = reverse("loans:lookup", kwargs={"branch_id": bank.branch.pk})
    HouseholdFactory(village=bank.xiqian, name="文培力")  # same name, village not served
    for q in ("培力", bank.household.house_number, "138 0001 2000"[:0] or "13800000012"):
        body = client.get(lookup_url, {"q": q, "purpose": "enquiry"}).content.decode()
        assert bank.household.code in body, q
        assert body.count("/h/") == 1, q
    scanned = f"https://example.cn/h/{bank.household.code}/"
    response = client.get(lookup_url, {"q": scanned, "purpose": "enquiry"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/h/{bank.household.code}/?purpose=enquiry")
    assert not Lookup.objects.exists()  # searching is not looking at credit


def test_the_result_comes_before_the_search_forms(client, bank):
    """On a phone the officer sees what was found first, not 1.5 screens down."""
    client.force_login(bank.officer)
    lookup_url = reverse("loans:lookup", kwargs={"branch_id": bank.branch.pk})
    body = client.get(lookup_url, {"q": "培力", "purpose": "enquiry"}).content.decode()
    found = body.index(bank.household.code)
    assert found < body.index('id="search"') < body.index('id="scan"')
    assert body.index('id="results"') < found
    # Nothing found says so, first too.
    body = client.get(lookup_url, {"q": "无此人", "purpose": "enquiry"}).content.decode()
    assert body.index('class="empty"') < body.index('id="search"')
    # Before a search there is no result: the search form leads.
    body = client.get(lookup_url).content.decode()
    assert 'id="results"' not in body
    assert body.index('id="search"') < body.index('id="scan"')


def test_household_grants_and_revokes_consent(client, bank):
    client.force_login(bank.wen)
    url = reverse("loans_village:consent", args=["youyi", bank.branch.pk])
    client.post(url, {"action": "grant"})
    assert Consent.objects.filter(revoked_at__isnull=True).count() == 1
    client.post(url, {"action": "revoke"})
    assert Consent.objects.filter(revoked_at__isnull=True).count() == 0
    # A branch not serving the village: 404, nothing changes.
    other = reverse("loans_village:consent", args=["youyi", bank.other.pk])
    assert client.post(other, {"action": "grant"}).status_code == 404
    assert Consent.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "term", "message"),
    [
        ("0", "12", "大于零"),
        ("-1", "12", "大于零"),
        ("三十万", "12", "数字"),
        ("300001", "12", "300000"),
        ("1000", "99", "1"),
    ],
)
def test_bad_application_shows_an_error_keeps_the_input_and_saves_nothing(
    client, bank, amount, term, message
):
    client.force_login(bank.wen)
    response = client.post(
        reverse("loans_village:apply", args=["youyi"]),
        {"branch": bank.branch.pk, "amount": amount, "term_months": term, "purpose": "鱼塘"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="errorlist' in body and message in body
    assert f'value="{amount}"' in body and 'value="鱼塘"' in body
    assert not Application.objects.exists()


def test_head_applies_from_the_village_and_sees_the_schedule(client, bank):
    client.force_login(bank.wen)
    response = client.post(
        reverse("loans_village:apply", args=["youyi"]),
        {"branch": bank.branch.pk, "amount": "300000", "term_months": "12", "purpose": "鱼塘"},
        follow=True,
    )
    body = response.content.decode()
    app = Application.objects.get()
    assert app.rate == Decimal("4.42")
    assert "4.42%" in body and "25,602.58" in body and "4.420" not in body


def test_officer_approves_and_cannot_exceed_the_limit(client, bank):
    bank.consent()
    client.force_login(bank.officer)
    url = reverse(
        "loans:application_new", kwargs={"branch_id": bank.branch.pk, "code": bank.household.code}
    )
    response = client.post(url, {"amount": "300000", "term_months": "12", "purpose": "鱼塘"})
    app = Application.objects.get()
    assert response.status_code == 302
    detail = reverse("loans:application", kwargs={"branch_id": bank.branch.pk, "pk": app.pk})
    body = client.post(detail, {"action": "approve", "amount": "400000"}).content.decode()
    assert "300,000" in body or "300000" in body
    assert Application.objects.get().state == "submitted"
    client.post(detail, {"action": "approve", "amount": "250000"})
    app.refresh_from_db()
    assert app.state == "approved" and app.approved_amount == Decimal("250000")


def test_manager_creates_a_policy_version_and_floor_above_base_is_refused(client, bank):
    client.force_login(bank.manager)
    url = reverse("loans:policy_new", kwargs={"branch_id": bank.branch.pk})
    data = {
        "effective_from": "2030-01-01",
        "base_rate": "5.00",
        "reduction_per_100": "0.10",
        "reduction_mode": "pro_rata",
        "floor_rate": "5.50",
        "rounding_step": "0.01",
        "rounding_mode": "half_up",
        "min_score": "0",
        "min_star_level": "0",
        "deduction_months": "0",
        "min_term_months": "1",
        "max_term_months": "36",
        "limit_5": "300000",
    }
    body = client.post(url, data).content.decode()
    assert "5.50" in body and 'class="errorlist' in body
    assert RatePolicy.objects.count() == 1
    data["floor_rate"] = "3.45"
    assert client.post(url, data).status_code == 302
    assert RatePolicy.objects.get(version=2).tiers.get().credit_limit == Decimal("300000")
    assert (
        client.get(reverse("loans:lookups", kwargs={"branch_id": bank.branch.pk})).status_code
        == 200
    )


def _extra_households(bank, n):
    for i in range(n):
        household = HouseholdFactory(village=bank.youyi)
        if i % 3 == 0:
            give_points(household, 50 + i, actor=bank.cadre)


def test_profile_queries_do_not_grow_with_the_village(client, bank, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bank.consent()
    client.force_login(bank.officer)
    counts = []
    for extra in (0, 30):
        _extra_households(bank, extra)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_profile(bank)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(20):
        client.get(_profile(bank))


def test_household_credit_page_queries_do_not_grow(client, bank):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(bank.wen)
    url = reverse("loans_village:credit", args=["youyi"])
    counts = []
    for extra in (0, 20):
        _extra_households(bank, extra)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def _photo_of_sign(household, *, exif_gps=False):
    """A JPEG 'photo' of the household's courtyard sign: the real sign PNG on a grey wall."""
    import io

    from PIL import Image

    from points.signs import sign_image

    sign = sign_image(household, f"https://cun.example.cn/h/{household.code}/").convert("RGB")
    wall = Image.new("RGB", (sign.width + 200, sign.height + 300), (150, 150, 140))
    wall.paste(sign, (100, 150))
    out = io.BytesIO()
    wall.save(out, format="JPEG", quality=90)
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("sign.jpg", out.getvalue(), content_type="image/jpeg")


def test_an_officer_scans_a_photographed_sign(client, bank):
    client.force_login(bank.officer)
    url = reverse("loans:scan", kwargs={"branch_id": bank.branch.pk})
    response = client.post(url, {"photo": _photo_of_sign(bank.household), "purpose": "enquiry"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/h/{bank.household.code}/?purpose=enquiry")
    # A sign of a village the branch does not serve: as if it did not exist.
    response = client.post(url, {"photo": _photo_of_sign(bank.outsider), "purpose": "enquiry"})
    assert response.status_code == 404
    assert bank.outsider.code not in response.content.decode()
    assert not Lookup.objects.exists()  # reading a sign is not looking at credit


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not a photo", "不是可以识别的照片"),
        (None, "照片中没有找到"),
    ],
    ids=["not-an-image", "no-qr-code"],
)
def test_a_scan_without_a_readable_sign_says_so(client, bank, content, message):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    if content is None:
        out = io.BytesIO()
        Image.new("RGB", (400, 300), (200, 180, 160)).save(out, format="JPEG")
        content = out.getvalue()
    client.force_login(bank.officer)
    url = reverse("loans:scan", kwargs={"branch_id": bank.branch.pk})
    photo = SimpleUploadedFile("x.jpg", content, content_type="image/jpeg")
    response = client.post(url, {"photo": photo, "purpose": "enquiry"})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_head_withdraws_an_undecided_application_and_the_bank_cannot_approve_it(client, bank):
    from tests.factories import member
    from tests.loans.factories import application_for

    app = application_for(bank.branch, bank.household)
    page = reverse("loans_village:application", args=["youyi", app.pk])
    withdraw = reverse("loans_village:withdraw", args=["youyi", app.pk])

    # Another member of the household sees the application but cannot withdraw it.
    relative = member(bank.youyi, household=bank.household)
    client.force_login(relative)
    assert client.get(page).status_code == 200
    assert withdraw not in client.get(page).content.decode()
    assert client.post(withdraw).status_code == 404

    client.force_login(bank.wen)
    assert withdraw in client.get(page).content.decode()
    response = client.post(withdraw, follow=True)
    app.refresh_from_db()
    assert app.state == "withdrawn" and app.withdrawn_at is not None
    assert "已撤回" in response.content.decode()
    assert withdraw not in response.content.decode()  # nothing more to withdraw
    response = client.post(withdraw, follow=True)
    assert "只有银行尚未决定的申请才能撤回" in response.content.decode()

    bank.consent()
    client.force_login(bank.officer)
    detail = reverse("loans:application", kwargs={"branch_id": bank.branch.pk, "pk": app.pk})
    client.post(detail, {"action": "approve", "amount": "100000"})
    app.refresh_from_db()
    assert app.state == "withdrawn" and app.approved_amount is None
