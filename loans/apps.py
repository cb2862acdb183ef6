from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Point loans")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from loans import landing  # noqa: F401 - registers the bank staff's landing
        from loans.models import BranchRole
        from villageaffairs import selectors

        # A bank officer's account is never a villager's to be linked by a cadre.
        selectors.privileged_account_checks.append(
            lambda user: BranchRole.objects.filter(user=user).exists()
        )
