from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Villagers do not sign up, but a WeChat sign-in (when enabled) gets an account of its
    own, with no village role until a phone number a resident owns is confirmed."""

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return settings.WECHAT_LOGIN_ENABLED and sociallogin.account.provider == "weixin"
