from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Point loans")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from loans import landing  # noqa: F401 - registers the bank staff's landing
