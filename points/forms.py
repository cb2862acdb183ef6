import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from points import selectors
from points.models import Item
from villageaffairs import bounds
from villageaffairs.assist import EvidenceForm
from villageaffairs.images import PhotosField
from villageaffairs.models import Household
from villageaffairs.selectors import household_by_house_number


class OnceForm(forms.Form):
    """A form that carries a one-time key, so submitting it twice does one thing."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class ClaimForm(OnceForm):
    # Radio buttons, none chosen: a long rule wraps on a phone, where a select cuts it off.
    rule = forms.ModelChoiceField(
        label=_("Rule"),
        queryset=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the rule you claim under.")},
    )
    note = forms.CharField(
        label=_("What happened"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(label=_("Photos (up to 6)"))

    def __init__(self, *args, village, **kwargs):
        super().__init__(*args, **kwargs)
        # A household claims awards only; deductions are recorded by the cadres.
        self.fields["rule"].queryset = selectors.claimable_rules(village).filter(points__gt=0)


class AssistedClaimForm(ClaimForm, EvidenceForm):
    """A claim entered for a villager, with their signature photo or a witness."""


class HouseholdNumberField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("House number"))
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)


def _household(village, number) -> Household:
    household = household_by_house_number(village, number)
    if household is None:
        raise forms.ValidationError(_("No household with this house number."), code="unknown")
    return household


class AwardForm(OnceForm):
    house_number = HouseholdNumberField()
    rule = forms.ModelChoiceField(
        label=_("Rule (optional)"), queryset=None, required=False, empty_label="—"
    )
    points = forms.IntegerField(
        label=_("Points"),
        required=False,
        min_value=-1000,
        max_value=1000,
        help_text=_("Positive for an award, negative for a deduction; empty uses the rule."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    photos = PhotosField(label=_("Evidence photos (optional)"))
    # A deduction is written only once the cadre has seen whose household it is: the
    # household's id is sent back with the tick, so a changed house number asks again.
    confirmed_household = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=bounds.ID
    )
    confirm = forms.BooleanField(label=_("Yes, deduct from this household."), required=False)

    def __init__(self, *args, village, **kwargs):
        self.village = village
        self.deduction_from = None  # the household to confirm, when a deduction waits for it
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = selectors.claimable_rules(village)

    def clean_house_number(self):
        return _household(self.village, self.cleaned_data["house_number"])

    def clean(self):
        data = super().clean()
        rule = data.get("rule")
        if data.get("points") in (None, 0):
            if rule is None:
                raise forms.ValidationError(_("Give points or choose a rule."), code="points")
            data["points"] = rule.points
        household = data.get("house_number")
        if data["points"] < 0 and household is not None and not self._confirmed(household):
            self.deduction_from = household
            self.add_error(
                "confirm",
                _(
                    "Check the household before the deduction (%(points)d): %(name)s, "
                    "house number %(number)s. Tick the box to confirm."
                )
                % {
                    "name": household.name or "—",
                    "number": household.house_number,
                    "points": data["points"],
                },
            )
        return data

    def _confirmed(self, household) -> bool:
        data = self.cleaned_data
        return bool(data.get("confirm")) and data.get("confirmed_household") == household.pk


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=300, required=False)


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("What is wrong"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Uphold: reverse the entry")), ("0", _("Dismiss"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    response = forms.CharField(label=_("Answer"), max_length=500)


class CounterForm(OnceForm):
    house_number = HouseholdNumberField()
    item = forms.ModelChoiceField(label=_("Item"), queryset=None, empty_label=None)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=bounds.REDEEM_QUANTITY, initial=1
    )

    def __init__(self, *args, village, **kwargs):
        self.village = village
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.filter(village=village, is_active=True)

    def clean_house_number(self):
        return _household(self.village, self.cleaned_data["house_number"])


class ReserveForm(OnceForm):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=bounds.REDEEM_QUANTITY, initial=1
    )
