"""django-allauth adapter: phone numbers live on our User; SMS goes through villageaffairs.sms."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy

from villageaffairs.phones import normalize_phone
from villageaffairs.sms import SmsError, send_sms


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
    def is_open_for_signup(self, request) -> bool:
        return False

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

    def get_phone(self, user):
        if not user.phone:
            return None
        return user.phone, user.phone_verified

    def set_phone_verified(self, user, phone: str) -> None:
        user.phone = phone
        user.phone_verified = True
        user.save(update_fields=["phone", "phone_verified"])

    def get_user_by_phone(self, phone: str):
        from villageaffairs.services import user_for_phone

        with transaction.atomic():
            return user_for_phone(phone=phone)
