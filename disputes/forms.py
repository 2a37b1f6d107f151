"""Residents' forms: filing a complaint and following it up."""

import uuid

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Estate
from accounts.validators import normalise_phone, validate_mainland_mobile
from config.inputs import parse_uuid
from config.widgets import QuickSelect
from disputes import uploads
from disputes.models import Category, Party


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that takes several files (Django docs, "Uploading multiple files").

    Files are checked one by one in the form's clean_evidence, so that the good ones are kept
    when one of them is refused.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": uploads.ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


def _clean_text(value: str) -> str:
    return "\n".join(" ".join(line.split()) for line in (value or "").strip().splitlines()).strip()


def _clean_optional_phone(value: str) -> str:
    phone = normalise_phone(value)
    if phone:
        validate_mainland_mobile(phone)
    return phone


class CaseFilingForm(forms.Form):
    """The complaint form of /cases/new/, in the sections a resident thinks in.

    The form tidies input and checks that the grid and estate belong to the community; the
    case itself is made by services.case_submit.
    """

    applicant_name = forms.CharField(label=_("Your name"), max_length=100)
    applicant_phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=20,
        help_text=_("The mediator calls you on this number."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )

    respondent_kind = forms.ChoiceField(
        label=_("The other side is"), choices=Party.Kind.choices, initial=Party.Kind.PERSON, widget=forms.RadioSelect
    )
    respondent_name = forms.CharField(
        label=_("Their name"),
        max_length=100,
        help_text=_("A name, a description such as “the neighbour in 302”, or the company's name."),
    )
    respondent_phone = forms.CharField(
        label=_("Their phone (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )

    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Area.objects.none(), empty_label=_("Choose your community"), widget=QuickSelect
    )
    grid = forms.ModelChoiceField(
        label=_("Grid (optional)"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("I don't know"),
        widget=QuickSelect,
    )
    estate = forms.ModelChoiceField(
        label=_("Estate (optional)"),
        queryset=Estate.objects.none(),
        required=False,
        empty_label=_("Not in an estate"),
        widget=QuickSelect,
    )
    building = forms.CharField(
        label=_("Building / unit (optional)"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Building 3, Unit 2")}),
    )

    category = forms.ModelChoiceField(
        label=_("What kind of problem is it?"),
        queryset=Category.objects.none(),
        empty_label=_("Choose a kind"),
        widget=QuickSelect,
    )
    title = forms.CharField(
        label=_("In a few words"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Water leaking from the flat above")}),
    )
    summary = forms.CharField(
        label=_("What happened"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("When it started, how often, what you have tried."),
    )
    request = forms.CharField(
        label=_("What would you like to happen?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    households = forms.IntegerField(
        label=_("How many households are affected?"),
        min_value=1,
        max_value=10000,
        initial=1,
        help_text=_("Count your own household too."),
    )

    evidence = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        help_text=_("Up to %(count)s files, photos (JPEG, PNG) or PDF, at most %(mb)s MB each."),
    )

    consent_sensitive = forms.BooleanField(
        label=_(
            "I agree that my complaint, including sensitive personal information in it, is processed to "
            "mediate this dispute."
        ),
        error_messages={"required": _("We can only handle your complaint with this consent.")},
    )
    public_mediation = forms.TypedChoiceField(
        label=_("Mediation may be held"),
        choices=[("0", _("Privately, with the parties only")), ("1", _("In public, for example at a meeting"))],
        coerce=lambda v: v == "1",
        initial="0",
        widget=forms.RadioSelect,
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, remaining_slots: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_files = uploads.MAX_FILES
        self.remaining_slots = uploads.MAX_FILES if remaining_slots is None else remaining_slots
        self.accepted_uploads: list = []
        self.fields["evidence"].help_text = self.fields["evidence"].help_text % {
            "count": uploads.MAX_FILES,
            "mb": uploads.MAX_BYTES // (1024 * 1024),
        }
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = uuid.uuid4()
        # A damaged key (a broken client or a hand-made request) gets a fresh one, so that the page
        # shown again can be sent; this attempt is refused, since it cannot be matched with a retry.
        self.key_renewed = self.is_bound and parse_uuid(self.data.get("idempotency_key")) is None
        if self.key_renewed:
            self.data = self.data.copy()
            self.data["idempotency_key"] = str(uuid.uuid4())
        self.fields["community"].queryset = Area.objects.filter(kind=Area.Kind.COMMUNITY).order_by("path")
        self.fields["grid"].queryset = Area.objects.filter(kind=Area.Kind.GRID).order_by("path")
        self.fields["estate"].queryset = Estate.objects.order_by("name")
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        # Files kept from an earlier attempt (see disputes.pending_uploads), listed by the view.
        attached = HTML(
            '{% load i18n %}{% if pending_names %}<div class="alert alert-success py-2" id="already-attached">'
            '{% translate "Already attached:" %} {{ pending_names|join:", " }}</div>{% endif %}'
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("Who you are"), "applicant_name", "applicant_phone"),
            Fieldset(_("The other side"), InlineRadios("respondent_kind"), "respondent_name", "respondent_phone"),
            Fieldset(_("Where"), "community", "grid", "estate", "building"),
            Fieldset(_("What happened"), "category", "title", "summary", "households"),
            Fieldset(_("What you ask for"), "request"),
            Fieldset(_("Evidence"), attached, Field("evidence")),
            Fieldset(_("Consents"), "consent_sensitive", "public_mediation"),
            Div("idempotency_key"),
        )

    def clean_applicant_name(self) -> str:
        return _clean_text(self.cleaned_data["applicant_name"])

    def clean_applicant_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["applicant_phone"])
        validate_mainland_mobile(phone)
        return phone

    def clean_respondent_name(self) -> str:
        return _clean_text(self.cleaned_data["respondent_name"])

    def clean_respondent_phone(self) -> str:
        return _clean_optional_phone(self.cleaned_data["respondent_phone"])

    def clean_title(self) -> str:
        return _clean_text(self.cleaned_data["title"])

    def clean_summary(self) -> str:
        return self.cleaned_data["summary"].strip()

    def clean_request(self) -> str:
        return self.cleaned_data["request"].strip()

    def clean_evidence(self) -> list:
        """Keep every file that passes the checks (they are held for the next attempt), and
        report the others by name."""
        errors = []
        for upload in self.cleaned_data["evidence"]:
            if len(self.accepted_uploads) >= self.remaining_slots:
                errors.append(
                    forms.ValidationError(
                        _("“%(name)s” was not attached: you can attach at most %(count)s files."),
                        code="too_many_files",
                        params={"name": upload.name, "count": self.max_files},
                    )
                )
                continue
            try:
                uploads.check_upload(upload)
            except forms.ValidationError as exc:
                errors.extend(exc.error_list)
                continue
            self.accepted_uploads.append(upload)
        if errors:
            raise forms.ValidationError(errors)
        return self.accepted_uploads

    def clean(self):
        cleaned = super().clean()
        if self.key_renewed:
            raise forms.ValidationError(
                _("The form arrived incomplete. Check what you entered and send it again."), code="key"
            )
        community, grid, estate = cleaned.get("community"), cleaned.get("grid"), cleaned.get("estate")
        if community and grid and grid.parent_id != community.pk:
            self.add_error("grid", forms.ValidationError(_("This grid is not in the chosen community."), code="grid"))
        if community and estate and estate.community_id != community.pk:
            self.add_error(
                "estate", forms.ValidationError(_("This estate is not in the chosen community."), code="estate")
            )
        elif (
            grid and estate and estate.grid_id and estate.grid_id != grid.pk and grid.parent_id == estate.community_id
        ):
            self.add_error("estate", forms.ValidationError(_("This estate is not in the chosen grid."), code="estate"))
        return cleaned

    def place_tree(self) -> dict:
        """The community → grids/estates map the place picker script filters with."""
        grids = [{"id": g.pk, "parent": g.parent_id} for g in self.fields["grid"].queryset]
        estates = [
            {"id": e.pk, "community": e.community_id, "grid": e.grid_id} for e in self.fields["estate"].queryset
        ]
        return {"grids": grids, "estates": estates}


class AddInformationForm(forms.Form):
    text = forms.CharField(
        label=_("Anything to add?"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    files = MultipleFileField(label=_("More photos or documents"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_files = uploads.MAX_FILES
        self.fields["files"].help_text = _(
            "Up to %(count)s files, photos (JPEG, PNG) or PDF, at most %(mb)s MB each."
        ) % {
            "count": uploads.MAX_FILES,
            "mb": uploads.MAX_BYTES // (1024 * 1024),
        }

    def clean_text(self) -> str:
        return self.cleaned_data["text"].strip()

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        if len(files) > self.max_files:
            raise forms.ValidationError(
                _("You can attach at most %(count)s files at a time."),
                code="too_many_files",
                params={"count": self.max_files},
            )
        errors = []
        for upload in files:
            try:
                uploads.check_upload(upload)
            except forms.ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return files

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("text") and not cleaned.get("files"):
            raise forms.ValidationError(_("Write something or choose a file to add."), code="empty")
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConsentForm(forms.Form):
    consents = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
    note = forms.CharField(
        label=_("Anything you want the mediator to know (optional)"), max_length=1000, required=False
    )
