"""The case page as the workbench: one registry of next-step buttons, and the document views
behind them (session record, meeting, agreement, signatures, follow-up visit, parties).

A button is ONE entry in WORKBENCH: its label, where it leads and the predicate of the service
that does the step (disputes.services: case_can_*, agreement_can_*, follow_up_can_record). The
case page shows the buttons whose predicate holds for the case, so a new step of the lifecycle
(suspend, set risk, report to police …) is one `workbench_register(...)` call next to its view.

Every view here loads its case through CaseAdmin.get_queryset (the user's areas only), opens
with the case filled in, calls one service and comes back to the case page with a message.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Estate
from disputes import admin_forms, selectors, services
from disputes.models import Agreement, AgreementSignature, Case, Party
from disputes.services import closure as closure_services
from disputes.services import meetings as meeting_services
from disputes.services.sessions import mediation_session_record
from disputes.visibility import areas_visible_to


@dataclass(frozen=True)
class Button:
    name: str
    label: str
    allowed: Callable[[Case], bool]
    url: Callable[[Case], str]
    supervisor_only: bool = False
    # The steps that move the case on are drawn as the page's main buttons.
    primary: bool = False


WORKBENCH: dict[str, Button] = {}


def workbench_register(button: Button) -> Button:
    WORKBENCH[button.name] = button
    return button


def workbench_buttons(case: Case, *, supervisor: bool) -> list[Button]:
    return [b for b in WORKBENCH.values() if b.allowed(case) and (supervisor or not b.supervisor_only)]


def _step_url(name):
    return lambda case: reverse("admin:disputes_case_step", args=[case.pk, name])


def _doc_url(name):
    return lambda case: reverse("admin:disputes_case_document", args=[case.pk, name])


def _register_steps():
    # The steps with a small form (disputes/admin/case_steps.py) and the documents, in the order a
    # case lives them; the rarer steps come last.
    from disputes.admin.case_steps import STEPS

    def step(name, primary=False):
        s = STEPS[name]
        workbench_register(Button(s.name, s.label, s.allowed, _step_url(s.name), s.supervisor_only, primary))

    def doc(name, label, allowed, primary=False):
        workbench_register(Button(name, label, allowed, _doc_url(name), primary=primary))

    step("accept", primary=True)
    step("reject")
    step("acknowledge", primary=True)
    workbench_register(
        Button(
            "note",
            _("Add a note"),
            services.case_can_note,
            lambda case: reverse("admin:disputes_case_change", args=[case.pk]) + "#linli-note",
        )
    )
    doc("session", _("Record a session"), services.case_can_work, primary=True)
    doc("meeting", _("Schedule a four-party meeting"), services.case_can_work)
    doc("agreement", _("Draft the agreement"), closure_services.agreement_can_draft, primary=True)
    doc("signatures", _("Record signatures"), closure_services.agreement_can_sign, primary=True)
    workbench_register(
        Button(
            "print",
            _("Print the agreement"),
            closure_services.agreement_can_print,
            lambda case: reverse("admin:disputes_agreement_print", args=[case.agreement.pk]),
        )
    )
    step("resolve", primary=True)
    step("reconcile")
    doc("follow_up", _("Record a follow-up visit"), closure_services.follow_up_can_record, primary=True)
    step("close", primary=True)
    doc("parties", _("Correct or add parties"), services.case_can_note)
    workbench_register(
        Button(
            "paper_consent",
            _("Record consent on paper"),
            lambda case: case.is_open,  # consent matters while mediation can still go on
            lambda case: reverse("disputes:case_parties", args=[case.number]),  # disputes/views/party_staff.py
        )
    )
    for name in (
        "set_risk",
        "households",
        "report_police",
        "escalate",
        "extend",
        "suspend",
        "resume",
        "refer",
        "terminate",
        "reopen",
        "reassign",
    ):
        step(name)


_register_steps()


# --- The document views ------------------------------------------------------------------------


class CaseDocumentViews:
    """Mixed into CaseAdmin with CaseStepViews (which provides _case_for_change and _render)."""

    DOCUMENTS = {
        "session": "session_view",
        "meeting": "meeting_view",
        "agreement": "agreement_view",
        "signatures": "signatures_view",
        "follow_up": "follow_up_view",
        "parties": "parties_view",
    }

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/do/<slug:doc>/", view(self.document_view), name="disputes_case_document"),
            *super().get_urls(),
        ]

    def document_view(self, request, object_id, doc):
        case = self._case_for_change(request, object_id)
        button = WORKBENCH.get(doc)
        if doc not in self.DOCUMENTS or button is None or not button.allowed(case):
            return self._back_to_case(request, case, self._not_possible(case))
        if self._posted_stale(request, case):
            return self._back_to_case(request, case, str(services.StaleCase(case.number)))
        return getattr(self, self.DOCUMENTS[doc])(request, case, button)

    def _document(self, request, case, button, *, form=None, formset=None, intro=""):
        return self._render(
            request,
            "admin/disputes/case/document_form.html",
            title=f"{button.label}：{case.number}",
            case=case,
            form=form,
            formset=formset,
            button=button,
            intro=intro,
            change_url=self._change_url(case),
        )

    def _done(self, request, case, message: str):
        self.message_user(request, message % {"number": case.number}, messages.SUCCESS)
        return redirect(self._change_url(case))

    def _attempt(self, form, write) -> bool:
        """Run the service; a refusal becomes a form error, so what was typed stays."""
        try:
            write()
        except services.CaseError as exc:
            form.add_error(None, str(exc))
            return False
        return True

    # -- a session record, with the parties filled in --

    def session_view(self, request, case, button):
        attendees = "；".join(f"{p.get_role_display()}：{p.name}" for p in case.parties.all())
        form = admin_forms.SessionRecordForm(
            request.POST or None,
            request.FILES or None,
            initial={"held_at": admin_forms._now_minute(), "attendees": attendees},
        )
        if request.method == "POST" and form.is_valid():
            data = {
                k: form.cleaned_data.get(k) for k in ("held_at", "place", "attendees", "content", "agreed", "scan")
            }
            if self._attempt(form, lambda: mediation_session_record(case=case, actor=request.user, **data)):
                return self._done(request, case, gettext("A session record was added to case %(number)s."))
        return self._document(request, case, button, form=form)

    # -- a four-party meeting: the case's community, its estate's seats, the case on the agenda --

    def meeting_view(self, request, case, button):
        communities = areas_visible_to(request.user).filter(kind=Area.Kind.COMMUNITY)
        estates = Estate.objects.filter(community__in=communities).select_related("community")
        community = selectors.community_of(case.area)
        tomorrow = timezone.localdate() + timedelta(days=1)
        form = admin_forms.MeetingScheduleForm(
            request.POST or None,
            communities=communities,
            estates=estates,
            initial={
                "community": community.pk if community else None,
                "estate": case.estate_id,
                "topic": case.title,
                "scheduled_at": timezone.make_aware(datetime.combine(tomorrow, time(19, 0))),
            },
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            made = []

            def write():
                made.append(
                    meeting_services.meeting_create(
                        community=d["community"],
                        estate=d["estate"],
                        topic=d["topic"],
                        scheduled_at=d["scheduled_at"],
                        place=d["place"],
                        actor=request.user,
                        cases=[case],
                    )  # fmt: skip
                )

            if self._attempt(form, write):
                return self._done(request, case, gettext("A four-party meeting about case %(number)s was scheduled."))
        return self._document(request, case, button, form=form)

    # -- the agreement, drafted from the case --

    def agreement_view(self, request, case, button):
        applicant_request = gettext("The applicant asks: %(request)s") % {"request": case.request}
        form = admin_forms.AgreementDraftForm(
            request.POST or None,
            instance=Agreement(case=case),
            initial={
                "parties_details": closure_services.parties_details_for(case),
                "facts": case.summary,
                "issues": applicant_request,
            },
        )
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            kind = data.pop("kind")
            if self._attempt(
                form, lambda: closure_services.agreement_create(case=case, actor=request.user, kind=kind, **data)
            ):
                return self._done(request, case, gettext("The agreement of case %(number)s was drafted."))
        return self._document(request, case, button, form=form)

    # -- the signatures, each with the date it was made --

    def signatures_view(self, request, case, button):
        agreement = case.agreement
        signed = list(agreement.signatures.all())
        signed_parties = {s.party_id for s in signed}
        signed_kinds = {s.signer for s in signed}
        signers = [(f"party_{p.pk}", p.name, p) for p in case.parties.all() if p.pk not in signed_parties]
        for kind in (AgreementSignature.Signer.MEDIATOR, AgreementSignature.Signer.COMMITTEE_SEAL):
            if kind not in signed_kinds:
                signers.append((kind.value, kind.label, None))
        form = admin_forms.SignaturesForm(request.POST or None, signers=signers)
        if request.method == "POST" and form.is_valid():

            @transaction.atomic  # all the dates entered, or none
            def write():
                for kind, party, day in form.signatures():
                    closure_services.agreement_sign(
                        agreement=agreement, signer=kind, party=party, signed_on=day, actor=request.user
                    )

            if self._attempt(form, write):
                return self._done(
                    request, case, gettext("The signatures on the agreement of case %(number)s were recorded.")
                )
        intro = gettext("Still to sign: %(names)s") % {
            "names": "、".join(closure_services.agreement_missing_signers(agreement))
        }
        return self._document(request, case, button, form=form, intro=intro)

    # -- the follow-up visit --

    def follow_up_view(self, request, case, button):
        form = admin_forms.FollowUpVisitForm(
            request.POST or None,
            initial={"visited_at": admin_forms._now_minute(), "close_case": case.status == Case.Status.RESOLVED},
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data

            def write():
                closure_services.follow_up_record(
                    case=case, actor=request.user, method=d["method"], satisfaction=d["satisfaction"],
                    performing=d.get("performing", ""), visited_at=d["visited_at"], new_risk=d.get("new_risk", ""),
                    comment=d.get("comment", ""), close_case=d.get("close_case", False),
                )  # fmt: skip

            if self._attempt(form, write):
                case.refresh_from_db(fields=["status"])
                if case.status == Case.Status.CLOSED:
                    return self._done(
                        request, case, gettext("The follow-up visit was recorded and case %(number)s was closed.")
                    )
                return self._done(request, case, gettext("The follow-up visit to case %(number)s was recorded."))
        return self._document(request, case, button, form=form)

    # -- the parties: correct a name or details, add a party --

    def parties_view(self, request, case, button):
        formset = admin_forms.PartyFormSet(request.POST or None, queryset=case.parties.all(), prefix="parties")
        if request.method == "POST" and formset.is_valid():
            try:
                with transaction.atomic():
                    self._save_parties(request, case, formset)
            except services.CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                return self._done(request, case, gettext("The parties of case %(number)s were saved."))
        return self._document(request, case, button, formset=formset)

    def _save_parties(self, request, case, formset):
        for form in formset.forms:
            if not form.has_changed():
                continue
            d = form.cleaned_data
            if form.instance.pk is None:
                services.party_add(
                    case=case,
                    actor=request.user,
                    data=services.PartyData(
                        role=d["role"],
                        kind=d["kind"],
                        name=d["name"],
                        phone=d["phone"],
                        id_number=d["id_number"],
                        address=d["address"],
                    ),  # fmt: skip
                )
            else:
                party = Party.objects.get(pk=form.instance.pk, case=case)
                party.case = case  # the same object: its version moves with each event
                services.party_correct(
                    party=party, actor=request.user, **{k: d[k] for k in services.PARTY_DETAIL_FIELDS}
                )
