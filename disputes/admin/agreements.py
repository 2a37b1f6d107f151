"""Mediation agreements (with their print view) and follow-up visits in the mediators' workbench.

Every list is limited to the case's area. Writes with consequences go through
disputes.services.closure; the forms check the same rules first, so a refusal shows as a form
error instead of a failed save.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from disputes import admin_forms, selectors
from disputes.admin.scoped import CompactInline, ScopedAdmin, scoped_cases
from disputes.models import Agreement, AgreementSignature, Case, FollowUp, Party
from disputes.services import closure as closure_services
from disputes.services.cases import CaseError

# --- Agreements --------------------------------------------------------------------------------


class AgreementForm(admin_forms.AgreementConfirmsForm):
    class Meta:
        model = Agreement
        fields = [
            "case", "kind", "drafted_on", "reached_on", "written_requested", "settles_rights",
            "parties_details", "facts", "issues", "responsibilities", "terms",
            "performance_method", "performance_place", "performance_deadline", "oral_content", "scan",
            "confirms", "confirmation_wanted", "confirmation_applied_at", "court", "court_case_number",
            "confirmation_result",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        case = data.get("case") or getattr(self.instance, "case", None)
        if self.instance.pk is None and case is not None and case.status != Case.Status.IN_MEDIATION:
            raise forms.ValidationError(gettext("An agreement is drafted while the case is in mediation."))
        if self.instance.pk and self.instance.is_effective:
            changed = set(self.changed_data) - {"scan", "confirms", "confirmation_wanted", "confirmation_applied_at",
                                                 "court", "court_case_number", "confirmation_result"}  # fmt: skip
            if changed:
                raise forms.ValidationError(
                    gettext("The agreement has taken effect: its text can no longer be changed.")
                )
        return data


class SignatureInline(CompactInline):
    model = AgreementSignature
    extra = 1
    fields = ["signer", "party", "signed_on", "recorded_by"]
    readonly_fields = ["recorded_by"]
    can_delete = False
    verbose_name_plural = _(
        "Signatures (the agreement takes effect when every party, the mediator and the seal are recorded)"
    )

    def has_change_permission(self, request, obj=None):
        return False  # a recorded signature is a fact: add, never edit

    def has_add_permission(self, request, obj=None):
        return obj is not None and not obj.is_effective and super().has_add_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "party":
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = Party.objects.filter(case__agreement__pk=object_id or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Agreement)
class AgreementAdmin(ScopedAdmin):
    form = AgreementForm
    list_display = [
        "case",
        "kind",
        "effective_on",
        "confirmation_wanted",
        "window_ends_on",
        "confirmation_result",
    ]
    list_filter = ["kind", "confirmation_wanted", "confirmation_result", "effective_at"]
    search_fields = ["case__number", "case__title", "terms"]
    list_select_related = ["case"]
    readonly_fields = ["effective_on", "missing_signers", "window_ends_on", "confirmation_note"]
    change_form_template = "admin/disputes/agreement/change_form.html"

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["case", "kind", "effective_on", "missing_signers"]}),
            (_("Agreement (People's Mediation Law Art. 29)"), {"fields": [
                "drafted_on", ("written_requested", "settles_rights"),
                "parties_details", "facts", "issues", "responsibilities", "terms",
                "performance_method", ("performance_place", "performance_deadline"), "scan",
            ]}),
            (_("Oral agreement"), {"fields": ["reached_on", "oral_content"]}),
            (_("Judicial confirmation (Art. 33)"), {"fields": [
                "confirmation_note", "confirms", "confirmation_wanted", "window_ends_on",
                "confirmation_applied_at", ("court", "court_case_number"), "confirmation_result",
            ]}),
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["case", "kind"] if obj else fields

    def get_inline_instances(self, request, obj=None):
        if obj is None or obj.kind != Agreement.Kind.WRITTEN:
            return []
        return [SignatureInline(self.model, self.admin_site)]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            kwargs["queryset"] = scoped_cases(request, [Case.Status.IN_MEDIATION]).filter(agreement__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("still to sign"))
    def missing_signers(self, obj):
        if obj.pk is None or obj.kind != Agreement.Kind.WRITTEN:
            return "-"
        return ", ".join(closure_services.agreement_missing_signers(obj)) or gettext("Everyone has signed.")

    @admin.display(description=_("effective from"), ordering="effective_at")
    def effective_on(self, obj):
        return obj.effective_on or "-"

    @admin.display(description=_("apply for confirmation by"), ordering="confirmation_window_ends_at")
    def window_ends_on(self, obj):
        return obj.confirmation_window_ends_on or "-"

    @admin.display(description=_("eligibility"))
    def confirmation_note(self, obj):
        if obj.pk is None:
            return "-"
        if obj.confirmation_eligible:
            return gettext("The parties may apply to the court within 30 days of the agreement taking effect.")
        if obj.kind == Agreement.Kind.ORAL:
            return gettext("An oral agreement cannot be confirmed by a court.")
        return gettext("Not eligible: a court cannot confirm an agreement that confirms %(what)s.") % {
            "what": obj.get_confirms_display()
        }

    def has_add_permission(self, request):
        return False  # drafted from its case: the workbench's "Draft the agreement" (disputes/admin/workbench.py)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data.get(f) for f in form.changed_data if f not in ("case", "kind")}
        try:
            closure_services.agreement_update(agreement=obj, actor=request.user, **data)
        except CaseError as exc:
            raise PermissionDenied(str(exc)) from exc  # the form checks the same rules first

    def save_formset(self, request, form, formset, change):
        if formset.model is not AgreementSignature:
            return super().save_formset(request, form, formset, change)
        for f in formset.forms:
            if f.instance.pk is None and f.has_changed() and f.is_valid():
                try:
                    closure_services.agreement_sign(
                        agreement=form.instance,
                        signer=f.cleaned_data["signer"],
                        party=f.cleaned_data.get("party"),
                        signed_on=f.cleaned_data.get("signed_on"),
                        actor=request.user,
                    )
                except CaseError as exc:
                    self._report(request, exc)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def get_urls(self):
        return [
            path(
                "<int:object_id>/print/", self.admin_site.admin_view(self.print_view), name="disputes_agreement_print"
            ),
            *super().get_urls(),
        ]

    def print_view(self, request, object_id):
        agreement = get_object_or_404(
            self.get_queryset(request).select_related("case__area", "case__mediator"), pk=object_id
        )
        if not self.has_view_permission(request, agreement):
            raise PermissionDenied
        parties = list(agreement.case.parties.all())
        copies = [p.name for p in parties] + [gettext("People's mediation committee")]
        # The committee is the community's: a case filed at grid level still prints its community.
        area = agreement.case.area
        community = selectors.community_of(area) or area
        context = {
            **self.admin_site.each_context(request),
            "committee_area": community,
            "agreement": agreement,
            "case": agreement.case,
            "parties": parties,
            "copies": copies,
            "copy_count": len(copies),
            "signatures": list(agreement.signatures.select_related("party")),
        }
        return TemplateResponse(request, "disputes/agreement_print.html", context)

    def response_change(self, request, obj):
        if "_resolve_case" in request.POST:
            outcome = (
                Case.Outcome.WRITTEN_AGREEMENT if obj.kind == Agreement.Kind.WRITTEN else Case.Outcome.ORAL_AGREEMENT
            )
            try:
                closure_services.case_close_with_outcome(
                    case=Case.objects.get(pk=obj.case_id),
                    actor=request.user,
                    outcome=outcome,
                    summary=gettext("Resolved by the %(kind)s.") % {"kind": obj.get_kind_display()},
                )
                self.message_user(request, gettext("The case was resolved with this agreement."), messages.SUCCESS)
            except CaseError as exc:
                self._report(request, exc)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["print_url"] = reverse("admin:disputes_agreement_print", args=[obj.pk])
            context["can_resolve_case"] = obj.is_effective and obj.case.status == Case.Status.IN_MEDIATION
        return super().render_change_form(request, context, add, change, form_url, obj)


# --- Follow-ups --------------------------------------------------------------------------------


@admin.register(FollowUp)
class FollowUpAdmin(ScopedAdmin):
    list_display = [
        "case",
        "visited_at",
        "source",
        "method",
        "performing",
        "satisfaction",
        "reopen_suggested",
        "reopened_at",
    ]
    list_filter = ["reopen_suggested", "satisfaction", "performing", "source", "method"]
    search_fields = ["case__number", "case__title", "comment", "new_risk"]
    list_select_related = ["case", "party", "by"]
    actions = ["reopen_cases"]
    change_form_template = "admin/disputes/followup/change_form.html"

    def has_add_permission(self, request):
        return False  # recorded from its case: the workbench's "Record a follow-up visit"

    def save_model(self, request, obj, form, change):
        pass  # a follow-up is a record: nothing to change (its page only offers the reopening)

    def get_fields(self, request, obj=None):
        return ["case", "source", "party", "visited_at", "method", "performing", "satisfaction", "new_risk",
                "comment", "by", "reopen_suggested", "reopened_at"]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def _reopen(self, request, follow_up) -> bool:
        try:
            closure_services.follow_up_reopen(follow_up=follow_up, actor=request.user)
        except CaseError as exc:
            self._report(request, exc)
            return False
        return True

    @admin.action(description=_("Reopen the cases of the selected follow-ups"), permissions=["change"])
    def reopen_cases(self, request, queryset):
        done = sum(self._reopen(request, f) for f in queryset.filter(reopen_suggested=True))
        self.message_user(
            request,
            ngettext("%(count)d case reopened.", "%(count)d cases reopened.", done) % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    def response_change(self, request, obj):
        if "_reopen_case" in request.POST:
            if self._reopen(request, obj):
                self.message_user(
                    request, gettext("Case %(number)s was reopened.") % {"number": obj.case.number}, messages.SUCCESS
                )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["can_reopen"] = (
                obj.reopen_suggested
                and obj.reopened_at is None
                and obj.case.status in (Case.Status.RESOLVED, Case.Status.CLOSED)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
