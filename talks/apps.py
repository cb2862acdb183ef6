from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    name = "talks"
    verbose_name = _("Villagers talk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from talks import services
        from villageaffairs import assist

        # Acts done for a villager reach their inbox; disputes reach the cadres'.
        assist.register_kind("talks.topic", on_dispute=services.topic_disputed)
        assist.listen(
            on_act=services.assisted_act_notice, on_dispute=services.assisted_dispute_notice
        )
