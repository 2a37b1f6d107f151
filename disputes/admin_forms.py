"""Small forms behind the workbench's buttons and actions (disputes/admin/cases.py)."""

from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from accounts.validators import normalise_phone, validate_mainland_mobile
from disputes.models import Case, Category, MediationSession

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
    title = forms.CharField(label=_("Subject"), max_length=100)
    summary = _text(_("What happened"))
    request = _text(_("What the applicant asks for"))
    households = forms.IntegerField(label=_("Households involved"), min_value=1, initial=1)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas

    def clean_applicant_phone(self):
        phone = normalise_phone(self.cleaned_data["applicant_phone"])
        validate_mainland_mobile(phone)
        return phone

    def clean_respondent_phone(self):
        return normalise_phone(self.cleaned_data["respondent_phone"])
