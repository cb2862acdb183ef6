"""Demo data for the one-command local run: three villages from the news story.

``seed()`` is idempotent: run it again and nothing is duplicated. Each app may add its own demo
data in ``<app>/demo.py`` with a ``seed(ctx)`` function; ``seed_demo`` calls them in order.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from villageaffairs import services
from villageaffairs.models import (
    CadreInvitation,
    Household,
    JoinRequest,
    Region,
    RegionOfficial,
    Resident,
    Role,
    Village,
)

DEMO_PASSWORD = "village-demo-2026"  # noqa: S105 - documented demo logins, local run only

REGIONS = {
    "youyi": [
        ("四川省", "Sichuan", "province"),
        ("德阳市", "Deyang", "city"),
        ("广汉市", "Guanghan", "county"),
        ("三水镇", "Sanshui Town", "town"),
    ],
    "xiqian": [
        ("山西省", "Shanxi", "province"),
        ("运城市", "Yuncheng", "city"),
        ("河津市", "Hejin", "county"),
        ("樊村镇", "Fancun Town", "town"),
    ],
    "youxiqiao": [
        ("湖南省", "Hunan", "province"),
        ("娄底市", "Loudi", "city"),
        ("新化县", "Xinhua County", "county"),
        ("油溪乡", "Youxi Township", "town"),
    ],
}
VILLAGES = [
    (
        "youyi",
        "友谊村",
        "Youyi Village",
        320,
        "两层小楼整齐清爽，每户院门口挂着鱼形木牌，鱼尾上有二维码。",
    ),
    ("xiqian", "西前村", "Xiqian Village", 260, "婚前不办酒席，已写入村规民约。"),
    ("youxiqiao", "油溪桥村", "Youxiqiao Village", 210, "积分制管理的发源地之一。"),
]
# (username, name, village, role, phone, house number or None, is household head)
PEOPLE = [
    ("shujun", "舒俊", "youyi", Role.SECRETARY, "+8613800000001", "001", True),
    ("xuemin", "薛敏", "xiqian", Role.SECRETARY, "+8613800000002", "001", True),
    ("youyi_accountant", "刘会计", "youyi", Role.ACCOUNTANT, "+8613800000003", "002", True),
    ("xieqifu", "谢启富", "youyi", Role.VILLAGER, "+8613800000011", "017", True),
    ("wenpeili", "文培力", "youyi", Role.VILLAGER, "+8613800000012", "058", True),
    ("xuexiaojun", "薛小军", "xiqian", Role.VILLAGER, "+8613800000021", "036", True),
    # 网格员: acts for the villagers of the grid who do not use the app (villageaffairs.assist).
    ("wanggrid", "王网格", "youyi", Role.GRID_WORKER, "+8613800000041", "009", True),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "建国华明红梅兰英芳军平玉秀春丽强伟勇杰磊敏静燕霞洪林刚志军德富贵福祥荣桂凤兵文武涛海波云峰晓东"
)


@dataclass
class DemoContext:
    villages: dict[str, Village] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    households: dict[str, Household] = field(default_factory=dict)  # by username
    operator: object = None
    stdout: object = None

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)


def _region_chain(chain) -> Region:
    parent = None
    for name, name_en, level in chain:
        parent, _ = Region.objects.get_or_create(
            parent=parent, name=name, defaults={"name_en": name_en, "level": level}
        )
    return parent


def _fill_village(village: Village, count: int, rng: random.Random) -> None:
    """Households 001..count with a head and one to four other residents each."""
    existing = set(Household.objects.filter(village=village).values_list("house_number", flat=True))
    new = [
        Household(village=village, house_number=f"{n:03d}", villager_group=f"{(n - 1) // 40 + 1}组")
        for n in range(1, count + 1)
        if f"{n:03d}" not in existing
    ]
    Household.objects.bulk_create(new)
    if not new:
        return
    created = Household.objects.filter(village=village, head__isnull=True)
    # On the platform since before the demo's history (a year of points, the dashboards'
    # trend): a share of households divides by the households of each period.
    created.update(created_at=timezone.now() - datetime.timedelta(days=STATS_DAYS + 1))
    residents = []
    for household in created:
        surname = rng.choice(SURNAMES)
        members = rng.randint(2, 5)
        for i in range(members):
            name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            residents.append(
                Resident(
                    village=village,
                    household=household,
                    name=name,
                    year_of_birth=rng.randint(1945, 1985) if i == 0 else rng.randint(1950, 2020),
                )
            )
    Resident.objects.bulk_create(residents)
    heads = {}
    for resident in Resident.objects.filter(village=village, household__head__isnull=True).order_by(
        "pk"
    ):
        heads.setdefault(resident.household_id, resident)
    households = list(Household.objects.filter(pk__in=heads))
    for household in households:
        household.head = heads[household.pk]
        household.name = heads[household.pk].name
    Household.objects.bulk_update(households, ["head", "name"])


@transaction.atomic
def seed(stdout=None) -> DemoContext:
    ctx = DemoContext(stdout=stdout)
    User = get_user_model()
    rng = random.Random(20260601)  # noqa: S311 - demo names, not security

    operator, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "display_name": "平台运营"},
    )
    if created:
        operator.set_password(DEMO_PASSWORD)
        operator.save()
    ctx.operator = operator

    for slug, name, name_en, count, intro in VILLAGES:
        village = Village.objects.filter(slug=slug).first()
        if village is None:
            village = services.village_create(
                actor=operator,
                name=name,
                name_en=name_en,
                slug=slug,
                region=_region_chain(REGIONS[slug]),
                introduction=intro,
            )
        _fill_village(village, count, rng)
        ctx.villages[slug] = village

    for username, name, slug, role, phone, house_number, is_head in PEOPLE:
        village = ctx.villages[slug]
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"display_name": name, "phone": phone, "phone_verified": True},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        household = Household.objects.get(village=village, house_number=house_number)
        resident = Resident.objects.filter(user=user).first()
        if resident is None:
            resident = Resident.objects.create(
                village=village,
                household=household,
                name=name,
                phone=phone,
                phone_owner=True,  # their own phone: it signs in as them
                year_of_birth=1970,
                user=user,
            )
        if is_head and household.head_id != resident.pk:
            services.household_set_head(actor=operator, household=household, resident=resident)
        services.role_assign(actor=operator, user=user, village=village, role=Role.VILLAGER)
        if role != Role.VILLAGER:
            services.role_assign(actor=operator, user=user, village=village, role=role)
        ctx.users[username] = user
        ctx.households[username] = household

    _seed_join_requests(ctx)
    _seed_officials(ctx)
    ctx.say(
        "Demo data: "
        + ", ".join(f"{v.name} ({v.households.count()} households)" for v in ctx.villages.values())
    )
    return ctx


# Join requests (villageaffairs.joining): two members of Youyi on the register with no account and
# no phone. Xie Qifu's son 谢明华 of 017 is free to claim (sign in with any unknown mobile number,
# ask to join 友谊村, house number 017, 谢明华, 1994-09-12); 文小燕 of 058 is asked for by a
# newcomer whose request waits on the cadre work page.
JOINABLE = [
    ("017", "谢明华", datetime.date(1994, 9, 12)),
    ("058", "文小燕", datetime.date(2001, 7, 15)),
]
NEWCOMER = ("newcomer", "+8613800000031")


def _seed_join_requests(ctx: DemoContext) -> None:
    village = ctx.villages["youyi"]
    residents = {}
    for house_number, name, born_on in JOINABLE:
        household = Household.objects.get(village=village, house_number=house_number)
        residents[house_number], _ = Resident.objects.get_or_create(
            household=household,
            name=name,
            defaults={"village": village, "born_on": born_on, "year_of_birth": born_on.year},
        )
    User = get_user_model()
    username, phone = NEWCOMER
    newcomer, created = User.objects.get_or_create(
        username=username, defaults={"phone": phone, "phone_verified": True}
    )
    if created:
        newcomer.set_unusable_password()
        newcomer.save(update_fields=["password"])
    resident = residents["058"]
    if resident.user_id is None and not JoinRequest.objects.filter(user=newcomer).exists():
        JoinRequest.objects.create(
            village=village,
            user=newcomer,
            household=resident.household,
            resident=resident,
            name=resident.name,
            born_on=resident.born_on,
        )


# The region dashboards read daily statistics that the nightly job writes: the demo counts the
# days its data spans (up to today, which the next nightly run recounts) right away.
STATS_DAYS = 400


def seed_stats(ctx: DemoContext) -> None:
    from villageaffairs import stats

    today = timezone.localdate()
    written = stats.backfill(today - datetime.timedelta(days=STATS_DAYS), today)
    ctx.say(f"Daily statistics: {written} rows.")


# Region officials (villageaffairs.officials): (username, name, region path from the province,
# phone, title). Both sign in with the demo password or by SMS code and land on /officials/.
OFFICIALS = [
    ("sanshui", "张镇长", ("四川省", "德阳市", "广汉市", "三水镇"), "+8613800000051", "镇长"),
    ("guanghan", "王副市长", ("四川省", "德阳市", "广汉市"), "+8613800000052", "副市长"),
]
# An open invitation from 三水镇 for a new cadre of 友谊村: sign in by SMS code with this
# number and land on the village's work page as a cadre.
INVITED = ("youyi", "+8613800000053", Role.CADRE)


def _region_at(path) -> Region:
    region = None
    for name in path:
        region = Region.objects.get(parent=region, name=name)
    return region


def _seed_officials(ctx: DemoContext) -> None:
    from villageaffairs.officials import invitation_create

    User = get_user_model()
    for username, name, path, phone, title in OFFICIALS:
        user, created = User.objects.get_or_create(
            username=username,
            # Staff: they also view their villages' records in the admin, read only.
            defaults={
                "display_name": name,
                "phone": phone,
                "phone_verified": True,
                "is_staff": True,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        RegionOfficial.objects.get_or_create(
            user=user, region=_region_at(path), defaults={"title": title}
        )
        ctx.users[username] = user
    slug, phone, role = INVITED
    village = ctx.villages[slug]
    if not CadreInvitation.objects.filter(village=village, phone=phone).exists():
        invitation_create(actor=ctx.users["sanshui"], village=village, phone=phone, role=role)
