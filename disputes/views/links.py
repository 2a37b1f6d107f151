"""The link in emails: one address per case for every recipient, opened through the one door."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from disputes.visibility import cases_visible_to


@require_safe
@login_required
def case_open(request, number: str):
    """Staff land on the case page of the workbench, a party on their own case page; anyone who
    may not see the case gets 404 (its existence is not revealed)."""
    case = cases_visible_to(request.user).filter(number=number).only("pk", "number").first()
    if case is None:
        raise Http404("No such case.")
    if request.user.is_resident:
        return redirect(case)
    return redirect("admin:disputes_case_change", case.pk)
