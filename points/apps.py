from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from points import services
        from villageaffairs import assist

        # A claim entered for a villager who then disputes it is withdrawn while it waits.
        assist.register_kind("points.claim", on_dispute=services.claim_disputed)
