"""Staff forms for a case's parties: add one, record consent or refusal given on paper."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import normalise_phone, validate_mainland_mobile
from disputes import uploads
from disputes.models import Party


class PartyAddForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=Party.Role.choices)
    kind = forms.ChoiceField(label=_("kind"), choices=Party.Kind.choices, initial=Party.Kind.PERSON)
    name = forms.CharField(label=_("name"), max_length=100)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone:
            validate_mainland_mobile(phone)
        return phone


class PaperConsentForm(forms.Form):
    party = forms.ModelChoiceField(label=_("party"), queryset=Party.objects.none())
    consents = forms.TypedChoiceField(
        label=_("The party"),
        choices=[("1", _("consents to mediation")), ("0", _("refuses mediation"))],
        coerce=lambda v: v == "1",
    )
    given_on = forms.DateField(label=_("date signed"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(label=_("scan of the signed paper"), required=False)
    note = forms.CharField(label=_("note"), max_length=1000, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = case.parties.all()

    def clean_given_on(self):
        given_on = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError(_("The date the party signed cannot be in the future."), code="future")
        return given_on

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        if scan:
            uploads.check_upload(scan)
        return scan
