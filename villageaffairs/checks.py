"""System checks of the core: SMS settings (the provider must be configured to send at all)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string


@register(Tags.security, deploy=True)
def check_sms_backend_in_production(app_configs, **kwargs):
    """With DEBUG off, texts written only to the log would be sign-in codes nobody receives."""
    from villageaffairs.sms import LogBackend, backend_path

    if settings.DEBUG:
        return []
    try:
        backend = import_string(backend_path(settings.SMS_BACKEND))
    except ImportError:
        return []  # check_sms_settings reports it
    if isinstance(backend, type) and issubclass(backend, LogBackend):
        return [
            Error(
                "SMS_BACKEND is the log backend while DEBUG is off: no text reaches anyone.",
                hint="Set SMS_BACKEND to aliyun or tencent (README, SMS in production).",
                id="villageaffairs.E101",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_site_url_in_production(app_configs, **kwargs):
    """Printed QR codes carry SITE_URL: with DEBUG off it must be a public address, or a
    village prints 2,000 wooden signs that lead nowhere."""
    from villageaffairs.printing import address_problem

    if settings.DEBUG:
        return []
    problem = address_problem((settings.SITE_URL or "").strip())
    if problem:
        return [
            Error(
                str(problem),
                hint="Set SITE_URL to the public https address (README, Configuration).",
                id="villageaffairs.E106",
            )
        ]
    return []


@register()
def check_sms_settings(app_configs, **kwargs):
    """A configured provider has its sign name, keys and a template id for every template."""
    from villageaffairs.sms import ProviderBackend, Template, backend_path

    try:
        backend = import_string(backend_path(settings.SMS_BACKEND))
    except ImportError:
        return [
            Error(
                f"SMS_BACKEND={settings.SMS_BACKEND!r} cannot be imported.",
                hint="Use log, aliyun, tencent or the dotted path of a backend class.",
                id="villageaffairs.E102",
            )
        ]
    if not (isinstance(backend, type) and issubclass(backend, ProviderBackend)):
        return []
    errors = []
    needed = ["SMS_SIGN_NAME", "SMS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET"]
    if backend.needs_app_id:
        needed.append("SMS_SDK_APP_ID")
    for name in needed:
        if not getattr(settings, name):
            errors.append(
                Error(
                    f"{name} must be set for the {backend.name} SMS backend.",
                    id="villageaffairs.E103",
                )
            )
    missing = [str(t) for t in Template if not settings.SMS_TEMPLATE_IDS.get(str(t))]
    if missing:
        errors.append(
            Error(
                f"SMS_TEMPLATE_IDS has no {backend.name} template id for: {', '.join(missing)}.",
                hint='SMS_TEMPLATE_IDS is a JSON object: {"login_code": "<template id>", ...}.',
                id="villageaffairs.E104",
            )
        )
    unknown = sorted(set(settings.SMS_TEMPLATE_IDS) - {str(t) for t in Template})
    if unknown:
        errors.append(
            Error(
                f"SMS_TEMPLATE_IDS names unknown templates: {', '.join(unknown)}.",
                hint=f"The templates are: {', '.join(Template)}.",
                id="villageaffairs.E105",
            )
        )
    return errors
