"""The one place where a view's permission flag is checked."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render

from villageaffairs.permissions import OVERSEE

READ_METHODS = frozenset({"GET", "HEAD"})


def require(request, permission: str | None) -> None:
    """Raise Http404 unless the viewer holds ``permission`` in request.village."""
    if permission is None:
        return
    if permission not in request.village_perms:
        raise Http404("Not found.")


def overseeing(request, flags) -> bool:
    """Whether the viewer reaches a page only as an official over the village (read-only):
    they oversee it and hold none of ``flags``, the flags that open it to its own people."""
    perms = request.village_perms
    return bool(flags) and OVERSEE in perms and not (perms & flags)


def village_view(permission: str | None = None, *, oversee: bool | frozenset = False):
    """Decorate a view under /v/<village_slug>/. Anonymous viewers of a private page are sent
    to sign in; signed-in viewers without the right get 404, so nothing leaks.

    ``oversee=True``: township and county officials over the village (``village.oversee``) may
    read the page too. They get it with ``request.read_only`` set, so the template hides its
    forms, and any other method than GET answers 403 with the reason.

    ``oversee=<flags>`` on a public page that shows more to the holders of some flags (drafts
    and unpublished months to the cadres): the officials over the village who hold none of
    them read it as those insiders would, read-only in the same way."""
    flags = oversee if isinstance(oversee, frozenset) else frozenset({permission} - {None})

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if getattr(request, "village", None) is None:
                raise Http404("No village.")
            if permission is not None and not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if oversee and overseeing(request, flags):
                if request.method not in READ_METHODS:
                    return render(request, "villageaffairs/read_only.html", status=403)
                request.read_only = True
            else:
                require(request, permission)
            return view(request, *args, **kwargs)

        wrapper.permission = permission
        wrapper.oversee = bool(oversee)
        return wrapper

    return decorator
