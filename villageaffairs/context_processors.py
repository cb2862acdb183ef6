from django.conf import settings


def site(request):
    return {
        "village": getattr(request, "village", None),
        "village_perms": getattr(request, "village_perms", frozenset()),
        "wechat_login_enabled": settings.WECHAT_LOGIN_ENABLED,
    }
