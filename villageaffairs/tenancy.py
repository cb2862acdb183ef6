"""The one place where a view's permission flag is checked."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def require(request, permission: str | None) -> None:
    """Raise Http404 unless the viewer holds ``permission`` in request.village."""
    if permission is None:
        return
    if permission not in request.village_perms:
        raise Http404("Not found.")


def village_view(permission: str | None = None):
    """Decorate a view under /v/<village_slug>/. Anonymous viewers of a private page are sent
    to sign in; signed-in viewers without the right get 404, so nothing leaks."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if getattr(request, "village", None) is None:
                raise Http404("No village.")
            if permission is not None and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            require(request, permission)
            return view(request, *args, **kwargs)

        wrapper.permission = permission
        return wrapper

    return decorator
