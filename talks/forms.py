"""Forms of the talks pages. They check shape (lengths, choices); rules live in services."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from talks import states
from talks.models import COMMENT_MAX, REASON_MAX, TEXT_MAX, TITLE_MAX, Entrustment, Topic, Vote
from villageaffairs import bounds, housenumbers
from villageaffairs.assist import EvidenceForm
from villageaffairs.bounds import validate_year
from villageaffairs.images import PhotosField
from villageaffairs.widgets import DateInput


class TopicForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    category = forms.ChoiceField(label=_("Category"), choices=Topic.Category.choices)
    text = forms.CharField(
        label=_("What is the matter?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    photos = PhotosField(label=_("Photos (up to 6)"))


class AssistedTopicForm(TopicForm, EvidenceForm):
    """A matter raised for a villager, with their signature photo or a witness."""


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
        widget=DateInput(),
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
    """A cadre ends a stage of a villager's matter. Nothing is chosen for them, the villager is
    told why (a note, or for a merge the matter it continues in), and the cadre confirms."""

    ACTIONS = {
        "handled": _("Mark as handled"),
        "close": _("Close"),
        "decline": pgettext_lazy("topic decision", "Decline"),
        "merge": _("Merge as duplicate"),
    }
    # The note is what the villager reads about why their matter moved or ended. A merge
    # already tells them: it links the matter theirs continues in.
    NOTE_REQUIRED = {"handled", "close", "decline"}

    action = forms.ChoiceField(
        label=_("Cadre action"),
        error_messages={"required": _("Choose what to do with this matter.")},
    )
    reason = forms.CharField(
        label=_("Note to the villager"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The villager reads this: what was done, or why the matter ends. "
            "Required, except for a merge."
        ),
    )
    into = forms.IntegerField(
        label=_("Duplicate of matter number"),
        required=False,
        min_value=1,
        max_value=bounds.ID,
        help_text=_("Only for a merge."),
    )
    confirm = forms.BooleanField(
        label=_("I confirm this action. The villager is told at once."),
        error_messages={"required": _("Tick the box to confirm the action.")},
    )

    def __init__(self, *args, status=None, **kwargs):
        # Ids of their own: the page holds other forms with fields of the same names.
        kwargs.setdefault("auto_id", "manage-%s")
        super().__init__(*args, **kwargs)
        actions = [
            (name, label)
            for name, label in self.ACTIONS.items()
            if status is None or states.allowed(name, status)
        ]
        self.fields["action"].choices = [("", _("— please choose —")), *actions]

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in self.NOTE_REQUIRED and not (data.get("reason") or "").strip():
            self.add_error(
                "reason", _("Write a note: the villager should learn why, in your words.")
            )
        if action == "merge" and not data.get("into") and "into" not in self.errors:
            self.add_error("into", _("Give the number of the matter this one duplicates."))
        return data


def _house_is(house: str, typed: str) -> bool:
    """Whether a typed house number ("17", "017", full-width digits) names ``house``."""
    return not typed or house in housenumbers.spellings(typed)


class NameHouseWidget(forms.MultiWidget):
    def __init__(self):
        super().__init__(
            widgets=[
                forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Name")}),
                forms.TextInput(
                    attrs={"inputmode": "numeric", "size": 5, "placeholder": _("House no.")}
                ),
            ]
        )

    def decompress(self, value):
        return list(value) if value else [None, None]


class RollPersonField(forms.MultiValueField):
    """A person on a vote's roll, given by name and, where two share a name, house number.
    Cleans to (name, house number); the form finds the roll entry."""

    def __init__(self, **kwargs):
        fields = (forms.CharField(max_length=60), forms.CharField(max_length=10, required=False))
        widget = NameHouseWidget()
        super().__init__(fields=fields, widget=widget, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return None
        return (data_list[0] or "").strip(), (data_list[1] if len(data_list) > 1 else "") or ""


def _one(rows, form, field, *, none, many):
    """The one row named, or an error on the field (nobody, or several of that name)."""
    if not rows:
        form.add_error(field, none)
    elif len(rows) > 1:
        form.add_error(field, many)
    else:
        return rows[0]
    return None


class _RollPeopleForm(forms.Form):
    """Finds the roll entries named in the RollPersonFields listed in ``person_fields``, and
    puts their resident ids in ``cleaned_data["<field>_id"]``."""

    person_fields: tuple[str, ...] = ()

    def __init__(self, *args, vote=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.vote = vote

    def clean(self):
        from talks.models import RollEntry

        cd = super().clean()
        for field in self.person_fields:
            if not cd.get(field):
                continue
            name, house = cd[field]
            rows = RollEntry.objects.filter(
                vote=self.vote, name=name, removed_at__isnull=True
            ).select_related("household")
            found = _one(
                [e for e in rows if _house_is(e.household.house_number, house)],
                self,
                field,
                none=_("Nobody of that name is on the roll."),
                many=_("Several people of that name are on the roll: add the house number."),
            )
            if found is not None:
                cd[f"{field}_id"] = found.resident_id
        return cd


class EntrustForm(_RollPeopleForm):
    """Entrust one's vote to a close relative on the roll; a cadre recording a signed paper
    also names the person who entrusts and adds a photo of the paper."""

    person = RollPersonField(label=_("Who entrusts the vote"))
    proxy = RollPersonField(label=_("Proxy (a close relative on the roll)"))
    relation = forms.ChoiceField(
        label=_("The proxy is the voter's"),
        choices=[("", _("Please choose"))] + list(Entrustment.Relation.choices),
    )
    paper = PhotosField(label=_("Photo of the signed entrustment"), max_photos=1)
    person_fields = ("person", "proxy")

    def __init__(self, *args, on_paper=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.on_paper = on_paper
        if on_paper:
            self.fields["paper"].required = True
        else:
            del self.fields["person"]
            del self.fields["paper"]


class OfficeForm(_RollPeopleForm):
    """Voting at the office: the cadre confirms who the person is, and names the helper the
    person chose, if any (any resident of the village; the service checks who may help)."""

    person = RollPersonField(label=_("Voter"))
    identity = forms.BooleanField(
        label=_("I have checked this person's identity card or household register.")
    )
    helper = RollPersonField(label=_("Helper chosen by the voter (optional)"), required=False)
    person_fields = ("person",)

    def clean(self):
        from villageaffairs.models import Resident

        cd = super().clean()
        if cd.get("helper") and cd["helper"][0]:
            name, house = cd["helper"]
            rows = Resident.objects.filter(
                village_id=self.vote.village_id, name=name
            ).select_related("household")
            found = _one(
                [r for r in rows if _house_is(r.household.house_number, house)],
                self,
                "helper",
                none=_("Nobody of that name lives in the village."),
                many=_("Several people of that name live here: add the house number."),
            )
            if found is not None:
                cd["helper_id"] = found.pk
        return cd


class BoothForm(forms.Form):
    """The ballot the voter fills in privately on the office's device. ``token`` is signed by
    the server when the cadre confirmed the voter (which vote, who, which helper), so the
    ballot can only be that person's, and only for a few minutes."""

    token = forms.CharField(max_length=400, widget=forms.HiddenInput)
    choice = forms.IntegerField(min_value=0, max_value=bounds.ID)


class EscalateForm(forms.Form):
    """The author takes a declined or overdue matter to the town."""

    reason = forms.CharField(
        label=_("Why the town should look at it"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TakeOverForm(forms.Form):
    note = forms.CharField(
        label=pgettext_lazy("take over", "Note"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OfficialHandledForm(forms.Form):
    note = forms.CharField(
        label=pgettext_lazy("handling note", "What was done"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FollowUpForm(forms.Form):
    """ "Is it fixed?": yes, or no with a note (required then) and photos."""

    fixed = forms.TypedChoiceField(
        label=_("Is it fixed?"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes, it is fixed")), ("no", _("No, it is not fixed"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("What is still wrong"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(label=_("Photos (up to 6)"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("fixed") is False and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say what is still wrong."))
        return cleaned
