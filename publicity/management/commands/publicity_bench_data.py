"""Synthetic data for the publicity benchmark: a village whose books hold 12 published months,
the last with N entries (bulk-inserted). Re-running with the same N changes nothing."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from publicity import selectors, services
from publicity.models import Category, FinanceBook, FinanceEntry, FinanceMonth, category_direction
from villageaffairs.models import Region, Role, RoleAssignment, Village

SLUG = "bench-publicity"
CATEGORIES = list(Category.values)


class Command(BaseCommand):
    help = "Create the publicity benchmark data: 12 published months, the last with N entries."

    def add_arguments(self, parser):
        parser.add_argument("--entries", type=int, default=1000)

    @transaction.atomic
    def handle(self, *args, entries, **options):
        village, clerk, checker = self._village()
        last = selectors.add_months(timezone.localdate().replace(day=1), -1)
        first = selectors.add_months(last, -11)
        if FinanceBook.objects.filter(village=village).exists():
            month = FinanceMonth.objects.filter(village=village, month=last).first()
            if month is not None and month.entry_count == entries:
                self.stdout.write(f"{SLUG}: ready ({entries} entries in {month.key})")
                return
            FinanceMonth.objects.filter(village=village).delete()
            FinanceEntry.objects.filter(village=village).delete()
            FinanceBook.objects.filter(village=village).delete()
        FinanceBook.objects.create(
            village=village, starts_on=first, opening_balance=Decimal("250000.00")
        )
        rows = []
        for i in range(12):
            month = selectors.add_months(first, i)
            count = entries if month == last else 40
            for n in range(count):
                category = CATEGORIES[n % len(CATEGORIES)]
                rows.append(
                    FinanceEntry(
                        village=village,
                        date=month + timedelta(days=n % 28),
                        direction=category_direction(category),
                        category=category,
                        amount=Decimal(100 + (n * 37) % 5000) + Decimal("0.35"),
                        counterparty=f"对方单位{n}",
                        voucher_no=f"{month:%y%m}-{n:04d}",
                        note="基准数据",
                        recorded_by=clerk,
                    )
                )
        FinanceEntry.objects.bulk_create(rows, batch_size=2000)
        for i in range(12):
            month = selectors.add_months(first, i)
            services.month_check(actor=checker, village=village, month=month)
            services.month_publish(actor=clerk, village=village, month=month)
        self.stdout.write(f"{SLUG}: {len(rows)} entries, the last month {entries}")

    def _village(self):
        village = Village.objects.filter(slug=SLUG).first()
        User = get_user_model()
        if village is None:
            region, _ = Region.objects.get_or_create(
                parent=None, name="基准镇", defaults={"name_en": "Bench Town", "level": "town"}
            )
            village = Village.objects.create(
                name="公开基准村",
                name_en="Publicity Bench",
                slug=SLUG,
                region=region,
                region_path="基准镇",
            )
        clerk, _ = User.objects.get_or_create(username=f"{SLUG}-accountant")
        checker, _ = User.objects.get_or_create(username=f"{SLUG}-checker")
        for user, role in ((clerk, Role.ACCOUNTANT), (checker, Role.FINANCE_GROUP)):
            RoleAssignment.objects.get_or_create(user=user, village=village, role=role)
        return village, clerk, checker
