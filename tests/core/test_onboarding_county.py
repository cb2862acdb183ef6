"""README, "Onboarding a county": its five steps, run on a county of 10 towns and 300 villages.

Each step asserts what the README promises of it: the divisions import (a dry run first,
nothing saved on error, pinyin slugs that stay unique), the official appointed in the admin,
the registers imported from the shell, the cadre invited on the official's pages and texted,
and the cadre's first SMS sign-in landing on the village's work page.
"""

import datetime
import re
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from villageaffairs.models import (
    CadreInvitation,
    Household,
    Region,
    RegionOfficial,
    Resident,
    Role,
    RoleAssignment,
    Village,
)
from villageaffairs.sms import LogBackend

README = Path(__file__).resolve().parents[2] / "README.md"
COUNTY = "510681000000"
TOWNS = [
    f"{name}镇"
    for name in ["三水", "连山", "向阳", "南丰", "金鱼", "西高", "和兴", "小汉", "松林", "高坪"]
]
VILLAGES = [
    f"{name}村"
    for name in [
        "友谊",
        "红旗",
        "新民",
        "光明",
        "胜利",
        "团结",
        "和平",
        "前进",
        "永丰",
        "双龙",
        "大河",
        "石桥",
        "金星",
        "长乐",
        "太平",
        "东风",
        "新华",
        "白马",
        "青龙",
        "高桥",
        "龙泉",
        "明星",
        "五星",
        "双河",
        "兴隆",
        "三星",
        "红星",
        "柏林",
        "新农",
        "同心",
    ]
]


def _xlsx(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return str(path)


def _divisions_sheet(tmp_path):
    rows = [
        ("区划代码", "名称", "级别", "上级代码"),
        ("510000000000", "四川省", "省", ""),
        ("510600000000", "德阳市", "市", "510000000000"),
        (COUNTY, "广汉市", "县", "510600000000"),
    ]
    for t, town in enumerate(TOWNS):
        town_code = f"510681{101 + t:03d}000"
        rows.append((town_code, town, "镇", COUNTY))
        for v, village in enumerate(VILLAGES):
            rows.append((f"510681{101 + t:03d}{201 + v:03d}", village, "村", town_code))
    return _xlsx(tmp_path / "guanghan.xlsx", rows)


def _register(tmp_path, slug, first_phone):
    """Three households; the head of each has a mobile number."""
    rows = [("户号", "村民小组", "姓名", "与户主关系", "性别", "出生日期", "手机号")]
    for n in range(3):
        rows += [
            (f"{n + 1:03d}", "一组", f"张{n}强", "户主", "男", datetime.date(1960 + n, 3, 12),
             f"139 1000 {first_phone + n:04d}"),
            (f"{n + 1:03d}", "一组", f"李{n}芳", "配偶", "女", datetime.date(1962 + n, 5, 1), None),
        ]  # fmt: skip
    return _xlsx(tmp_path / f"{slug}.xlsx", rows)


def _sms_sign_in(phone_typed, e164):
    """README, "Sign-in": the number, then the six-digit code sent by SMS."""
    client = Client()
    client.post(reverse("account_request_login_code"), {"phone": phone_typed})
    code = next(s.params["code"] for s in reversed(LogBackend.outbox) if s.phone == e164)
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert response.status_code == 200
    return client, response.redirect_chain[-1][0]


def test_the_readme_counts_its_steps():
    section = README.read_text().split("## Onboarding a county")[1].split("\n## ")[0]
    steps = re.findall(r"^(\d+)\. \*\*", section, flags=re.M)
    assert "goes live in five steps" in section
    assert steps == ["1", "2", "3", "4", "5"]


@pytest.mark.django_db
def test_a_county_of_300_villages_goes_live_as_the_readme_says(
    tmp_path, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://cun.example.cn"
    LogBackend.outbox.clear()
    operator = UserFactory(username="admin", is_staff=True, is_superuser=True)

    # 1. Regions and villages: a dry run saves nothing; the import makes the county.
    divisions = _divisions_sheet(tmp_path)
    out = StringIO()
    call_command("import_divisions", divisions, "--dry-run", stdout=out)
    assert "313 rows: 313 would be created" in out.getvalue()
    assert not Village.objects.exists()
    call_command("import_divisions", divisions, stdout=StringIO())
    county = Region.objects.get(code=COUNTY)
    assert Village.objects.filter(region__parent=county).count() == 300
    assert Region.objects.filter(parent=county, level=Region.Level.TOWN).count() == 10
    slugs = list(Village.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == 300  # ten 友谊村, ten slugs
    youyi = Village.objects.get(code="510681101201")  # 友谊村 of 三水镇, the first on the sheet
    assert youyi.slug == "youyicun"
    assert Village.objects.get(code="510681102201").slug == "youyicun-2"
    # Nothing is saved if any row is wrong: a village straight under the county.
    bad = _xlsx(tmp_path / "bad.xlsx", [("区划代码", "名称", "级别", "上级代码"),
                                         ("510681000301", "错村", "村", COUNTY)])  # fmt: skip
    with pytest.raises(CommandError):
        call_command("import_divisions", bad, stdout=StringIO(), stderr=StringIO())
    assert not Village.objects.filter(name="错村").exists()

    # 2. Officials: a user with their mobile number, then a Region official row in the admin.
    sanshui = Region.objects.get(code="510681101000")
    zhang = UserFactory(username="zhang", phone="+8613800000051")
    admin = Client()
    admin.force_login(operator)
    response = admin.post(
        reverse("admin:villageaffairs_regionofficial_add"),
        {"user": zhang.pk, "region": sanshui.pk, "title": "镇长"},
    )
    assert response.status_code == 302
    assert RegionOfficial.objects.filter(user=zhang, region=sanshui).exists()
    listing = admin.get(
        reverse("admin:villageaffairs_regionofficial_changelist")
        + f"?region__id__exact={sanshui.pk}"
    )
    assert "镇长" in listing.content.decode()

    # 3. Household registers: one shell loop over the sheets named by slug.
    lianshan_youyi = Village.objects.get(code="510681102201")
    sheets = [_register(tmp_path, youyi.slug, 1), _register(tmp_path, lianshan_youyi.slug, 11)]
    call_command("import_register", youyi.slug, sheets[0], "--dry-run", stdout=StringIO())
    assert not Household.objects.exists()
    for sheet in sheets:
        call_command("import_register", Path(sheet).stem, sheet, stdout=StringIO())
    assert Household.objects.filter(village=youyi).count() == 3
    assert Resident.objects.filter(village=lianshan_youyi).count() == 6
    # Villagers whose own number is on the register can sign in from then on.
    _client, landed = _sms_sign_in("139 1000 0001", "+8613910000001")
    assert landed == reverse("my_household", args=[youyi.slug])

    # 4. Cadres: the town official signs in, finds the village on /officials/ and invites.
    official, landed = _sms_sign_in("138 0000 0051", "+8613800000051")
    assert landed == reverse("officials")
    invitations = reverse("cadre_invitations", args=[youyi.slug])
    page = official.get(reverse("officials") + "?q=友谊村").content.decode()
    assert invitations in page
    assert reverse("cadre_invitations", args=[lianshan_youyi.slug]) not in page  # another town
    with django_capture_on_commit_callbacks(execute=True):
        response = official.post(invitations, {"phone": "138 0000 0053", "role": Role.SECRETARY})
    assert response.status_code == 302
    invitation = CadreInvitation.objects.get()
    assert (invitation.village, invitation.phone) == (youyi, "+8613800000053")
    [text] = [s for s in LogBackend.outbox if s.template == "cadre_invitation"]
    assert text.phone == "+8613800000053"
    assert text.params == {"village": "友谊村", "role": "党支部书记", "site": "cun.example.cn"}
    # The same number again is refused with the reason; another town's village is not found.
    again = official.post(invitations, {"phone": "13800000053", "role": Role.CADRE})
    assert again.status_code == 400
    assert CadreInvitation.objects.count() == 1
    other = reverse("cadre_invitations", args=[lianshan_youyi.slug])
    assert official.get(other).status_code == 404

    # 5. What the cadre sees: the first SMS sign-in accepts and lands on the work page.
    cadre, landed = _sms_sign_in("138 0000 0053", "+8613800000053")
    assert landed == reverse("cadre_work", args=[youyi.slug])
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert RoleAssignment.objects.filter(
        user=invitation.accepted_by, village=youyi, role=Role.SECRETARY
    ).exists()
    assert invitation.accepted_by.is_staff  # the admin, for the village's records
    assert cadre.get(reverse("household_register", args=[youyi.slug])).status_code == 200
