"""django-allauth adapter: phone numbers live on our User; SMS goes through villageaffairs.sms."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy

from villageaffairs.clientip import client_ip
from villageaffairs.phones import is_mainland_mobile, normalize_phone
from villageaffairs.sms import SmsError, send_sms

# What the page itself already says: the code page names the number the code went to, and
# the landing page shows who is signed in. As messages they piled up on the next pages.
QUIET_MESSAGES = frozenset(
    {
        "account/messages/login_code_sent.txt",
        "account/messages/logged_in.txt",
        "account/messages/phone_verification_sent.txt",
    }
)


class PhoneField(forms.CharField):
    widget = forms.TextInput(
        attrs={
            "autocomplete": "tel",
            "type": "tel",
            "inputmode": "tel",
            "placeholder": gettext_lazy("Mobile number"),
        }
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Mobile number"))
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return normalize_phone(value) if value else value


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "incorrect_code": gettext_lazy(
            "The verification code is wrong. Check the SMS and try again."
        ),
        "too_many_login_attempts": gettext_lazy(
            "Too many tries. Wait a few minutes, then ask for a new verification code."
        ),
        "rate_limited": gettext_lazy(
            "Please wait a minute before asking for another verification code."
        ),
        "invalid_login": gettext_lazy("The username or password is not right."),
        "username_password_mismatch": gettext_lazy("The username or password is not right."),
    }

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_client_ip(self, request) -> str:
        return client_ip(request)

    def get_login_redirect_url(self, request) -> str:
        from villageaffairs.landing import landing_url

        return landing_url(request.user)

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        if message_template in QUIET_MESSAGES:
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def phone_form_field(self, **kwargs):
        return PhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalize_phone(phone)

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        try:
            send_sms(phone, "login_code", {"code": code})
        except SmsError as error:
            # Not a 500: the page the code was asked from comes back with the reason. Nothing
            # was stored yet (allauth keeps the code only after sending), so asking again works.
            request = context.request
            messages.error(request, error.message)
            raise ImmediateHttpResponse(HttpResponseRedirect(request.get_full_path())) from None

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # Sends nothing: providers take approved templates only, never free text, and what an
        # unregistered number is told is decided with the unknown-number policy, not here.
        return None

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])
        if verified:
            self._phone_confirmed(user, phone)

    def get_phone(self, user):
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user, phone: str) -> None:
        user.phone = phone
        user.phone_verified = True
        user.save(update_fields=["phone", "phone_verified"])
        self._phone_confirmed(user, phone)

    def _phone_confirmed(self, user, phone: str) -> None:
        # A WeChat account becomes the resident who owns the confirmed number, and the number's
        # open cadre invitations give their roles (an SMS sign-in confirms the number each time).
        from villageaffairs.officials import invitations_accept
        from villageaffairs.services import user_confirm_phone

        with transaction.atomic():
            user_confirm_phone(user=user, phone=phone)
            invitations_accept(user=user, phone=phone)

    def get_user_by_phone(self, phone: str):
        """The account of a number. A mainland mobile number nobody has yet gets an account
        without any village role, so that known and unknown numbers are answered alike and a
        newcomer can sign in and then ask to join a village."""
        from villageaffairs.services import user_for_phone, user_for_unregistered_phone

        with transaction.atomic():
            user = user_for_phone(phone=phone)
            if user is None and is_mainland_mobile(phone):
                user = user_for_unregistered_phone(phone=phone)
            return user
