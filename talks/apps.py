from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    name = "talks"
    verbose_name = _("Villagers talk")
    default_auto_field = "django.db.models.BigAutoField"
