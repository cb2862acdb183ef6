"""Who may do what at a bank branch: the bank's side of villageaffairs.tenancy.

Bank staff hold roles per branch (``BranchRole``); a view under ``/bank/<branch_id>/`` declares
the flag it needs with ``@bank_view("loans.lookup")``. Anonymous viewers are sent to sign in;
signed-in viewers without the right get 404, so a branch's pages do not leak to outsiders.
Platform operators manage banks in the admin but hold no branch rights of their own.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from loans.models import Branch, BranchRole

OFFICER = frozenset({"loans.lookup", "loans.apply", "loans.decide"})
MANAGER = OFFICER | {"loans.policy", "loans.audit", "loans.tokens"}
BRANCH_PERMISSIONS = {BranchRole.Role.OFFICER: OFFICER, BranchRole.Role.MANAGER: MANAGER}


def branch_perms(user, branch_id) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    granted: set[str] = set()
    for role in BranchRole.objects.filter(user=user, branch_id=branch_id).values_list(
        "role", flat=True
    ):
        granted |= BRANCH_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def bank_view(permission: str = "loans.lookup"):
    """Decorate a view under /bank/<branch_id>/: sets request.branch and request.branch_perms."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, branch_id, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            perms = branch_perms(request.user, branch_id)
            if permission not in perms:
                raise Http404("Not found.")
            request.branch = Branch.objects.select_related("bank").get(pk=branch_id)
            request.branch_perms = perms
            return view(request, *args, **kwargs)

        wrapper.permission = permission
        return wrapper

    return decorator


def bank_staff_view(view):
    """Pages for anyone holding a role at some branch (the /bank/ start page)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not BranchRole.objects.filter(user=request.user).exists():
            raise Http404("Not found.")
        return view(request, *args, **kwargs)

    return wrapper
