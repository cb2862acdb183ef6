from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TalksConfig(AppConfig):
    name = "talks"
    verbose_name = _("Villagers talk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from talks import selectors, services
        from villageaffairs import assist, fragments

        # Acts done for a villager reach their inbox; disputes reach the cadres'.
        assist.register_kind("talks.topic", on_dispute=services.topic_disputed)
        assist.listen(
            on_act=services.assisted_act_notice, on_dispute=services.assisted_dispute_notice
        )
        # A page's ETag covers the inbox count its header shows to a signed-in viewer.
        fragments.viewer_state_parts.append(lambda request: selectors.unread_count(request.user))
