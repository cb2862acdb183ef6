"""Demo data of point loans: the bank and branch of the news story, its policy, an officer login,
and Wen Peili's application for 300,000 yuan at 4.42%. Idempotent: run twice, nothing doubles.

The points demo (run before this one) gives Wen Peili's household its 583 points; the quote here
is computed from whatever standing the household has, never typed in.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from loans import selectors, services
from loans.models import Application, Bank, Branch, BranchRole
from villageaffairs.demo import DEMO_PASSWORD

BANK = ("广汉农村商业银行", "Guanghan Rural Commercial Bank")
BRANCH = ("三水支行", "Sanshui Branch")
OFFICER = ("sanshui_officer", "王信贷")
MANAGER = ("sanshui_manager", "李行长")
TIERS = {
    1: Decimal("50000"),
    2: Decimal("100000"),
    3: Decimal("150000"),
    4: Decimal("200000"),
    5: Decimal("300000"),
}


def _staff(username, name, branch, role):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"display_name": name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    BranchRole.objects.get_or_create(user=user, branch=branch, role=role)
    return user


@transaction.atomic
def seed(ctx) -> None:
    bank, _ = Bank.objects.get_or_create(name=BANK[0], defaults={"name_en": BANK[1]})
    branch, _ = Branch.objects.get_or_create(
        bank=bank, name=BRANCH[0], defaults={"name_en": BRANCH[1]}
    )
    branch.villages.add(ctx.villages["youyi"])
    _staff(*OFFICER, branch, BranchRole.Role.OFFICER)
    manager = _staff(*MANAGER, branch, BranchRole.Role.MANAGER)
    if not branch.policies.exists():
        services.policy_create(
            actor=manager,
            branch=branch,
            effective_from=datetime.date(2024, 1, 1),
            base_rate=Decimal("5.00"),
            reduction_per_100=Decimal("0.10"),
            floor_rate=Decimal("3.45"),
            tiers=TIERS,
            min_star_level=1,
            min_term_months=3,
            max_term_months=36,
            note="每 100 分下调 0.1 个百分点，按比例计算（583 分下调 0.58 个百分点）。",
        )
    household = ctx.households["wenpeili"]
    wen = ctx.users["wenpeili"]
    services.consent_grant(actor=wen, household=household, branch=branch)
    profile = selectors.credit_profile(branch.pk, household)
    if not Application.objects.filter(household=household, branch=branch).exists():
        if profile.eligible:
            services.application_submit(
                actor=wen,
                branch=branch,
                household=household,
                amount=min(Decimal("300000"), profile.limit),
                term_months=12,
                purpose="鱼塘周转资金（82 亩鱼塘，季节性资金缺口）",
            )
        else:
            ctx.say(
                "Loans: Wen Peili's household is not eligible yet: " + " ".join(profile.reasons)
            )
    if profile.quote is not None:
        ctx.say(
            f"Loans: {branch} serves Youyi; officer login {OFFICER[0]}; Wen Peili "
            f"{profile.score} points → {profile.quote.working}"
        )
