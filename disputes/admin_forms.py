"""Small forms behind the workbench's buttons and actions (disputes/admin/cases.py)."""

from datetime import timedelta
from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Estate
from accounts.validators import normalise_phone, validate_mainland_mobile
from disputes.models import Agreement, AgreementSignature, Case, Category, FollowUp, MediationSession, Meeting, Party

SCAN_TYPES = {".pdf", ".jpg", ".jpeg", ".png"}
SCAN_MAX_BYTES = 10 * 1024 * 1024


class CaseStepForm(forms.Form):
    """A lifecycle step on one case. `version` is the case as the user saw it: if someone else
    changed the case since, the service refuses (StaleCase) instead of overwriting their change."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case: Case, staff=None, suggested=None, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("version", case.version)
        super().__init__(*args, **kwargs)
        self.case = case
        if "mediator" in self.fields and staff is not None:
            self.fields["mediator"].queryset = staff
            if suggested is not None:
                self.fields["mediator"].initial = suggested.pk


def _text(label, **kwargs):
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), **kwargs)


class AcceptForm(CaseStepForm):
    mediator = forms.ModelChoiceField(label=_("Mediator"), queryset=None)
    note = _text(_("Note"), required=False)


class ResolveForm(CaseStepForm):
    """Resolved by the case's agreement, which has taken effect (a reconciliation is its own step)."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=())
    summary = _text(_("Closing summary"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from disputes.services.closure import case_agreement

        agreement = case_agreement(self.case)
        written = agreement is None or agreement.kind == Agreement.Kind.WRITTEN
        outcome = Case.Outcome.WRITTEN_AGREEMENT if written else Case.Outcome.ORAL_AGREEMENT
        self.fields["outcome"].choices = [(outcome, outcome.label)]
        self.fields["outcome"].initial = outcome


class CloseForm(CaseStepForm):
    note = _text(_("Note"), required=False)


class RejectForm(CaseStepForm):
    reason = _text(_("Reason for not accepting"))
    advice = _text(_("Other routes advised to the applicant"))


class AcknowledgeForm(CaseStepForm):
    pass


class EscalateForm(CaseStepForm):
    reason = _text(_("Reason for escalating"))
    mediator = forms.ModelChoiceField(
        label=_("Mediator at the tier above"),
        queryset=None,
        required=False,
        help_text=_("Leave empty to put the case in the queue of the tier above."),
    )


class ExtendForm(CaseStepForm):
    consent_note = _text(_("How both parties consented to the extension"))


class TerminateForm(CaseStepForm):
    routes_advised = _text(_("Other routes the parties were told of (arbitration, administrative, court)"))
    note = _text(_("Why mediation ends"), required=False)


class SuspendForm(CaseStepForm):
    reason = _text(_("Why the clocks stop (for example, awaiting an appraisal, a party in hospital)"))


class ResumeForm(CaseStepForm):
    note = _text(_("Note"), required=False)


class ReopenForm(CaseStepForm):
    reason = _text(_("Reason for reopening"))


class ReassignForm(CaseStepForm):
    mediator = forms.ModelChoiceField(label=_("New mediator"), queryset=None)
    note = _text(_("Note"), required=False)


class RiskForm(CaseStepForm):
    risk = forms.ChoiceField(label=_("Risk level"), choices=Case.Risk.choices)
    reason = _text(_("Why the risk level changes"))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["risk"].initial = case.risk


class HouseholdsForm(CaseStepForm):
    """Staff correct the households a case concerns; the collective flag follows (services.claims)."""

    households = forms.IntegerField(label=_("Households involved"), min_value=1, max_value=100000)
    reason = _text(_("Why the number of households changes"))

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["households"].initial = case.households


class PoliceReportForm(CaseStepForm):
    reported_by = forms.CharField(label=_("Reported by"), max_length=50)
    reported_at = forms.DateTimeField(label=_("Reported at"), help_text=_("For example 2026-05-01 14:30."))
    police_station = forms.CharField(label=_("Police station"), max_length=100)
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=60)
    note = _text(_("What was reported"), required=False)


class ReconcileForm(CaseStepForm):
    summary = _text(_("How the parties settled it"))


class ReferForm(CaseStepForm):
    target = forms.CharField(
        label=_("Referred to"),
        max_length=100,
        help_text=_("A court, an arbitration body, a department or the police."),
    )
    note = _text(_("Why it is referred"), required=False)


class NoteForm(forms.Form):
    note = _text(_("Note"))
    is_public = forms.BooleanField(
        label=_("Show to the parties"), required=False, help_text=_("Internal notes are seen only by staff.")
    )


class MediationSessionForm(forms.ModelForm):
    class Meta:
        model = MediationSession
        fields = ["held_at", "place", "attendees", "content", "agreed", "scan"]
        widgets = {
            "attendees": forms.Textarea(attrs={"rows": 2, "cols": 60}),
            "content": forms.Textarea(attrs={"rows": 6, "cols": 60}),
            "agreed": forms.Textarea(attrs={"rows": 3, "cols": 60}),
        }

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if scan and hasattr(scan, "size"):
            if PurePath(scan.name).suffix.lower() not in SCAN_TYPES:
                raise ValidationError(_("Upload the scan as a PDF, JPEG or PNG file."))
            if scan.size > SCAN_MAX_BYTES:
                raise ValidationError(_("The scan is larger than 10 MB."))
        return scan


class BulkReassignForm(forms.Form):
    mediator = forms.ModelChoiceField(label=_("New mediator"), queryset=None)
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = staff


class CaseRegisterForm(forms.Form):
    """A case staff register for a resident who came in, called, or was found by the grid worker."""

    SOURCES = [
        (s.value, s.label)
        for s in (Case.Source.WALK_IN, Case.Source.PHONE, Case.Source.HOTLINE_12345, Case.Source.GRID_SCREENING)
    ]

    source = forms.ChoiceField(label=_("Source"), choices=SOURCES)
    applicant_phone = forms.CharField(label=_("Applicant's mobile number"), max_length=20)
    applicant_name = forms.CharField(label=_("Applicant's name"), max_length=100)
    applicant_id_number = forms.CharField(label=_("Applicant's ID number"), max_length=18, required=False)
    respondent_name = forms.CharField(label=_("Respondent's name"), max_length=100, required=False)
    respondent_phone = forms.CharField(label=_("Respondent's phone"), max_length=20, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True))
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none())
    estate = forms.ModelChoiceField(label=_("Estate"), queryset=Estate.objects.none(), required=False)
    building = forms.CharField(label=_("Building / unit"), max_length=50, required=False)
    title = forms.CharField(label=_("Subject"), max_length=100)
    summary = _text(_("What happened"))
    request = _text(_("What the applicant asks for"))
    households = forms.IntegerField(label=_("Households involved"), min_value=1, initial=1)
    # Set once the related open cases of the estate and category were shown (issue 17): then the
    # case is registered anyway.
    related_seen = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        # The estates of the communities in the user's areas (their community is in the areas).
        self.fields["estate"].queryset = Estate.objects.filter(community__in=areas).order_by("name")

    def clean(self):
        data = super().clean()
        estate, area = data.get("estate"), data.get("area")
        if estate is not None and area is not None:
            inside = area.path.startswith(estate.community.path) or estate.community.path.startswith(area.path)
            if not inside:
                self.add_error("estate", _("The estate is not in the chosen area."))
        return data

    def clean_applicant_phone(self):
        phone = normalise_phone(self.cleaned_data["applicant_phone"])
        validate_mainland_mobile(phone)
        return phone

    def clean_respondent_phone(self):
        return normalise_phone(self.cleaned_data["respondent_phone"])


# --- The documents of the workbench: each opens with the case filled in ------------------------


class DateTimeInput(forms.DateTimeInput):
    """The browser's own date and time picker; the value round-trips as 2026-12-02T19:00."""

    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class SessionRecordForm(MediationSessionForm):
    class Meta(MediationSessionForm.Meta):
        widgets = {**MediationSessionForm.Meta.widgets, "held_at": DateTimeInput()}

    def clean_held_at(self):
        held_at = self.cleaned_data["held_at"]
        if held_at > timezone.now() + timedelta(minutes=5):
            raise ValidationError(_("A session cannot be recorded in the future."))
        return held_at


class CommunityEstateSelect(forms.Select):
    """An estate select whose options name their community (data-community), so the admin's script
    (static/js/linli_admin.js) lists only the estates of the community chosen beside it. The
    server refuses a wrong pair all the same (meetings.meeting_check_estate)."""

    def __init__(self, attrs=None):
        super().__init__({"data-filter-by": "id_community", **(attrs or {})})

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        estate = getattr(value, "instance", None)  # ModelChoiceIteratorValue
        if estate is not None:
            option["attrs"]["data-community"] = str(estate.community_id)
        return option


class EstateOfCommunityForm(forms.ModelForm):
    """A meeting form whose estate must belong to its community (meetings.meeting_check_estate,
    the service's own rule), shown as an error on the estate field."""

    def clean(self):
        from disputes.services.cases import CaseError
        from disputes.services.meetings import meeting_check_estate

        data = super().clean()
        if data.get("community") is not None:
            try:
                meeting_check_estate(community=data["community"], estate=data.get("estate"))
            except CaseError as exc:
                self.add_error("estate", str(exc))
        return data


class MeetingScheduleForm(EstateOfCommunityForm):
    """A four-party meeting about the case: its community, an estate of that community only."""

    class Meta:
        model = Meeting
        fields = ["community", "estate", "topic", "scheduled_at", "place"]
        widgets = {"scheduled_at": DateTimeInput(), "estate": CommunityEstateSelect()}

    def __init__(self, *args, communities, estates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["estate"].queryset = estates
        self.fields["estate"].label_from_instance = lambda e: f"{e.community.name} · {e.name}"


class AgreementConfirmsForm(forms.ModelForm):
    """What the agreement confirms (Agreement.Confirms), ticked by the mediator: any tick makes it
    ineligible for judicial confirmation. Shared by the workbench's draft and the agreement admin."""

    confirms = forms.TypedMultipleChoiceField(
        label=_("the agreement confirms"),
        choices=Agreement.Confirms.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick what the agreement confirms: any of these means a court cannot confirm it."),
    )


class AgreementDraftForm(AgreementConfirmsForm):
    """The agreement drafted from its case; Agreement.problems (through the model's clean) says
    what Art. 34 and Art. 35 require, as the closure service does."""

    class Meta:
        model = Agreement
        fields = [
            "kind", "drafted_on", "reached_on", "written_requested", "settles_rights",
            "parties_details", "facts", "issues", "responsibilities", "terms",
            "performance_method", "performance_place", "performance_deadline", "oral_content",
            "confirms", "confirmation_wanted",
        ]  # fmt: skip
        widgets = {
            "drafted_on": DateInput(),
            "reached_on": DateInput(),
            "performance_deadline": DateInput(),
            **{
                name: forms.Textarea(attrs={"rows": 3, "cols": 70})
                for name in (
                    "parties_details",
                    "facts",
                    "issues",
                    "responsibilities",
                    "terms",
                    "performance_method",
                    "oral_content",
                )
            },  # fmt: skip
        }


class SignaturesForm(forms.Form):
    """One date per signer still missing: a date entered records that signature."""

    def __init__(self, *args, signers: list[tuple[str, str, Party | None]], **kwargs):
        super().__init__(*args, **kwargs)
        self.signers = {}
        for key, label, party in signers:
            self.fields[key] = forms.DateField(
                label=label, required=False, widget=DateInput(), help_text=_("Leave empty if not signed yet.")
            )
            self.signers[key] = party

    def clean(self):
        data = super().clean()
        if not any(data.get(key) for key in self.signers):
            raise ValidationError(_("Enter the date of at least one signature."))
        return data

    def signatures(self):
        """(signer kind, party, date) for each date entered."""
        for key, party in self.signers.items():
            when = self.cleaned_data.get(key)
            if when:
                kind = AgreementSignature.Signer.PARTY if party is not None else key
                yield kind, party, when


class FollowUpVisitForm(forms.ModelForm):
    close_case = forms.BooleanField(label=_("Close the case after this visit"), required=False)

    class Meta:
        model = FollowUp
        fields = ["visited_at", "method", "performing", "satisfaction", "new_risk", "comment"]
        widgets = {
            "visited_at": DateTimeInput(),
            "new_risk": forms.Textarea(attrs={"rows": 2, "cols": 60}),
            "comment": forms.Textarea(attrs={"rows": 3, "cols": 60}),
        }


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = ["role", "kind", "name", "phone", "id_number", "address"]
        widgets = {
            "name": forms.TextInput(attrs={"size": 14}),
            "phone": forms.TextInput(attrs={"size": 12}),
            "id_number": forms.TextInput(attrs={"size": 18}),
            "address": forms.TextInput(attrs={"size": 24}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:  # a party's role is part of the case as filed
            self.fields["role"].disabled = self.fields["kind"].disabled = True

    def clean_phone(self):
        return normalise_phone(self.cleaned_data["phone"])


# A case has a handful of parties: a forged TOTAL_FORMS is refused before any form is built.
PARTY_ROWS_MAX = 20
PartyFormSet = forms.modelformset_factory(
    Party, form=PartyForm, extra=1, max_num=PARTY_ROWS_MAX, absolute_max=PARTY_ROWS_MAX, validate_max=True
)
