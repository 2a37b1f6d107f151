"""Parties joining a case: the offer to a verified phone ("您是 LL-… 的被申请人吗？") and the
walk-in applicant's SMS link, which opens one case without a password."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import phone_verification, ratelimit
from accounts.forms import SmsCodeForm
from accounts.models import PhoneCode
from accounts.validators import mask_phone
from disputes import selectors, services
from disputes.services import parties as party_services
from disputes.views.resident import NEXT_STEP, STATUS_BADGE


@login_required
def party_offers(request):
    offers = list(selectors.party_offers_for_user(request.user))
    if not offers and request.user.has_verified_phone:
        return redirect("disputes:case_list")
    return render(request, "disputes/party_offers.html", {"offers": offers})


@login_required
@require_POST
def party_confirm(request, pk: int):
    party = selectors.party_offers_for_user(request.user).filter(pk=pk).first()
    if party is None:
        raise Http404("No such offer.")
    try:
        party_services.party_link(party=party, user=request.user)
    except services.CaseError as exc:
        messages.error(request, str(exc))
        return redirect("disputes:party_offers")
    messages.success(request, _("Case %(number)s is now in your cases.") % {"number": party.case.number})
    return redirect(party.case)


def _party_from_token(token: str):
    try:
        return party_services.case_link_party(token)
    except party_services.CaseLinkInvalid:
        raise Http404("No such link.") from None


def case_link(request, token: str):
    """The case as the SMS link's party may see it; an expired link offers a new one by code."""
    party, expired = _party_from_token(token)
    if expired:
        return render(
            request, "disputes/case_link_expired.html", {"token": token, "phone": mask_phone(party.phone)}, status=410
        )
    case = party.case
    context = {
        "case": case,
        "me": party,
        "badge": STATUS_BADGE[case.status],
        "next_step": NEXT_STEP[case.status],
        "events": case.events.filter(is_public=True).select_related("actor"),
    }
    return render(request, "disputes/case_link.html", context)


@require_POST
def case_link_renew(request, token: str):
    """Step 1 ("send"): a code to the party's own phone. Step 2 (a code): a fresh link, opened now
    and sent by SMS."""
    party, _expired = _party_from_token(token)
    form = SmsCodeForm(request.POST if "code" in request.POST else None)
    if "send" in request.POST:
        wait = ratelimit.sms_code_wait(phone=party.phone, request=request)
        if wait:
            return ratelimit.refused(request, wait)
        phone_verification.phone_code_send(phone=party.phone, purpose=PhoneCode.Purpose.CASE_LINK)
    elif form.is_valid():
        code = form.cleaned_data["code"]
        if phone_verification.phone_code_check(phone=party.phone, purpose=PhoneCode.Purpose.CASE_LINK, code=code):
            renewal = PhoneCode.objects.filter(phone=party.phone, purpose=PhoneCode.Purpose.CASE_LINK).latest("pk")
            party_services.case_link_send(party=party, renewal=renewal.pk)
            return redirect("disputes:case_link", token=party_services.case_link_token(party))
        form.add_error("code", _("That code is not right or has expired. Check the SMS, or ask for a new code."))
    context = {"token": token, "phone": mask_phone(party.phone), "form": form}
    return render(request, "disputes/case_link_renew.html", context, status=400 if form.errors else 200)


def case_link_rate(request, token: str):
    """The satisfaction SMS's page: three buttons, no sign-in; the link names the party."""
    from disputes.models import FollowUp
    from disputes.services import closure

    party, expired = _party_from_token(token)
    if expired:
        return render(
            request, "disputes/case_link_expired.html", {"token": token, "phone": mask_phone(party.phone)}, status=410
        )
    case = party.case
    choice = request.POST.get("satisfaction", "") if request.method == "POST" else ""
    if choice:
        try:
            closure.follow_up_rate_by_resident(case=case, user=party.user, party=party, satisfaction=choice)
        except services.CaseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("disputes:case_link_rate", token=token)
    rated = FollowUp.objects.filter(case=case, party=party, source=FollowUp.Source.RESIDENT).first()
    context = {"case": case, "token": token, "choices": FollowUp.Satisfaction.choices, "rated": rated}
    return render(request, "disputes/case_link_rate.html", context, status=400 if choice and not rated else 200)
