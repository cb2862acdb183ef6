from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillageAffairsConfig(AppConfig):
    name = "villageaffairs"
    verbose_name = _("Villages and households")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from villageaffairs import checks  # noqa: F401  (registers the system checks)
