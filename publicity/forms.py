from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from publicity.attachments import AttachmentsField
from publicity.models import Category, Direction, Disclosure, category_direction
from publicity.money import parse_amount
from villageaffairs import bounds
from villageaffairs.bounds import validate_year
from villageaffairs.images import clean_image
from villageaffairs.widgets import DateInput

DATE = DateInput()


class AmountField(forms.CharField):
    """Yuan to the fen. Typed text is kept on error (a CharField), never rounded."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values and not self.required:
            return None
        return parse_amount(value)


class DisclosureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Disclosure.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    period_start = forms.DateField(label=_("Period from"), widget=DATE, validators=[validate_year])
    period_end = forms.DateField(label=_("Period to"), widget=DATE, validators=[validate_year])
    attachments = AttachmentsField(
        label=_("Attachments"), help_text=_("Photos or PDF documents, up to 6.")
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


class DisclosureEditForm(DisclosureForm):
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=200,
        required=False,
        help_text=_("Shown with the earlier text when a published item is amended."),
    )

    def __init__(self, *args, published=False, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]
        if published:
            self.fields["reason"].required = True


class EntryForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE, validators=[validate_year])
    direction = forms.ChoiceField(
        label=_("Income or expense"), choices=Direction.choices, widget=forms.RadioSelect
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    amount = AmountField(label=_("Amount (yuan)"), help_text=_("Yuan and fen, e.g. 1250.50."))
    counterparty = forms.CharField(label=_("Paid to / received from"), max_length=80)
    voucher_no = forms.CharField(label=_("Voucher number"), max_length=30, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    receipt = forms.FileField(
        label=_("Receipt photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def clean_receipt(self):
        upload = self.cleaned_data.get("receipt")
        return clean_image(upload) if upload else None

    def clean(self):
        data = super().clean()
        direction, category = data.get("direction"), data.get("category")
        if direction and category and category_direction(category) != direction:
            self.add_error("category", _("This category does not match income or expense."))
        return data


class BookForm(forms.Form):
    starts_on = forms.DateField(
        label=_("First month of the books"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        validators=[validate_year],
    )
    opening_balance = forms.CharField(
        label=_("Balance at the start of that month (yuan)"), max_length=20
    )

    def clean_opening_balance(self):
        # A starting balance may be zero (a new fund), but not negative or beyond the fen.
        value = (self.cleaned_data.get("opening_balance") or "").strip()
        if value in ("0", "0.0", "0.00"):
            from decimal import Decimal

            return Decimal("0.00")
        return parse_amount(value)  # at most bounds.FINANCE_AMOUNT


class CheckForm(forms.Form):
    note = forms.CharField(
        label=_("Finance group's note (optional)"), max_length=300, required=False
    )


class SendBackForm(forms.Form):
    note = forms.CharField(
        label=_("What the accountant must correct"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write what the accountant must correct: they will see your note.")
        },
    )


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    entry = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=bounds.ID
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ImportForm(forms.Form):
    sheet = forms.FileField(
        label=_("Excel or CSV sheet"),
        help_text=_(
            "Columns: date, income or expense, category, amount, counterparty, voucher "
            "number, note. The month's CSV export has exactly these columns."
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet"
            }
        ),
    )

    def clean_sheet(self):
        from publicity.sheets import SheetError, read_sheet

        upload = self.cleaned_data["sheet"]
        try:
            self.dataset = read_sheet(upload)
        except SheetError as exc:
            raise ValidationError(exc.messages) from None
        return upload
