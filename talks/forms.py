"""Forms of the talks pages. They check shape (lengths, choices); rules live in services."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from talks.models import COMMENT_MAX, REASON_MAX, TEXT_MAX, TITLE_MAX, Topic, Vote
from villageaffairs import bounds
from villageaffairs.bounds import validate_year
from villageaffairs.images import PhotosField


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    category = forms.ChoiceField(label=_("Category"), choices=Topic.Category.choices)
    text = forms.CharField(
        label=_("What is the matter?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    photos = PhotosField(label=_("Photos (up to 6)"))


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Official reply"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    parent = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=bounds.ID
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX)


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, required=False)


def _local_default(days: int):
    return (timezone.localtime() + timedelta(days=days)).replace(second=0, microsecond=0)


class RollForm(forms.Form):
    """A correction of a vote's roll: add a registered resident, or remove one who has not
    voted, with the reason (it goes on the timeline)."""

    action = forms.ChoiceField(
        label=_("Correction"),
        choices=[("add", _("add to the roll")), ("remove", _("remove from the roll"))],
    )
    resident = forms.ModelChoiceField(label=_("Resident"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, village=None, **kwargs):
        super().__init__(*args, **kwargs)
        from villageaffairs.models import Resident

        self.fields["resident"].queryset = Resident.objects.filter(village=village).order_by(
            "name", "pk"
        )
        # A select of every resident would be too heavy for a phone: the id is typed.
        self.fields["resident"].widget = forms.NumberInput(attrs={"min": 1})
        self.fields["resident"].help_text = _("The resident's number in the register.")


class VoteForm(forms.Form):
    question = forms.CharField(label=_("Question"), max_length=300)
    options = forms.CharField(
        label=_("Options, one per line (the first one passes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty for: for, against, abstain."),
    )
    electorate = forms.ChoiceField(label=_("Who votes"), choices=Vote.Electorate.choices)
    quorum = forms.ChoiceField(label=_("Quorum"), choices=Vote.Quorum.choices)
    threshold = forms.ChoiceField(label=_("Passes with"), choices=Vote.Threshold.choices)
    secret = forms.BooleanField(label=_("Secret ballot"), required=False)
    live_results = forms.BooleanField(
        label=_("Show results while the vote is open"), required=False, initial=True
    )
    opens_at = forms.DateTimeField(
        label=_("Opens at (empty: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("A vote on the village rules opens after the village's notice period."),
    )
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        initial=lambda: _local_default(5),
        validators=[validate_year],
    )
    adoption = forms.ChoiceField(
        label=_("If passed, adopt"), choices=Vote.Adoption.choices, required=False
    )
    adoption_rule = forms.TypedChoiceField(
        label=_("Rule to change"), coerce=int, required=False, empty_value=None, choices=()
    )
    rule_category = forms.ChoiceField(label=_("Rule category"), required=False, choices=())
    rule_text = forms.CharField(label=_("Rule text"), max_length=300, required=False)
    rule_points = forms.IntegerField(
        label=_("Points (0 for a village regulation without points)"),
        required=False,
        initial=0,
        # The rule's own bounds: a vote that passes must be adoptable.
        min_value=-bounds.RULE_POINTS,
        max_value=bounds.RULE_POINTS,
    )

    def __init__(self, *args, village=None, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            from points.models import Rule
        except ImportError:  # the points app is optional for talks
            Rule = None
        if Rule is None:
            for name in ("adoption", "adoption_rule", "rule_category", "rule_text", "rule_points"):
                del self.fields[name]
            return
        self.fields["rule_category"].choices = [("", "—"), *Rule.Category.choices]
        rules = Rule.objects.filter(village=village).order_by("category", "position", "pk")
        self.fields["adoption_rule"].choices = [("", "—")] + [
            (r.pk, str(r)[:80]) for r in rules.only("pk", "text", "points")
        ]

    def option_list(self) -> list[str] | None:
        lines = [line.strip() for line in self.cleaned_data.get("options", "").splitlines()]
        return [line for line in lines if line] or None

    def adoption_data(self) -> dict:
        data = {}
        cd = self.cleaned_data
        if cd.get("rule_text"):
            data["text"] = cd["rule_text"]
        if cd.get("rule_category"):
            data["category"] = cd["rule_category"]
        if cd.get("rule_points") is not None and (
            cd.get("adoption") == Vote.Adoption.NEW_RULE or cd.get("rule_points")
        ):
            data["points"] = cd["rule_points"]
        return data


class BallotForm(forms.Form):
    choice = forms.IntegerField(min_value=0, max_value=bounds.ID)


class IdsField(forms.ModelMultipleChoiceField):
    """Checks each id is a plain number that fits the database before it reaches a query:
    Django's own field sends 99999999999999999999 to SQLite, which overflows."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if not (text.isascii() and text.isdigit() and 0 < int(text) <= bounds.ID):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    assignees = IdsField(label=_("Assign to"), queryset=None, widget=forms.CheckboxSelectMultiple)
    due_date = forms.DateField(
        label=_("Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_year],
    )

    def __init__(self, *args, cadres=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignees"].queryset = cadres


class ProgressForm(forms.Form):
    text = forms.CharField(
        label=_("Progress"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(label=_("Photos (up to 6)"))


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Stars"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ManageForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("handled", _("Mark as handled")),
            ("close", _("Close")),
            ("decline", pgettext_lazy("topic decision", "Decline")),
            ("merge", _("Merge as duplicate")),
        ]
    )
    reason = forms.CharField(label=_("Note or reason"), max_length=REASON_MAX, required=False)
    into = forms.IntegerField(
        label=_("Duplicate of matter number"), required=False, min_value=1, max_value=bounds.ID
    )
