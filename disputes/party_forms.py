"""Staff form for a party's consent or refusal of mediation given on paper."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes import uploads
from disputes.models import Party


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
