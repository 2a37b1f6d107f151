"""The lifecycle steps of the case page: its buttons, their forms, the note and register views
and the changelist's bulk actions. CaseAdmin (disputes/admin/cases.py) mixes in CaseStepViews.

Every view loads its case through CaseAdmin.get_queryset (the user's areas only), and every
change goes through disputes.services, which checks the transition and the case's version.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.inputs import parse_id
from disputes import admin_forms, selectors, services
from disputes.models import Case, CaseEvent, Party
from disputes.services import claims, steps
from disputes.services import closure as closure_services
from disputes.services import parties as party_services
from disputes.visibility import areas_visible_to, cases_visible_to


@dataclass(frozen=True)
class Step:
    """A lifecycle step with a small form, run by step_view. `allowed` is the service's own
    predicate (disputes.services): the button shows exactly when the service would do it."""

    name: str
    label: str
    form: type
    allowed: Callable[[Case], bool]
    run: Callable
    done: str  # message; %(number)s is the case number
    supervisor_only: bool = False


STEPS = {
    step.name: step
    for step in [
        Step(
            "accept",
            _("Accept and assign"),
            admin_forms.AcceptForm,
            services.case_can_accept,
            lambda case, actor, d: services.case_accept(
                case=case, actor=actor, mediator=d["mediator"], note=d["note"]
            ),
            _("Case %(number)s was accepted and assigned."),
        ),
        Step(
            "reject",
            _("Do not accept"),
            admin_forms.RejectForm,
            services.case_can_reject,
            lambda case, actor, d: services.case_reject(
                case=case, actor=actor, reason=d["reason"], advice=d["advice"]
            ),
            _("Case %(number)s was not accepted; the applicant is told why."),
        ),
        Step(
            "acknowledge",
            _("Acknowledge"),
            admin_forms.AcknowledgeForm,
            services.case_can_acknowledge,
            lambda case, actor, d: services.case_acknowledge(case=case, actor=actor),
            _("Case %(number)s was acknowledged; mediation has started."),
        ),
        Step(
            "resolve",
            _("Resolve"),
            admin_forms.ResolveForm,
            closure_services.case_can_resolve_by_agreement,
            lambda case, actor, d: closure_services.case_close_with_outcome(
                case=case, actor=actor, outcome=d["outcome"], summary=d["summary"]
            ),
            _("Case %(number)s was resolved; a follow-up visit is due."),
        ),
        Step(
            "close",
            _("Close the case"),
            admin_forms.CloseForm,
            services.case_can_close,
            lambda case, actor, d: services.case_close(case=case, actor=actor, note=d["note"]),
            _("Case %(number)s was closed."),
        ),
        Step(
            "escalate",
            _("Escalate"),
            admin_forms.EscalateForm,
            services.case_can_escalate,
            lambda case, actor, d: services.case_escalate(
                case=case, actor=actor, reason=d["reason"], mediator=d.get("mediator")
            ),
            _("Case %(number)s was escalated to the tier above."),
        ),
        Step(
            "extend",
            _("Extend the deadline"),
            admin_forms.ExtendForm,
            services.case_can_extend,
            lambda case, actor, d: services.case_extend(case=case, actor=actor, consent_note=d["consent_note"]),
            _("The deadline of case %(number)s was extended."),
        ),
        Step(
            "suspend",
            _("Suspend"),
            admin_forms.SuspendForm,
            services.case_can_suspend,
            lambda case, actor, d: services.case_suspend(case=case, actor=actor, reason=d["reason"]),
            _("Case %(number)s is suspended: its clocks have stopped."),
        ),
        Step(
            "resume",
            _("Resume"),
            admin_forms.ResumeForm,
            services.case_can_resume,
            lambda case, actor, d: services.case_resume(case=case, actor=actor, note=d["note"]),
            _("Case %(number)s was resumed; its deadlines moved on by the time suspended."),
        ),
        Step(
            "terminate",
            _("Terminate mediation"),
            admin_forms.TerminateForm,
            services.case_can_terminate,
            lambda case, actor, d: services.case_terminate(
                case=case, actor=actor, routes_advised=d["routes_advised"], note=d["note"]
            ),
            _("Mediation of case %(number)s was terminated."),
        ),
        Step(
            "reopen",
            _("Reopen"),
            admin_forms.ReopenForm,
            services.case_can_reopen,
            lambda case, actor, d: services.case_reopen(case=case, actor=actor, reason=d["reason"]),
            _("Case %(number)s was reopened."),
        ),
        Step(
            "set_risk",
            _("Set the risk level"),
            admin_forms.RiskForm,
            steps.risk_set_allowed,
            lambda case, actor, d: steps.case_set_risk(case=case, actor=actor, risk=d["risk"], reason=d["reason"]),
            _("The risk level of case %(number)s was set."),
        ),
        Step(
            "households",
            _("Correct the households"),
            admin_forms.HouseholdsForm,
            claims.case_can_correct_households,
            lambda case, actor, d: claims.case_correct_households(
                case=case, actor=actor, households=d["households"], reason=d["reason"]
            ),
            _("The households of case %(number)s were corrected."),
        ),
        Step(
            "report_police",
            _("Report to the police"),
            admin_forms.PoliceReportForm,
            steps.police_report_allowed,
            lambda case, actor, d: steps.case_report_to_police(
                case=case,
                actor=actor,
                reported_by=d["reported_by"],
                reported_at=d["reported_at"],
                police_station=d["police_station"],
                receipt_number=d["receipt_number"],
                note=d["note"],
            ),
            _("The report of case %(number)s to the police was recorded."),
        ),
        Step(
            "reconcile",
            _("Close as reconciled"),
            admin_forms.ReconcileForm,
            services.reconcile_allowed,
            lambda case, actor, d: services.case_resolve(
                case=case, actor=actor, outcome=Case.Outcome.RECONCILED, summary=d["summary"]
            ),
            _("Case %(number)s was resolved: the parties reconciled."),
        ),
        Step(
            "refer",
            _("Refer elsewhere"),
            admin_forms.ReferForm,
            services.refer_allowed,
            lambda case, actor, d: services.case_refer(case=case, actor=actor, target=d["target"], note=d["note"]),
            _("Case %(number)s was referred and closed."),
        ),
        Step(
            "reassign",
            _("Reassign"),
            admin_forms.ReassignForm,
            services.case_can_work,
            lambda case, actor, d: services.case_reassign(
                case=case, actor=actor, mediator=d["mediator"], note=d["note"]
            ),
            _("Case %(number)s was reassigned."),
            supervisor_only=True,
        ),
    ]
}


class CaseStepViews:
    """The custom views and actions of CaseAdmin (which provides get_queryset, the permissions
    and _staff_in_scope)."""

    def _steps_for(self, request, case: Case) -> list[Step]:
        supervisor = self.has_supervise_permission(request)
        return [s for s in STEPS.values() if s.allowed(case) and (supervisor or not s.supervisor_only)]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("register/", view(self.register_view), name="disputes_case_register"),
            path("<path:object_id>/step/<slug:step>/", view(self.step_view), name="disputes_case_step"),
            path("<path:object_id>/note/", view(self.note_view), name="disputes_case_note"),
            *super().get_urls(),
        ]

    def _case_for_change(self, request, object_id) -> Case:
        # Through get_queryset: a case outside the user's areas is simply not there (404).
        pk = parse_id(object_id)
        cases = self.get_queryset(request).select_related("agreement")
        case = cases.filter(pk=pk).first() if pk is not None else None
        if case is None:
            raise Http404(gettext("No such case in your areas."))
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        return case

    def _change_url(self, case: Case) -> str:
        return reverse("admin:disputes_case_change", args=[case.pk])

    def _render(self, request, template: str, **context) -> TemplateResponse:
        # A page of the admin's own look: the site's context, this model's options, then the page's.
        return TemplateResponse(
            request, template, {**self.admin_site.each_context(request), "opts": self.opts, **context}
        )

    @staticmethod
    def _posted_stale(request, case: Case) -> bool:
        # Someone moved the case since this form was shown: refuse rather than act on an outdated
        # page; the service does the same for a change between load and write.
        return request.method == "POST" and request.POST.get("version") != str(case.version)

    @staticmethod
    def _not_possible(case: Case) -> str:
        return gettext("This step is not possible for case %(number)s in its current state.") % {"number": case.number}

    def _back_to_case(self, request, case: Case, message: str):
        self.message_user(request, message, messages.WARNING)
        return redirect(self._change_url(case))

    def step_view(self, request, object_id, step):
        case = self._case_for_change(request, object_id)
        step = STEPS.get(step)
        if self._posted_stale(request, case):
            return self._back_to_case(request, case, str(services.StaleCase(case.number)))
        if step is None or step not in self._steps_for(request, case):
            if step is not None and step.supervisor_only and not self.has_supervise_permission(request):
                raise PermissionDenied
            return self._back_to_case(request, case, self._not_possible(case))
        staff, chosen, suggested = None, None, None
        if step.name == "accept":
            # Mediators of the case's area and tier only, the signed-in one first (and chosen)
            # when they serve it; otherwise the least-loaded one is chosen and named as suggested.
            staff = selectors.mediator_list_for_case(case, first=request.user)
            if staff.filter(pk=request.user.pk).exists():
                chosen = request.user
            else:
                chosen = suggested = selectors.mediator_suggest_for_case(case)
        elif "mediator" in step.form.base_fields:
            staff = selectors.staff_list_for_case(case)
        form = step.form(request.POST or None, case=case, staff=staff, suggested=chosen)
        if request.method == "POST" and form.is_valid():
            self._run_step(request, case, step, form.cleaned_data)
            return redirect(self._change_url(case))
        return self._render(
            request,
            "admin/disputes/case/step_form.html",
            title=f"{step.label}：{case.number}",
            case=case,
            form=form,
            step=step,
            suggested=suggested,
            change_url=self._change_url(case),
        )

    def _run_step(self, request, case: Case, step: Step, data: dict) -> bool:
        try:
            step.run(case, request.user, data)
        except services.StaleCase as exc:
            self.message_user(request, str(exc), messages.WARNING)
            return False
        except services.CaseError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        self.message_user(request, step.done % {"number": case.number}, messages.SUCCESS)
        return True

    def note_view(self, request, object_id):
        case = self._case_for_change(request, object_id)
        if request.method != "POST":
            return redirect(self._change_url(case))
        form = admin_forms.NoteForm(request.POST)
        if not form.is_valid():
            self.message_user(request, gettext("Write the note before saving it."), messages.ERROR)
            return redirect(self._change_url(case))
        try:
            services.case_event_record(
                case=case,
                actor=request.user,
                kind=CaseEvent.Kind.NOTE,
                note=form.cleaned_data["note"],
                is_public=form.cleaned_data["is_public"],
            )
        except services.StaleCase as exc:
            self.message_user(request, str(exc), messages.WARNING)
        else:
            if form.cleaned_data["is_public"]:
                done = gettext("A public note was added to case %(number)s.")
            else:
                done = gettext("An internal note was added to case %(number)s.")
            self.message_user(request, done % {"number": case.number}, messages.SUCCESS)
        return redirect(self._change_url(case))

    # -- registering a case for a resident --

    def register_view(self, request):
        if not self.has_view_permission(request) or not request.user.has_perm("disputes.change_case"):
            raise PermissionDenied
        areas = areas_visible_to(request.user)
        form = admin_forms.CaseRegisterForm(request.POST or None, areas=areas)
        related = []
        if request.method == "POST" and form.is_valid():
            related = self._register_related(request, form.cleaned_data)
        if request.method == "POST" and form.is_valid() and not related:
            case = self._register(request, form.cleaned_data)
            self.message_user(
                request,
                gettext("Case %(number)s was registered for %(name)s.")
                % {"number": case.number, "name": form.cleaned_data["applicant_name"]},
                messages.SUCCESS,
            )
            return redirect(self._change_url(case))
        if related:
            # Shown once: the next submit registers the case anyway (related_seen).
            form.data = form.data.copy()
            form.data["related_seen"] = "1"
        return self._render(
            request, "admin/disputes/case/register.html", title=gettext("Register a case"), form=form, related=related
        )

    def _register_related(self, request, data: dict) -> list[Case]:
        """The open cases of the estate and category (the filing form's selector, within the user's
        cases), shown before a walk-in is registered as a new case; none once they were seen."""
        if data["related_seen"] or data["estate"] is None:
            return []
        return selectors.related_open_cases(
            estate_id=data["estate"].pk,
            category_id=data["category"].pk,
            building=data["building"],
            within=cases_visible_to(request.user),
        )

    def _register(self, request, data: dict) -> Case:
        # No account is made or looked up by the phone typed here (issue 15: that handed the case
        # to whoever had registered the number). The applicant gets an SMS link to the case; an
        # account joins it only through a verified phone and a confirmation (services.parties).
        parties = [
            services.PartyData(
                role=Party.Role.APPLICANT,
                name=data["applicant_name"],
                phone=data["applicant_phone"],
                id_number=data["applicant_id_number"],
            )
        ]
        if data["respondent_name"]:
            parties.append(
                services.PartyData(
                    role=Party.Role.RESPONDENT, name=data["respondent_name"], phone=data["respondent_phone"]
                )
            )
        with transaction.atomic():
            case, _created = services.case_submit(
                filed_by=request.user,
                parties=parties,
                category_id=data["category"].pk,
                area_id=data["area"].pk,
                estate_id=data["estate"].pk if data["estate"] else None,
                building=data["building"],
                title=data["title"],
                summary=data["summary"],
                request=data["request"],
                households=data["households"],
                source=data["source"],
            )
            party_services.case_link_send(party=case.parties.get(role=Party.Role.APPLICANT))
        return case

    # -- bulk actions over selected rows (queryset is already scoped by get_queryset) --

    def _run_bulk(self, request, queryset, run) -> None:
        done, stale, failed = 0, [], []
        for case in queryset.select_related("area"):
            try:
                run(case)
            except services.StaleCase:
                stale.append(case.number)
            except services.CaseError as exc:
                failed.append(f"{case.number}: {exc}")
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d case was updated.", "%(count)d cases were updated.", done) % {"count": done},
                messages.SUCCESS,
            )
        if stale:
            self.message_user(
                request,
                gettext("Changed by someone else a moment ago, left alone: %(numbers)s")
                % {"numbers": ", ".join(stale)},
                messages.WARNING,
            )
        for line in failed:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Accept and assign to the suggested mediator"), permissions=["change"])
    def accept_with_suggested_mediator(self, request, queryset):
        def run(case):
            mediator = selectors.mediator_suggest_for_case(case)
            if mediator is None:
                raise services.CaseError(gettext("No mediator serves this case's grid or community."))
            services.case_accept(case=case, actor=request.user, mediator=mediator)

        self._run_bulk(request, queryset, run)

    @admin.action(description=_("Acknowledge the selected cases"), permissions=["change"])
    def acknowledge_cases(self, request, queryset):
        self._run_bulk(request, queryset, lambda case: services.case_acknowledge(case=case, actor=request.user))

    @admin.action(description=_("Reassign the selected cases"), permissions=["supervise"])
    def reassign_cases(self, request, queryset):
        form = admin_forms.BulkReassignForm(
            request.POST if "apply" in request.POST else None, staff=self._staff_in_scope(request)
        )
        if "apply" in request.POST and form.is_valid():
            mediator, note = form.cleaned_data["mediator"], form.cleaned_data["note"]
            self._run_bulk(
                request,
                queryset,
                lambda case: services.case_reassign(case=case, actor=request.user, mediator=mediator, note=note),
            )
            return None
        return self._render(
            request,
            "admin/disputes/case/reassign.html",
            title=gettext("Reassign the selected cases"),
            form=form,
            cases=queryset,
            action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
        )
