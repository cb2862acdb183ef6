"""Synthetic data for the loans benchmark: villages served by one branch, their households with
heads, phones and scores, the branch's policy, an officer, and consent from one household.

Fast: bulk_create, scores written straight into the balance table, one ranking recompute.
Made once per size; a second run with the same size changes nothing.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from loans import services
from loans.models import Bank, Branch, BranchRole, Consent
from villageaffairs.models import Household, Region, Resident, Village

PREFIX = "bench-loans"


class Command(BaseCommand):
    help = "Make (once) a branch serving N households for the loans benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=2000)
        parser.add_argument("--villages", type=int, default=4)

    @transaction.atomic
    def handle(self, *args, households, villages, **options):
        from points.models import Balance
        from points.services import rankings_recompute

        rng = random.Random(5)  # noqa: S311 - synthetic data
        bank, _ = Bank.objects.get_or_create(name="基准测试银行")
        branch, _ = Branch.objects.get_or_create(bank=bank, name=f"{households} 户支行")
        region, _ = Region.objects.get_or_create(parent=None, name="基准测试镇", level="town")
        per_village = households // villages
        for v in range(villages):
            slug = f"{PREFIX}-{households}-{v}"
            village, created = Village.objects.get_or_create(
                slug=slug, defaults={"name": f"基准{v}村", "region": region}
            )
            branch.villages.add(village)
            if not created:
                continue
            Household.objects.bulk_create(
                Household(village=village, house_number=f"{n:04d}", name=f"户主{v}-{n}")
                for n in range(per_village)
            )
            homes = list(Household.objects.filter(village=village).order_by("pk"))
            Resident.objects.bulk_create(
                Resident(
                    village=village,
                    household=h,
                    name=h.name,
                    phone=f"+86139{v:02d}{n:06d}",
                )
                for n, h in enumerate(homes)
            )
            heads = {r.household_id: r.pk for r in Resident.objects.filter(village=village)}
            for h in homes:
                h.head_id = heads[h.pk]
            Household.objects.bulk_update(homes, ["head"], batch_size=1000)
            Balance.objects.bulk_create(
                Balance(household=h, village=village, score=s, balance=s)
                for h in homes
                if (s := rng.randint(0, 1200))
            )
            rankings_recompute(village_id=village.pk)
        User = get_user_model()
        officer, _ = User.objects.get_or_create(username=f"{PREFIX}-officer")
        BranchRole.objects.get_or_create(user=officer, branch=branch, role="officer")
        if not branch.policies.exists():
            services.policy_create(
                actor=officer,
                branch=branch,
                effective_from=datetime.date(2020, 1, 1),
                base_rate=Decimal("5.00"),
                reduction_per_100=Decimal("0.10"),
                floor_rate=Decimal("3.45"),
                tiers={s: Decimal(50000 * s) for s in range(1, 6)},
                deduction_months=12,
            )
        target = Household.objects.filter(village__bank_branches=branch).order_by("pk").first()
        if not Consent.objects.filter(household=target, branch=branch).exists():
            Consent.objects.create(
                village_id=target.village_id, household=target, branch=branch, granted_by=officer
            )
        self.stdout.write(f"{branch.pk} {target.code}")
