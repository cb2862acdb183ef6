from allauth.socialaccount.providers.weixin.provider import WeixinProvider

from villageaffairs.wechat.views import WeChatOAuth2Adapter


class WeChatProvider(WeixinProvider):
    """Chosen by SOCIALACCOUNT_PROVIDERS["weixin"]["provider_class"]; views and URLs are ours."""

    package = "villageaffairs.wechat"
    oauth2_adapter_class = WeChatOAuth2Adapter
