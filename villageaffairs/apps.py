from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Django puts _(":") after every form label, and its own zh_Hans catalogue keeps the ASCII colon
# (标题:). Naming the message here puts it in our catalogue, which wins, as the full-width "：".
gettext_noop(":")


class VillageAffairsConfig(AppConfig):
    name = "villageaffairs"
    verbose_name = _("Villages and households")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from villageaffairs import (
            checks,  # noqa: F401  (registers the system checks)
            officials,
            selectors,
        )
        from villageaffairs.signin import on_login

        # Staff sessions get their short idle expiry from the first request on.
        user_logged_in.connect(on_login, dispatch_uid="villageaffairs.signin.on_login")
        # An official is not offered to join a village as a villager.
        if officials.is_official not in selectors.privileged_account_checks:
            selectors.privileged_account_checks.append(officials.is_official)
