"""The resident rates the outcome of their case online (DESIGN §6)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from disputes import selectors
from disputes.models import FollowUp
from disputes.services import closure
from disputes.services.cases import CaseError


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(choices=FollowUp.Satisfaction.choices)
    performing = forms.ChoiceField(choices=FollowUp.Performing.choices, required=False)
    comment = forms.CharField(max_length=1000, required=False, strip=True)


@login_required
@require_POST
def case_rate(request, number: str):
    case, _party = selectors.case_get_for_party(request.user, number)  # 404 unless a party
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how satisfied you are."))
        return redirect(case)
    try:
        closure.follow_up_rate_by_resident(case=case, user=request.user, **form.cleaned_data)
    except CaseError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect(f"{case.get_absolute_url()}#rating")
