"""Residents' pages: file a complaint, follow it, act on it, read the inbox."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFilesSent
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts import ratelimit
from accounts.models import Area, Estate
from accounts.validators import mask_id_number, mask_phone
from config.inputs import parse_id, parse_uuid
from disputes import deadlines, pending_uploads, selectors, services, uploads
from disputes.forms import AddInformationForm, CaseFilingForm, ConsentForm, WithdrawForm
from disputes.models import Case, InboxMessage, Party
from disputes.services import claims

# What happens next, in plain words, for each status.
NEXT_STEP = {
    Case.Status.SUBMITTED: gettext_lazy("The community is reviewing the case and will accept it or explain why not."),
    Case.Status.ASSIGNED: gettext_lazy("A mediator has been named and will contact you soon."),
    Case.Status.IN_MEDIATION: gettext_lazy("The mediator is working with both sides towards an agreement."),
    Case.Status.RESOLVED: gettext_lazy("An agreement was reached. The community will check with you that it holds."),
    Case.Status.CLOSED: gettext_lazy("The case is closed."),
    Case.Status.REJECTED: gettext_lazy("The case was not accepted. See the reason and the other routes advised."),
    Case.Status.WITHDRAWN: gettext_lazy("The case was withdrawn."),
}
STATUS_BADGE = {
    Case.Status.SUBMITTED: "text-bg-secondary",
    Case.Status.ASSIGNED: "text-bg-info",
    Case.Status.IN_MEDIATION: "text-bg-primary",
    Case.Status.RESOLVED: "text-bg-success",
    Case.Status.CLOSED: "text-bg-dark",
    Case.Status.REJECTED: "text-bg-warning",
    Case.Status.WITHDRAWN: "text-bg-light border",
}
# A whole filing with five files at the limit, plus room for the text fields: anything larger is
# refused before the body is read (never a 500, and no 60 MB written to a temporary file).
MAX_FILING_BODY = uploads.MAX_FILES * uploads.MAX_BYTES + 1024 * 1024


def _resident_required(request) -> None:
    if not request.user.is_resident:
        raise PermissionDenied(_("Only residents file complaints here; staff record cases in the workbench."))


# --- Filing ------------------------------------------------------------------------------------


@csrf_exempt  # CSRF is checked by _case_new_form, after the size checks below have read the body safely.
@login_required
def case_new(request):
    _resident_required(request)
    if request.method == "POST":
        too_big = _body_too_big(request)
        if too_big:
            messages.error(request, too_big)
            form = _blank_filing_form(request)
            return render(request, "disputes/case_new.html", _filing_context(request, form, []), status=413)
    return _case_new_form(request)


def _body_too_big(request) -> str:
    """A message when the request body is over the limits; "" when it can be read."""
    message = _("The files were too large: attach at most %(count)s files of %(mb)s MB each.") % {
        "count": uploads.MAX_FILES,
        "mb": uploads.MAX_BYTES // (1024 * 1024),
    }
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FILING_BODY:
            return message
        request.POST, request.FILES  # noqa: B018 - parse now, where the limits' errors can be caught
    except (RequestDataTooBig, TooManyFilesSent, ValueError):
        return message
    return ""


def _blank_filing_form(request) -> CaseFilingForm:
    initial = {"applicant_name": request.user.full_name, "applicant_phone": request.user.phone}
    return CaseFilingForm(initial={**initial, **_place_from_query(request)})


def _place_from_query(request) -> dict:
    """The place a building's contact card QR code names (?grid=&estate=&building=, issue 16):
    chosen in advance when it exists and fits together; anything else is ignored."""
    grid = Area.objects.filter(pk=parse_id(request.GET.get("grid")), kind=Area.Kind.GRID).first()
    if grid is None:
        return {}
    place = {"community": grid.parent_id, "grid": grid.pk}
    estate = Estate.objects.filter(pk=parse_id(request.GET.get("estate")), community_id=grid.parent_id).first()
    if estate is not None and estate.grid_id in (None, grid.pk):
        place["estate"] = estate.pk
        place["building"] = " ".join(request.GET.get("building", "").split())[:50]
    return place


def _filing_context(request, form: CaseFilingForm, pending: list[dict], related: list[dict] | None = None) -> dict:
    return {
        "form": form,
        "pending_names": [p["name"] for p in pending],
        "place_tree": form.place_tree(),
        "related": related or [],
    }


def _related_rows(user, *, estate_id, category_id, building: str = "") -> list[dict]:
    if not estate_id or not category_id:
        return []
    cases = selectors.related_open_cases(
        estate_id=estate_id, category_id=category_id, building=building, exclude_user=user
    )
    return [selectors.related_case_row(c) for c in cases]


@csrf_protect
def _case_new_form(request):
    if request.method != "POST":
        form = _blank_filing_form(request)
        return render(request, "disputes/case_new.html", _filing_context(request, form, []))
    key = parse_uuid(request.POST.get("idempotency_key"))
    pending = pending_uploads.pending_list(request, key)
    form = CaseFilingForm(request.POST, request.FILES, remaining_slots=uploads.MAX_FILES - len(pending))
    valid = form.is_valid()
    key = parse_uuid(form.data["idempotency_key"])  # the form renews a damaged key
    if form.accepted_uploads and key is not None:
        # Keep what passed the checks, whatever else is wrong, so the resident need not choose it again.
        pending = pending_uploads.pending_add(request, key, form.accepted_uploads)
    if not valid:
        messages.error(request, _("Please correct the marked fields below."))
        return render(request, "disputes/case_new.html", _filing_context(request, form, pending))
    if "1" not in request.POST.getlist("related_seen"):
        # Without the script the resident has not seen the open cases like theirs: show them once,
        # with the form as typed, before filing anew ("File anyway" sets related_seen).
        data = form.cleaned_data
        related = _related_rows(
            request.user,
            estate_id=data["estate"].pk if data["estate"] else None,
            category_id=data["category"].pk,
            building=data["building"],
        )
        if related:
            return render(request, "disputes/case_new.html", _filing_context(request, form, pending, related))
    wait = ratelimit.hit(ratelimit.FILING_PER_USER, ratelimit.by_user(request))
    if wait:  # what was typed stays in the form, the accepted files in the pending uploads
        messages.error(request, ratelimit.wait_message(wait))
        return render(request, "disputes/case_new.html", _filing_context(request, form, pending), status=429)
    files = pending_uploads.pending_open(pending)
    try:
        case, _created = _case_submit(request, form.cleaned_data, files)
    except services.CaseError as exc:
        messages.error(request, str(exc))
        return render(request, "disputes/case_new.html", _filing_context(request, form, pending))
    finally:
        for f in files:
            f.close()
    pending_uploads.pending_clear(request, key)
    return redirect("disputes:case_submitted", number=case.number)


def _case_submit(request, data: dict, files: list):
    user = request.user
    parties = [
        services.PartyData(
            role=Party.Role.APPLICANT, name=data["applicant_name"], phone=data["applicant_phone"], user=user
        ),
        services.PartyData(
            role=Party.Role.RESPONDENT,
            kind=data["respondent_kind"],
            name=data["respondent_name"],
            phone=data["respondent_phone"],
        ),
    ]
    return services.case_submit(
        filed_by=user,
        parties=parties,
        category_id=data["category"].pk,
        area_id=(data["grid"] or data["community"]).pk,
        estate_id=data["estate"].pk if data["estate"] else None,
        building=data["building"],
        title=data["title"],
        summary=data["summary"],
        request=data["request"],
        households=data["households"],
        public_mediation=data["public_mediation"],
        consent_sensitive=data["consent_sensitive"],
        idempotency_key=data["idempotency_key"],
        files=files,
    )


@login_required
def case_related(request):
    """The open cases like the one being filed (same estate and category, the last months), for
    the filing form's script: no names, no phones (selectors.related_case_row). Bad input: none."""
    _resident_required(request)
    rows = _related_rows(
        request.user,
        estate_id=parse_id(request.GET.get("estate")),
        category_id=parse_id(request.GET.get("category")),
        building=request.GET.get("building", "")[:50],
    )
    return JsonResponse({"cases": rows})


@login_required
@require_POST
def case_join(request, number: str):
    """我也遇到这个问题: join an offered case as a co-applicant instead of filing anew."""
    _resident_required(request)
    case = selectors.case_get_joinable(request.user, number)
    user = request.user
    try:
        claims.case_join(case=case, user=user, name=user.full_name or user.phone)
    except claims.NotVerified as exc:
        messages.error(request, str(exc))
        return redirect("accounts:phone_verify")
    except services.CaseError as exc:
        messages.error(request, str(exc))
        return redirect("disputes:case_new")
    messages.success(request, _("You joined case %(number)s as a co-applicant.") % {"number": case.number})
    return redirect(case)


@login_required
def case_submitted(request, number: str):
    case, _party = selectors.case_get_for_party(request.user, number)
    policy = deadlines.policy_for(category_id=case.category_id, tier=case.tier)
    return render(request, "disputes/case_submitted.html", {"case": case, "accept_days": policy.accept_days})


# --- Following ---------------------------------------------------------------------------------


@login_required
def case_list(request):
    cases = list(selectors.case_list_for_resident(request.user))
    for case in cases:
        case.next_step = NEXT_STEP[case.status]
        case.badge = STATUS_BADGE[case.status]
    return render(request, "disputes/case_list.html", {"cases": cases})


@login_required
def case_detail(request, number: str):
    case, party = selectors.case_get_for_party(request.user, number)
    return _render_case(request, case, party)


def _render_case(request, case: Case, party: Party, *, add_form=None, status: int = 200):
    open_ = case.status in Case.OPEN_STATUSES
    context = {
        "case": case,
        "me": party,
        "badge": STATUS_BADGE[case.status],
        "next_step": NEXT_STEP[case.status],
        "deadlines": _deadlines_in_words(case),
        "parties": [_party_view(p, viewer=party) for p in case.parties.select_related("user")],
        "events": case.events.filter(is_public=True).select_related("actor"),
        "evidence": case.evidence.all(),
        "add_form": add_form or (AddInformationForm() if open_ else None),
        "can_withdraw": selectors.party_is_first_applicant(party) and case.can_move_to(Case.Status.WITHDRAWN),
        "co_applicants": selectors.co_applicant_count(case),
        "can_consent": open_ and party.consents_to_mediation is None,
        "withdraw_form": WithdrawForm(),
        "consent_form": ConsentForm(),
    }
    return render(request, "disputes/case_detail.html", context, status=status)


def _party_view(p: Party, *, viewer: Party) -> dict:
    """What a party may see of another (DESIGN §11): their own details (ID masked), the other
    side's phone masked, and nothing of the applicant's contact details when they are the
    respondent."""
    is_me = p.pk == viewer.pk or (p.user_id and p.user_id == viewer.user_id)
    hide_contact = not is_me and viewer.role == Party.Role.RESPONDENT and p.role == Party.Role.APPLICANT
    return {
        "role": p.get_role_display(),
        "kind": p.get_kind_display(),
        "name": p.name,
        "is_me": is_me,
        "phone": "" if hide_contact else (p.phone if is_me else mask_phone(p.phone)),
        "id_number": mask_id_number(p.id_number) if is_me else "",
        "address": p.address if is_me else "",
        "consents": p.consents_to_mediation,
    }


def _deadlines_in_words(case: Case) -> list[tuple[str, str]]:
    S = Case.Status
    clocks = {
        S.SUBMITTED: [(_("Acceptance deadline"), case.accept_due_at)],
        S.ASSIGNED: [
            (_("The mediator takes the case on"), case.acknowledge_due_at),
            (_("Mediation deadline"), case.resolve_due_at),
        ],
        S.IN_MEDIATION: [(_("Mediation deadline"), case.resolve_due_at)],
        S.RESOLVED: [(_("Follow-up visit"), case.follow_up_due_at)],
    }.get(case.status, [])
    return [(label, _due_in_words(due)) for label, due in clocks if due]


def _due_in_words(due) -> str:
    date = formats.date_format(timezone.localtime(due), "SHORT_DATE_FORMAT")
    seconds = (due - timezone.now()).total_seconds()
    if seconds < 0:
        return _("overdue since %(date)s") % {"date": date}
    days = max(1, math.ceil(seconds / 86400))
    return ngettext("within %(days)s day (by %(date)s)", "within %(days)s days (by %(date)s)", days) % {
        "days": days,
        "date": date,
    }


# --- Acting on a case --------------------------------------------------------------------------


@login_required
@require_POST
def case_add_information(request, number: str):
    case, party = selectors.case_get_for_party(request.user, number)
    form = AddInformationForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Please correct the marked fields below."))
        return _render_case(request, case, party, add_form=form, status=400)
    try:
        services.case_add_information(
            case=case, actor=request.user, text=form.cleaned_data["text"], files=form.cleaned_data["files"]
        )
    except services.CaseError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Thank you. Your information was added to the case."))
    return redirect(case)


@login_required
@require_POST
def case_withdraw(request, number: str):
    case, party = selectors.case_get_for_party(request.user, number)
    form = WithdrawForm(request.POST)
    if not selectors.party_is_first_applicant(party):
        messages.error(request, _("Only the person who filed the case can withdraw it."))
    elif form.is_valid():
        try:
            services.case_withdraw(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        except services.CaseError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your case was withdrawn."))
    return redirect(case)


@login_required
@require_POST
def case_consent(request, number: str):
    case, party = selectors.case_get_for_party(request.user, number)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you agree to mediation."))
        return redirect(case)
    consents = form.cleaned_data["consents"]
    try:
        services.party_record_consent(
            party=party, consents=consents, actor=request.user, note=form.cleaned_data["note"]
        )
    except services.CaseError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Thank you: you agreed to mediation.")
            if consents
            else _("You declined mediation; the mediation has ended."),
        )
    return redirect(case)


# --- Inbox -------------------------------------------------------------------------------------


@login_required
def inbox(request):
    items = InboxMessage.objects.filter(recipient=request.user).select_related("case")[:200]
    return render(request, "disputes/inbox.html", {"items": items})


@login_required
def inbox_message(request, pk: int):
    item = get_object_or_404(InboxMessage.objects.select_related("case"), pk=pk, recipient=request.user)
    if item.read_at is None:
        # Reading is the only change and has no consequences elsewhere: one conditional UPDATE.
        item.read_at = timezone.now()
        InboxMessage.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=item.read_at)
    return render(request, "disputes/inbox_message.html", {"item": item})
