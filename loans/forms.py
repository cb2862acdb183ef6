from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loans.models import BankToken, Lookup, RatePolicy
from loans.services import TOKEN_DAYS
from villageaffairs import bounds
from villageaffairs.bounds import between
from villageaffairs.images import PhotosField
from villageaffairs.widgets import DateInput

AMOUNT_ERRORS = {
    "invalid": _("Enter the amount in yuan as a number, e.g. 300000."),
    "required": _("Enter the amount in yuan."),
    "max_decimal_places": _("The amount can have at most two decimals (fen)."),
    "max_digits": _("The amount is too large."),
    "max_whole_digits": _("The amount is too large."),
}


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("Name, house number, phone or sign code"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    purpose = forms.ChoiceField(label=_("Purpose of the lookup"), choices=Lookup.Purpose.choices)


class ScanForm(forms.Form):
    """A photo of a courtyard sign, taken with the phone's camera (no JavaScript needed)."""

    photo = forms.FileField(
        label=_("Photo of the sign's QR code"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    purpose = forms.ChoiceField(label=_("Purpose of the lookup"), choices=Lookup.Purpose.choices)

    def clean_photo(self):
        from villageaffairs.images import clean_image

        clean_image(self.cleaned_data["photo"])  # a readable photo of sane size, or an error
        return self.cleaned_data["photo"]


class PurposeForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose of the lookup"), choices=Lookup.Purpose.choices)


class ApplicationForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        max_value=bounds.LOAN_AMOUNT,
        error_messages=AMOUNT_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    term_months = forms.IntegerField(
        label=_("Term (months)"),
        min_value=bounds.TERM_MONTHS[0],
        max_value=bounds.TERM_MONTHS[1],
        error_messages={"invalid": _("Enter the term as a whole number of months.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    purpose = forms.CharField(label=_("What is the loan for?"), max_length=300)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("The amount must be more than zero."))
        return amount


class HouseholdApplicationForm(ApplicationForm):
    branch = forms.TypedChoiceField(label=_("Bank branch"), coerce=int)

    field_order = ["branch", "amount", "term_months", "purpose"]

    def __init__(self, *args, branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [(b.pk, str(b)) for b in branches]


class DecisionForm(forms.Form):
    ACTIONS = [
        ("approve", pgettext_lazy("loan decision", "Approve")),
        ("decline", pgettext_lazy("loan decision", "Decline")),
        ("disburse", _("Mark as disbursed")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    amount = forms.DecimalField(
        label=_("Approved amount (yuan)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=bounds.LOAN_AMOUNT,
        required=False,
        error_messages=AMOUNT_ERRORS,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    reason = forms.CharField(label=_("Reason for declining"), max_length=300, required=False)


POLICY_BOUNDS = {
    "base_rate": (Decimal("0.01"), Decimal("99.99")),
    "reduction_per_100": (Decimal("0"), bounds.RATE),
    "max_reduction": (Decimal("0"), bounds.RATE),
    "floor_rate": (Decimal("0"), Decimal("99.99")),
    "min_score": (-bounds.SCORE, bounds.SCORE),
    "min_star_level": (0, bounds.STAR_LEVELS),
    "deduction_months": bounds.DEDUCTION_MONTHS,
    "min_term_months": bounds.TERM_MONTHS,
    "max_term_months": bounds.TERM_MONTHS,
}


class PolicyForm(forms.ModelForm):
    """A new version of the branch's terms, with a credit limit per star level."""

    class Meta:
        model = RatePolicy
        fields = [
            "effective_from",
            "base_rate",
            "reduction_per_100",
            "reduction_mode",
            "max_reduction",
            "floor_rate",
            "rounding_step",
            "rounding_mode",
            "min_score",
            "min_star_level",
            "deduction_months",
            "min_term_months",
            "max_term_months",
            "note",
        ]
        widgets = {"effective_from": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_from"].initial = timezone.localdate()
        # The model's bounds, checked here (the form skips the model's full_clean).
        for name, (lo, hi) in POLICY_BOUNDS.items():
            field = self.fields[name]
            field.min_value, field.max_value = lo, hi
            field.validators += between(lo, hi)
        for star in range(1, 6):
            self.fields[f"limit_{star}"] = forms.DecimalField(
                label=_("Credit limit at %(star)s stars (yuan)") % {"star": star},
                max_digits=12,
                decimal_places=2,
                min_value=Decimal("0.01"),
                max_value=bounds.LOAN_AMOUNT,
                required=False,
                error_messages=AMOUNT_ERRORS,
            )

    def _post_clean(self):
        # The service validates and creates; the model's own full_clean would only repeat it.
        pass

    def tiers(self) -> dict[int, Decimal]:
        return {
            star: self.cleaned_data[f"limit_{star}"]
            for star in range(1, 6)
            if self.cleaned_data.get(f"limit_{star}") is not None
        }


class AssistedConsentForm(forms.Form):
    """The head's consent, signed on paper, recorded by a cadre or a grid worker."""

    branch = forms.TypedChoiceField(label=_("Bank branch"), coerce=int)
    signature = PhotosField(
        label=_("Photo of the signed consent form"), max_photos=1, required=True
    )

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [(b.pk, str(b)) for b in branches]


class TokenForm(forms.Form):
    """A new token for one of the branch's systems (the manager's token page)."""

    name = forms.CharField(
        label=pgettext_lazy("bank system", "System"),
        max_length=60,
        help_text=_("The bank system that will use the token, e.g. 信贷系统."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("The token may"),
        choices=BankToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(BankToken.Scope.values),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=TOKEN_DAYS[0],
        max_value=TOKEN_DAYS[1],
        initial=365,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
