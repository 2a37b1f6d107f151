"""The mediators' workbench: the scoped case queue and the case page.

Everything is limited to the cases the user may see (disputes.visibility, the one door): the
list, the change page, autocompletes, actions and the custom views all load cases through
`CaseAdmin.get_queryset`. Status changes only go through disputes.services, behind the step
buttons and bulk actions of disputes/admin/case_steps.py; the list filters are in
disputes/admin/case_filters.py and the session records in disputes/admin/sessions.py.
"""

from django.contrib import admin
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import mask_id_number, mask_phone
from config.admin_inputs import SafeInputsAdmin
from disputes import admin_forms
from disputes.admin.case_filters import AreaFilter, AssignmentFilter, DeadlineFilter
from disputes.admin.case_steps import CaseStepViews
from disputes.admin.claims import ClaimActions
from disputes.admin.paging import CappedPaginator
from disputes.admin.sessions import scan_link_html
from disputes.admin.titles import PlainListTitle
from disputes.admin.workbench import CaseDocumentViews, workbench_buttons
from disputes.models import Case, CaseEvent, Evidence, MediationSession, Party, PersonalDataView
from disputes.selectors import case_search, claim_for_case, meeting_list_for_case, related_open_cases
from disputes.visibility import areas_visible_to, case_scope_q, case_visible_to, cases_visible_to, serves_case_area

# --- Inlines of the case page ----------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartyInline(ReadOnlyInline):
    model = Party
    fields = ["role", "kind", "name", "phone_shown", "id_number_shown", "address", "consents_to_mediation"]
    readonly_fields = fields
    # Set per request by CaseAdmin.get_inline_instances: full values only for staff of the area.
    show_personal_data = False

    @admin.display(description=_("phone"))
    def phone_shown(self, obj: Party) -> str:
        return obj.phone if self.show_personal_data else mask_phone(obj.phone)

    @admin.display(description=_("ID number"))
    def id_number_shown(self, obj: Party) -> str:
        return obj.id_number if self.show_personal_data else mask_id_number(obj.id_number)


def evidence_url(evidence: Evidence) -> str:
    return reverse("disputes:evidence_download", args=[evidence.pk])


# What a mediator reads instead of a MIME type (disputes.uploads accepts only these).
EVIDENCE_KINDS = {
    "image/jpeg": _("photo (JPEG)"),
    "image/png": _("picture (PNG)"),
    "image/webp": _("picture (WebP)"),
    "application/pdf": _("PDF document"),
}


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["preview", "file_link", "description", "kind", "file_size", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("preview"))
    def preview(self, obj: Evidence) -> str:
        # Photos show as a small picture through the same access-checked view (loaded lazily, so a
        # long case page does not fetch every photo up front); other files have no preview.
        if not obj.content_type.startswith("image/"):
            return "-"
        url = evidence_url(obj)
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" loading="lazy" class="linli-evidence-thumb"></a>',
            url,
            url,
            obj.original_name,
        )

    @admin.display(description=_("file"))
    def file_link(self, obj: Evidence) -> str:
        return format_html('<a href="{}">{}</a>', evidence_url(obj), obj.original_name)

    @admin.display(description=_("type"))
    def kind(self, obj: Evidence) -> str:
        return EVIDENCE_KINDS.get(obj.content_type, obj.content_type)

    @admin.display(description=_("size"))
    def file_size(self, obj: Evidence) -> str:
        return filesizeformat(obj.size)


class SessionInline(ReadOnlyInline):
    model = MediationSession
    verbose_name_plural = _("mediation sessions (调解笔录)")
    fields = ["held_at", "place", "attendees", "content", "agreed", "scan_link", "recorded_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    @admin.display(description=_("signed record"))
    def scan_link(self, obj: MediationSession) -> str:
        return scan_link_html(obj)


class TimelineInline(ReadOnlyInline):
    model = CaseEvent
    verbose_name_plural = _("timeline")
    fields = ["created_at", "kind", "actor", "status_change", "note", "is_public"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("created_at", "pk")

    @admin.display(description=_("status"))
    def status_change(self, obj: CaseEvent) -> str:
        if not obj.new_status:
            return ""
        if not obj.old_status:
            return obj.get_new_status_display()
        return f"{obj.get_old_status_display()} → {obj.get_new_status_display()}"


# --- The case admin --------------------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(CaseDocumentViews, CaseStepViews, ClaimActions, PlainListTitle, SafeInputsAdmin, admin.ModelAdmin):
    list_display = [
        "number",
        "title",
        "category",
        "applicant",
        "place",
        "status",
        "tier",
        "mediator",
        "deadline_badge",
        "age_days",
    ]
    list_filter = [
        "status",
        "category",
        AreaFilter,
        AssignmentFilter,
        DeadlineFilter,
        "is_collective",
        "source",
        "risk",
        "tier",
    ]
    # Searching is done by get_search_results (disputes.selectors.case_search, index lookups
    # only); the fields are listed for the autocomplete, which requires them.
    search_fields = ["number", "parties__name", "parties__phone"]
    search_help_text = _(
        "A case number or its last digits, a party's phone number (whole, first digits or last four) "
        "or the first two or more characters of a party's name."
    )
    list_select_related = ["category", "area", "estate", "mediator"]
    ordering = ["-submitted_at", "-pk"]
    list_per_page = 100
    paginator = CappedPaginator  # counts up to 10,000 cases, not all of them
    show_full_result_count = False
    view_on_site = False  # the public case page is for the parties
    actions = [
        "accept_with_suggested_mediator",
        "acknowledge_cases",
        "reassign_cases",
        "create_collective_claim",
        "add_to_collective_claim",
    ]
    inlines = [PartyInline, EvidenceInline, SessionInline, TimelineInline]
    change_form_template = "admin/disputes/case/change_form.html"
    change_list_template = "admin/disputes/case/change_list.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "status",
                    "category",
                    "source",
                    "tier",
                    "mediator",
                    "risk",
                    "households",
                    "is_collective",
                    "collective_claim",
                ]
            },
        ),
        (_("Place"), {"fields": ["area", "estate", "building", "address"]}),
        (_("The dispute"), {"fields": ["title", "summary", "request"]}),
        (
            _("Deadlines"),
            {
                "fields": [
                    "deadline_badge",
                    "submitted_at",
                    "accept_due_at",
                    "acknowledge_due_at",
                    "resolve_due_at",
                    "follow_up_due_at",
                    "extended",
                    "due_soon_at",
                    "legacy_at",
                    "suspended_at",
                    "suspended_total",
                ]
            },
        ),
        (
            _("Outcome"),
            {
                "classes": ["collapse"],
                "fields": [
                    "outcome",
                    "outcome_summary",
                    "rejection_reason",
                    "rejection_advice",
                    "routes_advised",
                    "referral_target",
                ],
            },
        ),
    ]

    # -- scope --

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(case_scope_q(request.user))
            .select_related("category", "area", "estate", "mediator")
            # The applicants of the page's rows in one query (a correlated subquery per column
            # made SQLite compute them for every case in scope before sorting: 15x slower).
            .prefetch_related(
                Prefetch("parties", queryset=Party.objects.filter(role=Party.Role.APPLICANT), to_attr="applicants")
            )
        )

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (obj is None or case_visible_to(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or case_visible_to(request.user, obj))

    def has_add_permission(self, request):
        return False  # staff register cases through register_view, which calls case_submit

    def has_delete_permission(self, request, obj=None):
        return False  # a case is never deleted; it is rejected, withdrawn or closed

    def has_supervise_permission(self, request, obj=None):
        return request.user.has_perm("disputes.supervise_case")

    def get_readonly_fields(self, request, obj=None):
        # Nothing on the case page is edited in place: every change is a step with its own form.
        return [f for _name, opts in self.fieldsets for f in opts["fields"]]

    def get_search_results(self, request, queryset, search_term):
        # One id per case from the search's subquery: nothing to de-duplicate.
        return case_search(queryset, search_term), False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "mediator":
            kwargs["queryset"] = self._staff_in_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _staff_in_scope(self, request):
        return (
            User.objects.filter(
                role__in=[User.Role.MEDIATOR, User.Role.SUPERVISOR],
                is_active=True,
                areas__in=areas_visible_to(request.user),
            )
            .distinct()
            .order_by("full_name", "username")
        )

    # -- list columns --

    def action_checkbox(self, obj: Case) -> str:
        # The same markup as Django's, without rendering a widget template per row (a third of
        # the changelist's time at 100 rows).
        label = escape(gettext("Select this object for an action - {}").format(obj))
        return mark_safe(
            f'<input type="checkbox" name="{admin.helpers.ACTION_CHECKBOX_NAME}" value="{obj.pk}" '
            f'class="action-select" aria-label="{label}">'
        )

    @admin.display(description=_("applicant"))
    def applicant(self, obj: Case) -> str:
        if not obj.applicants:
            return "—"
        first = obj.applicants[0]
        return format_html("{}<br><small>{}</small>", first.name, mask_phone(first.phone))

    @admin.display(description=_("place"), ordering="area__path")
    def place(self, obj: Case) -> str:
        if obj.estate_id:
            return format_html("{}<br><small>{}</small>", obj.area.name, obj.estate.name)
        return obj.area.name

    @admin.display(description=_("next deadline"), ordering="next_due_at")
    def deadline_badge(self, obj: Case) -> str:
        colour = obj.deadline_colour
        # strftime, not date_format: two localised formats per row were a tenth of the list's time.
        due = timezone.localtime(obj.next_due_at) if obj.next_due_at else None
        if colour == "green":
            label = gettext("Done")
        elif colour == "grey":
            label = gettext("Suspended")
        else:
            label = f"{due:%m-%d}" if due else "—"
        # The colours are in static/css/linli_admin.css (the CSP blocks style attributes).
        return format_html(
            '<span class="linli-deadline linli-deadline-{}" title="{}">{}</span>',
            colour,
            f"{due:%Y-%m-%d %H:%M}" if due else "",
            label,
        )

    @admin.display(description=_("age (days)"), ordering="submitted_at")
    def age_days(self, obj: Case) -> int:
        return obj.age.days

    # -- the case page --

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if isinstance(inline, PartyInline):
                inline.show_personal_data = obj is not None and serves_case_area(request.user, obj)
        return inlines

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # Nothing is edited in place (all fields are read-only): never save the whole row,
            # which would bypass the lifecycle's version check.
            return HttpResponseRedirect(request.path)
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            if serves_case_area(request.user, obj):
                PersonalDataView.objects.create(user=request.user, case=obj, where="admin case page")
            context.update(
                steps=[
                    {"name": b.name, "label": b.label, "url": b.url(obj), "primary": b.primary}
                    for b in workbench_buttons(obj, supervisor=self.has_supervise_permission(request))
                ],
                meetings=list(meeting_list_for_case(obj)),
                claim=claim_for_case(obj),
                related=related_open_cases(
                    estate_id=obj.estate_id,
                    category_id=obj.category_id,
                    building=obj.building,
                    exclude_case_id=obj.pk,
                    within=cases_visible_to(request.user),
                )
                if obj.estate_id
                else [],
                note_form=admin_forms.NoteForm(),
                note_url=reverse("admin:disputes_case_note", args=[obj.pk]),
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
                title=capfirst(self.model._meta.verbose_name),  # nothing is changed in place
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


# --- Who saw personal data -------------------------------------------------------------------


@admin.register(PersonalDataView)
class PersonalDataViewAdmin(SafeInputsAdmin, admin.ModelAdmin):
    list_display = ["viewed_at", "user", "case", "where", "scope", "rows"]
    list_filter = ["viewed_at"]
    search_fields = ["case__number", "user__username", "user__full_name"]
    list_select_related = ["user", "case"]
    date_hierarchy = "viewed_at"

    def has_module_permission(self, request):
        return self._is_administrator(request)

    def has_view_permission(self, request, obj=None):
        return self._is_administrator(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def _is_administrator(request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or getattr(user, "role", None) == User.Role.ADMINISTRATOR)
