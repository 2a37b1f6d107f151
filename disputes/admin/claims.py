"""Collective claims in the mediators' workbench (issue 17): created from selected cases in the case
list (CaseAdmin's action, an intermediate form), and the claim page with its member cases, its
representatives, its timeline and the steps applied to every member.

Claims are listed and loaded through the one door (disputes.visibility.claims_visible_to); member
cases through the case scope. Every write is a service of disputes.services.collective.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from config.admin_inputs import SafeInputsAdmin
from config.inputs import parse_id
from disputes import selectors
from disputes.admin.case_filters import AreaFilter
from disputes.admin.titles import PlainListTitle
from disputes.models import Case, CollectiveClaim, Party
from disputes.services.cases import CaseError
from disputes.services.collective import (
    CLAIM_STEPS,
    claim_add_cases,
    claim_create,
    claim_elect_representative,
    claim_meeting_create,
    claim_remove_case,
    claim_set_risk,
    claim_step,
)
from disputes.services.supervision import claim_supervision_order
from disputes.visibility import claims_visible_to

# --- Forms ------------------------------------------------------------------------------------


def _text(label, **kwargs):
    return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), **kwargs)


class ClaimCreateForm(forms.Form):
    title = forms.CharField(label=_("Subject"), max_length=100, widget=forms.TextInput(attrs={"size": 60}))
    facts = _text(_("Shared facts"))
    demand = _text(_("Shared demand"))
    risk = forms.ChoiceField(label=_("Risk level"), choices=Case.Risk.choices, initial=Case.Risk.LOW)
    tier = forms.TypedChoiceField(
        label=_("Handling tier"), choices=[("", "—"), *Case.Tier.choices], coerce=int, required=False, empty_value=None
    )


class ClaimAddForm(forms.Form):
    claim = forms.ModelChoiceField(label=_("Collective claim"), queryset=CollectiveClaim.objects.none())

    def __init__(self, *args, claims, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claim"].queryset = claims


OUTCOME_CHOICES = [
    ("", _("Leave as it is")),
    (Case.Outcome.RECONCILED, Case.Outcome.RECONCILED.label),
    (Case.Outcome.ORAL_AGREEMENT, Case.Outcome.ORAL_AGREEMENT.label),
    (Case.Outcome.WRITTEN_AGREEMENT, Case.Outcome.WRITTEN_AGREEMENT.label),
    (Case.Outcome.TERMINATED, Case.Outcome.TERMINATED.label),
    (Case.Outcome.REFERRED, Case.Outcome.REFERRED.label),
]


class ClaimStepForm(forms.Form):
    """A step for every member. The hidden version_<pk> fields are the members as the user saw
    them: one changed since is refused by the lifecycle (a lost race), and reported."""

    def __init__(self, *args, step: str, members: list[Case], staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        for case in members:
            self.fields[f"version_{case.pk}"] = forms.IntegerField(widget=forms.HiddenInput, initial=case.version)
        if step == "accept":
            self.fields["mediator"] = forms.ModelChoiceField(label=_("Mediator"), queryset=staff)
        if step == "conclude":
            for case in members:
                self.fields[f"outcome_{case.pk}"] = forms.ChoiceField(
                    label=f"{case.number} {case.title}", choices=OUTCOME_CHOICES, required=False
                )
            self.fields["summary"] = _text(_("Closing summary"), required=False)
            self.fields["routes_advised"] = _text(_("Routes advised (terminated cases)"), required=False)
            self.fields["referral_target"] = forms.CharField(
                label=_("Referred to (referred cases)"), max_length=100, required=False
            )
        else:
            self.fields["note"] = _text(_("Reason") if step == "suspend" else _("Note"), required=step == "suspend")

    def versions(self) -> dict[int, int]:
        return {c.pk: self.cleaned_data[f"version_{c.pk}"] for c in self.members}

    def outcomes(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"outcome_{c.pk}") or "" for c in self.members}


class RemoveCaseForm(forms.Form):
    case = forms.TypedChoiceField(label=_("Case"), coerce=int)
    reason = _text(_("Why the case leaves the claim"))

    def __init__(self, *args, members: list[Case], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [(c.pk, f"{c.number} {c.title}") for c in members]


class RepresentativeForm(forms.Form):
    party = forms.ModelChoiceField(label=_("Applicant"), queryset=Party.objects.none())
    consent_note = forms.CharField(label=_("How they consented (in person, signed form, phone)"), max_length=200)

    def __init__(self, *args, claim: CollectiveClaim, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = Party.objects.filter(
            case__collective_claim=claim, role=Party.Role.APPLICANT
        ).select_related("case")
        self.fields["party"].label_from_instance = lambda p: f"{p.name} ({p.case.number})"


class ClaimRiskForm(forms.Form):
    risk = forms.ChoiceField(label=_("Risk level"), choices=Case.Risk.choices)
    reason = _text(_("Why the risk level changes"))


class ClaimSupervisionForm(forms.Form):
    note = _text(_("Note"), required=False, max_length=500)


class ClaimMeetingForm(forms.Form):
    topic = forms.CharField(label=_("Topic"), max_length=200)
    scheduled_at = forms.SplitDateTimeField(label=_("Time"))
    place = forms.CharField(label=_("Place"), max_length=200)


# --- The case list's action -------------------------------------------------------------------


class ClaimActions:
    """Mixed into CaseAdmin: "Group into a collective claim" over the selected (scoped) cases."""

    @admin.action(description=_("Group the selected cases into a collective claim"), permissions=["change"])
    def create_collective_claim(self, request, queryset):
        cases = list(queryset.select_related("area", "collective_claim").order_by("pk"))
        form = ClaimCreateForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            d = form.cleaned_data
            try:
                claim = claim_create(
                    cases=cases,
                    actor=request.user,
                    title=d["title"],
                    facts=d["facts"],
                    demand=d["demand"],
                    risk=d["risk"],
                    tier=d["tier"],
                )
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(
                request,
                gettext("Collective claim %(claim)s was created from %(count)d cases (%(households)d households).")
                % {"claim": claim.number, "count": len(cases), "households": claim.households},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:disputes_collectiveclaim_change", args=[claim.pk]))
        if not form.is_bound and cases:
            first = cases[0]
            form.initial = {"title": first.title, "facts": first.summary, "demand": first.request, "risk": first.risk}
        return TemplateResponse(
            request,
            "admin/disputes/case/claim_create.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Group the selected cases into a collective claim"),
                "form": form,
                "cases": cases,
                "households": sum(c.households for c in cases),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Add the selected cases to a collective claim"), permissions=["change"])
    def add_to_collective_claim(self, request, queryset):
        cases = list(queryset.select_related("area", "collective_claim").order_by("pk"))
        claims = claims_visible_to(request.user).filter(status=CollectiveClaim.Status.OPEN).order_by("-created_at")
        form = ClaimAddForm(request.POST if "apply" in request.POST else None, claims=claims)
        if "apply" in request.POST and form.is_valid():
            claim = form.cleaned_data["claim"]
            try:
                claim_add_cases(claim=claim, cases=cases, actor=request.user)
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            self.message_user(
                request,
                gettext("%(count)d cases were added to collective claim %(claim)s.")
                % {"count": len(cases), "claim": claim.number},
                messages.SUCCESS,
            )
            return redirect(reverse("admin:disputes_collectiveclaim_change", args=[claim.pk]))
        return TemplateResponse(
            request,
            "admin/disputes/case/claim_create.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Add the selected cases to a collective claim"),
                "form": form,
                "cases": cases,
                "households": sum(c.households for c in cases),
                "action_name": "add_to_collective_claim",
                "submit": gettext("Add to the claim"),
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


# --- The claim admin --------------------------------------------------------------------------


@admin.register(CollectiveClaim)
class CollectiveClaimAdmin(PlainListTitle, SafeInputsAdmin, admin.ModelAdmin):
    list_display = [
        "number",
        "title",
        "area",
        "households",
        "risk",
        "status",
        "mediator",
        "created_at",
        "due_at",
        "resolved_at",
    ]
    list_filter = ["status", "risk", AreaFilter]
    search_fields = ["number", "title"]
    list_select_related = ["area", "mediator"]
    view_on_site = False  # the claim has no public page: its cases have
    change_form_template = "admin/disputes/collectiveclaim/change_form.html"
    fields = [
        "number",
        "title",
        "facts",
        "demand",
        "risk",
        "area",
        "tier",
        "mediator",
        "households",
        "status",
        "created_at",
        "resolved_at",
        "closed_at",
        "due_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=claims_visible_to(request.user).values("pk"))

    def has_add_permission(self, request):
        return False  # created from the selected cases of the case list (ClaimActions)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/step/<slug:step>/", view(self.step_view), name="disputes_collectiveclaim_step"),
            path("<path:object_id>/remove/", view(self.remove_view), name="disputes_collectiveclaim_remove"),
            path(
                "<path:object_id>/representative/",
                view(self.representative_view),
                name="disputes_collectiveclaim_representative",
            ),
            path("<path:object_id>/meeting/", view(self.meeting_view), name="disputes_collectiveclaim_meeting"),
            path("<path:object_id>/risk/", view(self.risk_view), name="disputes_collectiveclaim_risk"),
            path("<path:object_id>/supervise/", view(self.supervise_view), name="disputes_collectiveclaim_supervise"),
            *super().get_urls(),
        ]

    def _claim(self, request, object_id) -> CollectiveClaim:
        pk = parse_id(object_id)
        claim = self.get_queryset(request).filter(pk=pk).first() if pk is not None else None
        if claim is None or not self.has_change_permission(request, claim):
            raise Http404(gettext("No such claim in your areas."))
        return claim

    def _change_url(self, claim) -> str:
        return reverse("admin:disputes_collectiveclaim_change", args=[claim.pk])

    def _members(self, claim) -> list[Case]:
        return list(claim.cases.select_related("mediator", "area").order_by("pk"))

    def _render(self, request, template: str, **context) -> TemplateResponse:
        return TemplateResponse(
            request, template, {**self.admin_site.each_context(request), "opts": self.opts, **context}
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(
                claim_steps=[
                    {
                        "name": s.name,
                        "label": s.label,
                        "url": reverse("admin:disputes_collectiveclaim_step", args=[obj.pk, s.name]),
                    }
                    for s in CLAIM_STEPS.values()
                ],
                members=self._members(obj),
                representatives=list(obj.representative_rows.select_related("party__case")),
                timeline=list(obj.events.select_related("actor").order_by("created_at", "pk")),
                meetings=list(obj.meetings.order_by("-scheduled_at")),
                remove_url=reverse("admin:disputes_collectiveclaim_remove", args=[obj.pk]),
                representative_url=reverse("admin:disputes_collectiveclaim_representative", args=[obj.pk]),
                meeting_url=reverse("admin:disputes_collectiveclaim_meeting", args=[obj.pk]),
                risk_url=reverse("admin:disputes_collectiveclaim_risk", args=[obj.pk]),
                supervise_url=reverse("admin:disputes_collectiveclaim_supervise", args=[obj.pk])
                if _supervises(request.user)
                else "",
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
                title=capfirst(self.model._meta.verbose_name),  # nothing is changed in place
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return redirect(request.path)  # nothing is edited in place
        return super().change_view(request, object_id, form_url, extra_context)

    # -- a step for every member --

    def step_view(self, request, object_id, step):
        claim = self._claim(request, object_id)
        spec = CLAIM_STEPS.get(step)
        if spec is None:
            raise Http404
        members = self._members(claim)
        staff = selectors.staff_list_for_case(claim) if step == "accept" else None
        form = ClaimStepForm(request.POST or None, step=step, members=members, staff=staff)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            data = {k: d[k] for k in ("mediator", "note", "summary", "routes_advised", "referral_target") if k in d}
            if step == "conclude":
                data["outcomes"] = form.outcomes()
            try:
                result = claim_step(claim=claim, step=step, actor=request.user, versions=form.versions(), **data)
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self._report(request, result)
                return redirect(self._change_url(claim))
        return self._render(
            request,
            "admin/disputes/collectiveclaim/step_form.html",
            title=f"{spec.label}：{claim.number}",
            claim=claim,
            members=members,
            form=form,
            step=spec,
            change_url=self._change_url(claim),
        )

    def _report(self, request, result) -> None:
        if result.done:
            n = len(result.done)
            self.message_user(
                request,
                ngettext("Done for %(count)d case: %(numbers)s", "Done for %(count)d cases: %(numbers)s", n)
                % {"count": n, "numbers": ", ".join(c.number for c in result.done)},
                messages.SUCCESS,
            )
        for case, reason in result.refused:
            level = messages.WARNING if case in result.lost_races else messages.ERROR
            self.message_user(
                request,
                gettext("Not done for case %(number)s: %(reason)s") % {"number": case.number, "reason": reason},
                level,
            )

    # -- members, representatives, the meeting --

    def remove_view(self, request, object_id):
        claim = self._claim(request, object_id)
        form = RemoveCaseForm(request.POST or None, members=self._members(claim))
        if request.method == "POST" and form.is_valid():
            case = claim.cases.filter(pk=form.cleaned_data["case"]).first()
            try:
                claim_remove_case(claim=claim, case=case, actor=request.user, reason=form.cleaned_data["reason"])
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request, gettext("Case %(number)s left the claim.") % {"number": case.number}, messages.SUCCESS
                )
            return redirect(self._change_url(claim))
        return self._form_page(request, claim, form, gettext("Remove a case from the claim"))

    def representative_view(self, request, object_id):
        claim = self._claim(request, object_id)
        form = RepresentativeForm(request.POST or None, claim=claim)
        if request.method == "POST" and form.is_valid():
            try:
                claim_elect_representative(
                    claim=claim,
                    party=form.cleaned_data["party"],
                    actor=request.user,
                    consent_note=form.cleaned_data["consent_note"],
                )
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, gettext("The representative was recorded."), messages.SUCCESS)
            return redirect(self._change_url(claim))
        return self._form_page(request, claim, form, gettext("Elect a representative"))

    def risk_view(self, request, object_id):
        claim = self._claim(request, object_id)
        form = ClaimRiskForm(request.POST or None, initial={"risk": claim.risk})
        if request.method == "POST" and form.is_valid():
            try:
                claim_set_risk(claim=claim, actor=request.user, **form.cleaned_data)
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, gettext("The risk level of the claim was set."), messages.SUCCESS)
            return redirect(self._change_url(claim))
        return self._form_page(request, claim, form, gettext("Set the risk level"))

    def supervise_view(self, request, object_id):
        """督办: a supervisor (or superuser) whose scope holds the claim orders its supervision."""
        claim = self._claim(request, object_id)  # 404 outside the user's scope
        if not _supervises(request.user):
            raise PermissionDenied
        form = ClaimSupervisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                claim_supervision_order(claim=claim, actor=request.user, note=form.cleaned_data["note"].strip())
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Supervision of collective claim %(claim)s ordered; %(mediator)s has been notified.")
                    % {"claim": claim.number, "mediator": claim.mediator},
                    messages.SUCCESS,
                )
            return redirect(self._change_url(claim))
        return self._form_page(request, claim, form, gettext("Order supervision"))

    def meeting_view(self, request, object_id):
        claim = self._claim(request, object_id)
        form = ClaimMeetingForm(request.POST or None, initial={"topic": claim.title})
        community = _claim_community(claim)
        if request.method == "POST" and form.is_valid():
            try:
                if community is None:
                    raise CaseError(gettext("A four-party meeting is convened by a community."))
                meeting = claim_meeting_create(
                    claim=claim, community=community, actor=request.user, **form.cleaned_data
                )
            except CaseError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, gettext("The claim's four-party meeting was scheduled."), messages.SUCCESS)
                return redirect(reverse("admin:disputes_meeting_change", args=[meeting.pk]))
            return redirect(self._change_url(claim))
        return self._form_page(request, claim, form, gettext("Schedule the claim's four-party meeting"))

    def _form_page(self, request, claim, form, title):
        return self._render(
            request,
            "admin/disputes/collectiveclaim/form.html",
            title=f"{title}：{claim.number}",
            claim=claim,
            form=form,
            submit=title,
            change_url=self._change_url(claim),
        )


def _supervises(user) -> bool:
    return user.is_superuser or user.is_supervisor


def _claim_community(claim: CollectiveClaim) -> Area | None:
    """The community that convenes the claim's meeting: the claim's own area or the one above it,
    else (a claim across communities) the community of its first case."""
    area = claim.area
    if area.kind not in (Area.Kind.COMMUNITY, Area.Kind.GRID):
        first = claim.cases.select_related("area").order_by("pk").first()
        if first is None:
            return None
        area = first.area
    return selectors.community_of(area)
