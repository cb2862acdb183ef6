"""The unread count of the talks inbox, for the header (computed only if a template uses it)."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject


def _inbox(request) -> dict:
    from talks.models import Notification

    user = request.user
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    village = getattr(request, "village", None)
    if village is None or "village.member" not in getattr(request, "village_perms", ()):
        latest = unread.select_related("village").first()
        if latest is not None:
            village = latest.village
        else:
            role = user.village_roles.select_related("village").order_by("pk").first()
            village = role.village if role is not None else None
    if village is None:
        return {"count": 0, "url": ""}
    return {
        "count": unread.count(),
        "url": reverse("talks:inbox", kwargs={"village_slug": village.slug}),
    }


def inbox(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"talks_inbox": SimpleLazyObject(lambda: _inbox(request))}
