"""django-allauth adapter: phone numbers live on our User; SMS goes through villageaffairs.sms."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villageaffairs.phones import normalize_phone
from villageaffairs.sms import send_sms


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
        send_sms(
            phone,
            _(
                "Village Affairs sign-in code: %(code)s. It expires in a few minutes; "
                "never tell it to anyone."
            )
            % {"code": code},
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        send_sms(
            phone,
            _(
                "Someone asked to sign in to Village Affairs with this number, but it is not "
                "registered. Ask your village committee to add it."
            ),
        )

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
        # A WeChat account becomes the resident who owns the confirmed number.
        from villageaffairs.services import user_confirm_phone

        with transaction.atomic():
            user_confirm_phone(user=user, phone=phone)

    def get_user_by_phone(self, phone: str):
        from villageaffairs.services import user_for_phone

        with transaction.atomic():
            return user_for_phone(phone=phone)
