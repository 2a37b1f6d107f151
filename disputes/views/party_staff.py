"""Staff: record a party's consent or refusal of mediation given on paper (date, scan), through
disputes.services.parties; a refusal ends mediation through the lifecycle (Art. 17). The
workbench's "Record consent on paper" button leads here (parties are added in its parties document)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from disputes import services
from disputes.models import Case
from disputes.party_forms import PaperConsentForm
from disputes.services import parties as party_services
from disputes.visibility import case_visible_to


def _case_for_staff(request, number: str) -> Case:
    case = Case.objects.select_related("area", "mediator").filter(number=number).first()
    user = request.user
    if (
        case is None
        or not user.is_staff
        or not user.has_perm("disputes.change_case")
        or not case_visible_to(user, case)
    ):
        raise Http404("No such case.")
    return case


@login_required
def case_parties(request, number: str):
    case = _case_for_staff(request, number)
    form = PaperConsentForm(request.POST or None, request.FILES or None, case=case)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _record(request, form.cleaned_data)
            except services.CaseError as exc:
                messages.error(request, str(exc))
            else:
                return redirect("disputes:case_parties", number=case.number)
        else:
            status = 400
    context = {
        "case": case,
        "parties": case.parties.select_related("user", "consent_scan"),
        "consent_form": form,
        "change_url": reverse("admin:disputes_case_change", args=[case.pk]),
        "title": _("Parties of case %(number)s") % {"number": case.number},
    }
    return TemplateResponse(request, "disputes/case_parties.html", context, status=status)


def _record(request, data: dict) -> None:
    party_services.party_record_paper_consent(
        party=data["party"],
        actor=request.user,
        consents=data["consents"],
        given_on=data["given_on"],
        scan=data["scan"],
        note=data["note"],
    )
    messages.success(request, _("The party's answer on paper was recorded."))
