from functools import wraps

from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.weixin.views import WeixinOAuth2Adapter
from django.conf import settings
from django.http import Http404


class WeChatOAuth2Adapter(WeixinOAuth2Adapter):
    """WeChat's token and user-info endpoints, overridable by ACCESS_TOKEN_URL and PROFILE_URL
    in SOCIALACCOUNT_PROVIDERS["weixin"] (AUTHORIZE_URL is allauth's own setting)."""

    # WeChat documents a GET with the code in the query string.
    access_token_method = "GET"  # noqa: S105 - an HTTP method, not a secret

    def _setting(self, name, default):
        return self.get_provider().get_settings().get(name) or default

    @property
    def access_token_url(self):
        return self._setting("ACCESS_TOKEN_URL", WeixinOAuth2Adapter.access_token_url)

    @property
    def profile_url(self):
        return self._setting("PROFILE_URL", WeixinOAuth2Adapter.profile_url)


def _when_enabled(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.WECHAT_LOGIN_ENABLED:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


oauth2_login = _when_enabled(OAuth2LoginView.adapter_view(WeChatOAuth2Adapter))
oauth2_callback = _when_enabled(OAuth2CallbackView.adapter_view(WeChatOAuth2Adapter))
