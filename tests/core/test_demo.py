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
