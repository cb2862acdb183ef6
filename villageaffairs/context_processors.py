from django.conf import settings

# The bottom navigation's tabs, by the URL namespace (or, in the core, the URL name) of a page.
_TABS = {
    "village_home": "home",
    "points": "points",
    "talks": "talks",
    "publicity": "open",
    "my_household": "me",
    "loans_village": "me",
}


def site(request):
    village = getattr(request, "village", None)
    perms = getattr(request, "village_perms", frozenset())
    # A villager of this village (no cadre rights) gets the phone layout: the village name and
    # the inbox on top, five tabs at the bottom. Cadres and visitors keep the full header.
    villager_layout = (
        village is not None and "village.member" in perms and "village.manage" not in perms
    )
    match = getattr(request, "resolver_match", None)
    tab = ""
    if villager_layout and match is not None:
        tab = _TABS.get(match.namespace) or _TABS.get(match.url_name, "")
    return {
        "village": village,
        "village_perms": perms,
        "villager_layout": villager_layout,
        "bottom_nav_tab": tab,
        "read_only": getattr(request, "read_only", False),
        "wechat_login_enabled": settings.WECHAT_LOGIN_ENABLED,
    }
