from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Point loans")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from loans import (
            landing,  # noqa: F401 - registers the bank staff's landing
            services,
        )
        from loans.models import BranchRole
        from villageaffairs import assist, selectors

        # A consent entered for a head of household who then disputes it ends.
        assist.register_kind("loans.consent", on_dispute=services.consent_disputed)

        # A bank officer's account is never a villager's to be linked by a cadre.
        selectors.privileged_account_checks.append(
            lambda user: BranchRole.objects.filter(user=user).exists()
        )
