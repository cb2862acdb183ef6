"""WeChat sign-in: allauth's ``weixin`` provider, with its endpoints read from the settings (so
the tests can stand in for WeChat), and its pages open only when WECHAT_LOGIN_ENABLED is set.

A WeChat account is no villager until a phone number is confirmed: the account created at the
first WeChat sign-in has no village role; confirming a number by SMS code that a resident owns
links the account to that resident (``services.user_confirm_phone``), as a phone sign-in does.
"""
