from django.core.management import call_command

from villageaffairs.models import Household, Resident, RoleAssignment, User, Village


def _counts():
    return (
        Village.objects.count(),
        Household.objects.count(),
        Resident.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
    )


def test_seed_demo_creates_the_three_villages_and_is_idempotent(db):
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    first = _counts()
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    assert _counts() == first
    names = set(Village.objects.values_list("name_en", flat=True))
    assert {"Youyi Village", "Xiqian Village", "Youxiqiao Village"} <= names
    youyi = Village.objects.get(slug="youyi")
    assert youyi.households.count() >= 200
    assert "Guanghan" in youyi.region_path and "Sanshui" in youyi.region_path
    shujun = User.objects.get(username="shujun")
    assert RoleAssignment.objects.filter(user=shujun, village=youyi, role="secretary").exists()
    xie = Household.objects.get(village=youyi, residents__user__username="xieqifu")
    assert xie.name == "谢启富" and xie.head.user.username == "xieqifu"
    assert (
        User.objects.get(username="xuemin")
        .village_roles.filter(village__slug="xiqian", role="secretary")
        .exists()
    )


def test_demo_officials_oversee_youyi_and_the_invited_cadre_signs_in(db, client):
    from django.urls import reverse

    from villageaffairs.demo import DEMO_PASSWORD
    from villageaffairs.models import CadreInvitation, RegionOfficial
    from villageaffairs.permissions import OVERSEE, village_perms
    from villageaffairs.sms import LogBackend

    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    call_command("seed_demo", "--i-know-this-is-not-production", verbosity=0)
    youyi, xiqian = Village.objects.get(slug="youyi"), Village.objects.get(slug="xiqian")
    sanshui, guanghan = User.objects.get(username="sanshui"), User.objects.get(username="guanghan")
    assert (sanshui.phone, guanghan.phone) == ("+8613800000051", "+8613800000052")
    assert RegionOfficial.objects.get(user=sanshui).region.name == "三水镇"
    assert RegionOfficial.objects.get(user=guanghan).region.name == "广汉市"
    for official in (sanshui, guanghan):
        assert OVERSEE in village_perms(official, youyi)
        assert village_perms(official, xiqian) == frozenset()
    response = client.post(
        reverse("account_login"), {"login": "sanshui", "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/officials/"
    assert "友谊村" in response.content.decode()
    invitation = CadreInvitation.objects.get()  # seeded once, however often the seed runs
    assert (invitation.village, invitation.phone, invitation.role) == (
        youyi,
        "+8613800000053",
        "cadre",
    )
    assert invitation.invited_by == sanshui and invitation.state() == "open"
    client.logout()
    LogBackend.outbox.clear()
    client.post(reverse("account_request_login_code"), {"phone": "138 0000 0053"})
    code = LogBackend.outbox[-1].params["code"]
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == "/v/youyi/work/"
