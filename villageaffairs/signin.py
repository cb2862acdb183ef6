"""Sign-in around django-allauth: limits per number and per client on code tries and resends,
a throttled admin login, a clear 429 page, and idle expiry of staff sessions."""

import time
import unicodedata

from allauth.account.forms import ConfirmLoginCodeForm as BaseConfirmLoginCodeForm
from allauth.account.views import ConfirmLoginCodeView as BaseConfirmLoginCodeView
from allauth.core import context, ratelimit
from allauth.core.exceptions import RateLimited
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from villageaffairs.phones import mask_phone

# How long the resend button waits after a code was sent (the per-number limit allows one code
# a minute; the button is the polite form of it).
RESEND_WAIT_SECONDS = 60


class ConfirmLoginCodeForm(BaseConfirmLoginCodeForm):
    """The code field brings up the digit keyboard, and every try counts against the number
    and the client, over all the codes they ask for."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "pattern": "[0-9]*",
                "autocomplete": "one-time-code",
                "maxlength": "6",
            }
        ),
    )

    def __init__(self, *args, phone: str | None = None, **kwargs):
        self.phone = phone
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        # Digits as any keyboard types them (full-width ones too); spaces and dashes dropped.
        raw = self.cleaned_data["code"]
        self.cleaned_data["code"] = "".join(
            str(unicodedata.decimal(ch)) for ch in raw if ch.isdecimal()
        )
        if not ratelimit.consume(
            context.request, action="confirm_login_code", key=self.phone or "-"
        ):
            raise forms.ValidationError(
                _("Too many tries. Wait a few minutes, then ask for a new verification code."),
                code="rate_limited",
            )
        return super().clean_code()


class ConfirmLoginCodeView(BaseConfirmLoginCodeView):
    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self._action != "resend":
            kwargs["phone"] = self._process.state.get("phone")
        return kwargs

    def get_form_class(self):
        if self._action == "resend":
            return super().get_form_class()
        return ConfirmLoginCodeForm

    def _resend_form_valid(self, form):
        # A resend is a new code to the same number: it counts against the same limits as
        # asking for one.
        phone = self._process.state.get("phone") or self._process.state.get("email") or "-"
        try:
            ratelimit.consume(
                self.request, action="request_login_code", key=phone, raise_exception=True
            )
            self._process.state["sent_at"] = time.time()
            self._process.resend()
        except RateLimited:
            messages.error(
                self.request,
                _("Please wait a minute before asking for another verification code."),
            )
        return HttpResponseRedirect(
            self.passthrough_next_url(reverse("account_confirm_login_code"))
        )

    def get_context_data(self, **kwargs):
        ret = super().get_context_data(**kwargs)
        state = self._process.state
        sent_at = state.get("sent_at") or state.get("at") or 0
        ret["resend_wait"] = max(0, int(RESEND_WAIT_SECONDS - (time.time() - sent_at)))
        ret["masked_phone"] = mask_phone(ret.get("phone") or "")
        return ret


confirm_login_code = ConfirmLoginCodeView.as_view()


def admin_login(request, extra_context=None):
    """The admin's own sign-in, limited per client and per username like the staff sign-in."""
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip().lower()[:150]
        if not ratelimit.consume(request, action="admin_login", key=username or "-"):
            return too_many_requests(request)
    return admin.site.login(request, extra_context)


def too_many_requests(request, exception=None):
    return render(request, "429.html", status=429)


# The idle expiry slides by saving the session; saving it at most every few minutes keeps a
# staff page to its usual queries.
STAFF_SESSION_REFRESH_SECONDS = 10 * 60


def keep_staff_session_short(request) -> None:
    """A staff session ends after STAFF_SESSION_IDLE_SECONDS without a request."""
    now = int(time.time())
    if now - request.session.get("staff_seen", 0) >= STAFF_SESSION_REFRESH_SECONDS:
        request.session.set_expiry(settings.STAFF_SESSION_IDLE_SECONDS)
        request.session["staff_seen"] = now


def on_login(sender, request, user, **kwargs) -> None:
    if request is not None and user.is_staff and hasattr(request, "session"):
        keep_staff_session_short(request)


class SignInMiddleware:
    """Turns a RateLimited raised anywhere into the 429 page, and expires staff sessions after
    hours idle while villagers stay signed in on their own phones."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            keep_staff_session_short(request)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimited):
            return too_many_requests(request)
        return None
