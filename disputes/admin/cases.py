"""The mediators' workbench: the scoped case queue, the case page and the lifecycle buttons.

Everything is limited to the areas the user serves (case_scope_q, area_scope_q): the list,
the change page, autocompletes, actions and the custom views all load cases through
`CaseAdmin.get_queryset`. Status changes only go through disputes.services.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts import services as account_services
from accounts.models import User
from accounts.selectors import area_list_for_user, area_scope_q, area_subtree_q, served_areas
from accounts.validators import mask_id_number, mask_phone, normalise_phone
from disputes import admin_forms, selectors, services
from disputes.deadlines import DUE_SOON, LEGACY_AFTER
from disputes.models import Case, CaseEvent, Evidence, MediationSession, Party, PersonalDataView
from disputes.services.sessions import mediation_session_record

S = Case.Status


def case_scope_q(user: User) -> Q:
    """The cases of the user's area subtrees, as accounts.selectors.area_scope_q, but through the
    joined area's path: SQLite then walks the newest-first index and stops at the page's 100 rows
    (20 ms on 100,000 cases) instead of reading every case of the subtree and sorting (350 ms)."""
    if user.is_superuser:
        return Q()
    if not user.is_authenticated or user.is_resident:
        return Q(pk__in=[])
    return area_subtree_q(served_areas(user), prefix="area__")


def case_in_scope(user: User, case: Case) -> bool:
    """Whether the case's area is in the user's subtrees (superusers: everywhere)."""
    return user.is_superuser or serves_case_area(user, case)


def serves_case_area(user: User, case: Case) -> bool:
    # Staff of the case's area: they serve the area itself or one of its ancestors. Only they see
    # full phone and ID numbers (DESIGN §11); a superuser without such an area sees them masked.
    return any(case.area.path.startswith(a.path) for a in served_areas(user))


# --- List filters ----------------------------------------------------------------------------


class AreaFilter(admin.SimpleListFilter):
    title = _("area")
    parameter_name = "area"

    def lookups(self, request, model_admin):
        areas = list(area_list_for_user(request.user).only("pk", "name", "path"))
        top = min((a.depth for a in areas), default=1)
        return [(str(a.pk), "\u3000" * (a.depth - top) + a.name) for a in areas]

    def queryset(self, request, queryset):
        if not (self.value() or "").isdigit():
            return queryset
        # Looked up in the user's own areas: a foreign area id filters to nothing.
        area = area_list_for_user(request.user).filter(pk=self.value()).only("path").first()
        if area is None:
            return queryset.none()
        return queryset.filter(area__path__startswith=area.path)


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("mine", _("My cases")), ("unassigned", _("Unassigned"))]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(mediator=request.user)
        if self.value() == "unassigned":
            return queryset.filter(mediator__isnull=True, status__in=Case.OPEN_STATUSES)
        return queryset


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("due_soon", _("Due soon")),
            ("legacy", _("Legacy (open over 90 days)")),
            ("suspended", _("Suspended")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        # Cases with a running clock: the (status, next_due_at) index serves these filters.
        running = [*Case.OPEN_STATUSES, S.RESOLVED]
        if self.value() == "overdue":
            return queryset.filter(status__in=running, next_due_at__lt=now, suspended_at__isnull=True)
        if self.value() == "due_soon":
            return queryset.filter(
                status__in=running, next_due_at__gte=now, next_due_at__lt=now + DUE_SOON, suspended_at__isnull=True
            )
        if self.value() == "legacy":
            return queryset.exclude(status__in=Case.TERMINAL_STATUSES).filter(submitted_at__lt=now - LEGACY_AFTER)
        if self.value() == "suspended":
            return queryset.filter(suspended_at__isnull=False).exclude(status__in=Case.TERMINAL_STATUSES)
        return queryset


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


def evidence_url(evidence: Evidence) -> str | None:
    # The access-checked download view lives in disputes/views; until it exists, show no link.
    for args in ([evidence.pk], [evidence.case_id, evidence.pk]):
        try:
            return reverse("disputes:evidence_download", args=args)
        except NoReverseMatch:
            continue
    return None


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["file_link", "description", "content_type", "size", "uploaded_at"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def file_link(self, obj: Evidence) -> str:
        url = evidence_url(obj)
        if url is None:
            return obj.original_name
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


def scan_link_html(session: MediationSession) -> str:
    if not session.scan:
        return "—"
    url = reverse("admin:disputes_mediationsession_scan", args=[session.pk])
    return format_html('<a href="{}">{}</a>', url, gettext("Download"))


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


# --- Lifecycle steps behind the buttons ------------------------------------------------------


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    form: type
    statuses: tuple
    run: Callable
    done: str  # message; %(number)s is the case number
    supervisor_only: bool = False
    extra_check: Callable = field(default=lambda case: True)


STEPS = {
    step.name: step
    for step in [
        Step(
            "accept",
            _("Accept and assign"),
            admin_forms.AcceptForm,
            (S.SUBMITTED,),
            lambda case, actor, d: services.case_accept(
                case=case, actor=actor, mediator=d["mediator"], note=d["note"]
            ),
            _("Case %(number)s was accepted and assigned."),
        ),
        Step(
            "reject",
            _("Reject"),
            admin_forms.RejectForm,
            (S.SUBMITTED,),
            lambda case, actor, d: services.case_reject(
                case=case, actor=actor, reason=d["reason"], advice=d["advice"]
            ),
            _("Case %(number)s was not accepted; the applicant is told why."),
        ),
        Step(
            "acknowledge",
            _("Acknowledge"),
            admin_forms.AcknowledgeForm,
            (S.ASSIGNED,),
            lambda case, actor, d: services.case_acknowledge(case=case, actor=actor),
            _("Case %(number)s was acknowledged; mediation has started."),
        ),
        Step(
            "escalate",
            _("Escalate"),
            admin_forms.EscalateForm,
            (S.ASSIGNED, S.IN_MEDIATION),
            lambda case, actor, d: services.case_escalate(
                case=case, actor=actor, reason=d["reason"], mediator=d.get("mediator")
            ),
            _("Case %(number)s was escalated to the tier above."),
            extra_check=lambda case: case.tier < Case.Tier.DISTRICT,
        ),
        Step(
            "extend",
            _("Extend the deadline"),
            admin_forms.ExtendForm,
            (S.ASSIGNED, S.IN_MEDIATION),
            lambda case, actor, d: services.case_extend(case=case, actor=actor, consent_note=d["consent_note"]),
            _("The deadline of case %(number)s was extended."),
            extra_check=lambda case: not case.extended,
        ),
        Step(
            "terminate",
            _("Terminate mediation"),
            admin_forms.TerminateForm,
            (S.ASSIGNED, S.IN_MEDIATION),
            lambda case, actor, d: services.case_terminate(
                case=case, actor=actor, routes_advised=d["routes_advised"], note=d["note"]
            ),
            _("Mediation of case %(number)s was terminated."),
        ),
        Step(
            "reopen",
            _("Reopen"),
            admin_forms.ReopenForm,
            (S.RESOLVED, S.CLOSED),
            lambda case, actor, d: services.case_reopen(case=case, actor=actor, reason=d["reason"]),
            _("Case %(number)s was reopened."),
        ),
        Step(
            "reassign",
            _("Reassign"),
            admin_forms.ReassignForm,
            (S.ASSIGNED, S.IN_MEDIATION),
            lambda case, actor, d: services.case_reassign(
                case=case, actor=actor, mediator=d["mediator"], note=d["note"]
            ),
            _("Case %(number)s was reassigned."),
            supervisor_only=True,
        ),
    ]
}


# --- The case admin --------------------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = [
        "number",
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
    # Searching is done by get_search_results (one subquery on parties, no duplicates); the
    # fields are listed for the autocomplete, which requires them.
    search_fields = ["number", "parties__name", "parties__phone"]
    search_help_text = _("Case number, a party's name or phone number.")
    list_select_related = ["category", "area", "estate", "mediator"]
    ordering = ["-submitted_at", "-pk"]
    list_per_page = 100
    show_full_result_count = False
    view_on_site = False  # the public case page is for the parties
    actions = ["accept_with_suggested_mediator", "acknowledge_cases", "reassign_cases"]
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
        return super().has_view_permission(request, obj) and (obj is None or case_in_scope(request.user, obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or case_in_scope(request.user, obj))

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
        term = search_term.strip()
        if not term:
            return queryset, False
        parties = Q(name__icontains=term)
        digits = normalise_phone(term)
        if digits.isdigit() and len(digits) >= 4:  # a whole or partial phone number
            parties |= Q(phone__contains=digits)
        # A subquery on parties instead of a join: one row per case, nothing to de-duplicate.
        return queryset.filter(
            Q(number__icontains=term) | Q(pk__in=Party.objects.filter(parties).values("case_id"))
        ), False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "mediator":
            kwargs["queryset"] = self._staff_in_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _staff_in_scope(self, request):
        return (
            User.objects.filter(
                role__in=[User.Role.MEDIATOR, User.Role.SUPERVISOR],
                is_active=True,
                areas__in=area_list_for_user(request.user),
            )
            .distinct()
            .order_by("full_name", "username")
        )

    # -- list columns --

    def action_checkbox(self, obj: Case) -> str:
        # The same markup as Django's, without rendering a widget template per row (a third of
        # the changelist's time at 100 rows).
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
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
        styles = {
            "green": ("#e6f4ea", "#1e6b34"),
            "yellow": ("#fff4cc", "#7a5b00"),
            "red": ("#fde7e7", "#a61b1b"),
            "grey": ("#eeeeee", "#555555"),
            "blue": ("#e8f0fe", "#1a4d99"),
        }
        background, text = styles[colour]
        if colour == "green":
            label = gettext("Done")
        elif colour == "grey":
            label = gettext("Suspended")
        elif obj.next_due_at:
            label = date_format(timezone.localtime(obj.next_due_at), "m-d")
        else:
            label = "—"
        due = date_format(timezone.localtime(obj.next_due_at), "DATETIME_FORMAT") if obj.next_due_at else ""
        return format_html(
            '<span class="linli-deadline linli-deadline-{}" title="{}" style="background:{};color:{};'
            'padding:2px 6px;border-radius:8px;white-space:nowrap">{}</span>',
            colour,
            due,
            background,
            text,
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
                    {
                        "name": s.name,
                        "label": s.label,
                        "url": reverse("admin:disputes_case_step", args=[obj.pk, s.name]),
                    }
                    for s in self._steps_for(request, obj)
                ],
                note_form=admin_forms.NoteForm(),
                note_url=reverse("admin:disputes_case_note", args=[obj.pk]),
                session_add_url=reverse("admin:disputes_mediationsession_add") + f"?case={obj.pk}",
                show_save=False,
                show_save_and_continue=False,
                show_save_and_add_another=False,
                show_delete=False,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _steps_for(self, request, case: Case) -> list[Step]:
        supervisor = self.has_supervise_permission(request)
        return [
            s
            for s in STEPS.values()
            if case.status in s.statuses and s.extra_check(case) and (supervisor or not s.supervisor_only)
        ]

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
        case = self.get_queryset(request).filter(pk=object_id).first() if str(object_id).isdigit() else None
        if case is None:
            raise Http404(gettext("No such case in your areas."))
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        return case

    def _change_url(self, case: Case) -> str:
        return reverse("admin:disputes_case_change", args=[case.pk])

    def step_view(self, request, object_id, step):
        case = self._case_for_change(request, object_id)
        step = STEPS.get(step)
        if request.method == "POST" and request.POST.get("version") != str(case.version):
            # Someone moved the case since this form was shown: refuse rather than act on an
            # outdated page; the service does the same for a change between load and write.
            self.message_user(request, str(services.StaleCase(case.number)), messages.WARNING)
            return redirect(self._change_url(case))
        if step is None or step not in self._steps_for(request, case):
            if step is not None and step.supervisor_only and not self.has_supervise_permission(request):
                raise PermissionDenied
            self.message_user(
                request,
                gettext("This step is not possible for case %(number)s in its current state.")
                % {"number": case.number},
                messages.WARNING,
            )
            return redirect(self._change_url(case))
        staff = selectors.staff_list_for_case(case) if "mediator" in step.form.base_fields else None
        suggested = selectors.mediator_suggest_for_case(case) if step.name == "accept" else None
        form = step.form(request.POST or None, case=case, staff=staff, suggested=suggested)
        if request.method == "POST" and form.is_valid():
            self._run_step(request, case, step, form.cleaned_data)
            return redirect(self._change_url(case))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{step.label}: {case.number}",
            "case": case,
            "form": form,
            "step": step,
            "suggested": suggested,
            "change_url": self._change_url(case),
        }
        return TemplateResponse(request, "admin/disputes/case/step_form.html", context)

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
        areas = area_list_for_user(request.user)
        form = admin_forms.CaseRegisterForm(request.POST or None, areas=areas)
        if request.method == "POST" and form.is_valid():
            case = self._register(request, form.cleaned_data)
            self.message_user(
                request,
                gettext("Case %(number)s was registered for %(name)s.")
                % {"number": case.number, "name": form.cleaned_data["applicant_name"]},
                messages.SUCCESS,
            )
            return redirect(self._change_url(case))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Register a case"),
            "form": form,
        }
        return TemplateResponse(request, "admin/disputes/case/register.html", context)

    def _register(self, request, data: dict) -> Case:
        resident = User.objects.filter(phone=data["applicant_phone"]).first()
        if resident is None:
            # The resident gets an account they can claim later by logging in with their phone.
            resident = account_services.resident_register(
                phone=data["applicant_phone"], password=secrets.token_urlsafe(24), full_name=data["applicant_name"]
            )
        parties = [
            services.PartyData(
                role=Party.Role.APPLICANT,
                name=data["applicant_name"],
                phone=data["applicant_phone"],
                id_number=data["applicant_id_number"],
                user=resident,
            )
        ]
        if data["respondent_name"]:
            parties.append(
                services.PartyData(
                    role=Party.Role.RESPONDENT, name=data["respondent_name"], phone=data["respondent_phone"]
                )
            )
        case, _created = services.case_submit(
            filed_by=request.user,
            parties=parties,
            category_id=data["category"].pk,
            area_id=data["area"].pk,
            title=data["title"],
            summary=data["summary"],
            request=data["request"],
            households=data["households"],
            source=data["source"],
        )
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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Reassign the selected cases"),
            "form": form,
            "cases": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/disputes/case/reassign.html", context)


# --- Mediation session records ---------------------------------------------------------------


@admin.register(MediationSession)
class MediationSessionAdmin(admin.ModelAdmin):
    list_display = ["case", "held_at", "place", "recorded_by", "scan_link"]
    list_filter = ["held_at"]
    search_fields = ["case__number", "attendees"]
    list_select_related = ["case", "recorded_by"]
    autocomplete_fields = ["case"]
    form = admin_forms.MediationSessionForm
    fields = ["case", "held_at", "place", "attendees", "content", "agreed", "scan"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(area_scope_q(request.user, field="case__area"))

    def get_fields(self, request, obj=None):
        if obj is not None:  # a record is read-only once written; the scan goes through scan_view
            return ["case", "held_at", "place", "attendees", "content", "agreed", "scan_link", "recorded_by"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("held_at", timezone.localtime().replace(second=0, microsecond=0))
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            kwargs["queryset"] = Case.objects.filter(area_scope_q(request.user)).exclude(
                status__in=Case.TERMINAL_STATUSES
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = ["held_at", "place", "attendees", "content", "agreed", "scan"]
        record = {name: data.get(name) for name in fields}
        try:
            saved = mediation_session_record(case=data["case"], actor=request.user, **record)
        except services.StaleCase:
            # The case changed between loading and writing: a record is not a decision taken on
            # a stale page, so write it once more against the fresh row.
            data["case"].refresh_from_db()
            saved = mediation_session_record(case=data["case"], actor=request.user, **record)
        obj.pk = saved.pk

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(request, gettext("The session record was saved."), messages.SUCCESS)
        return redirect(reverse("admin:disputes_case_change", args=[obj.case_id]))

    @admin.display(description=_("signed record"))
    def scan_link(self, obj: MediationSession) -> str:
        return scan_link_html(obj)

    def get_urls(self):
        return [
            path("<int:pk>/scan/", self.admin_site.admin_view(self.scan_view), name="disputes_mediationsession_scan"),
            *super().get_urls(),
        ]

    def scan_view(self, request, pk):
        session = self.get_queryset(request).filter(pk=pk).first()
        if session is None or not session.scan or not self.has_view_permission(request, session):
            raise Http404
        return FileResponse(session.scan.open("rb"), as_attachment=True, filename=session.scan.name.rsplit("/", 1)[-1])


# --- Who saw personal data -------------------------------------------------------------------


@admin.register(PersonalDataView)
class PersonalDataViewAdmin(admin.ModelAdmin):
    list_display = ["viewed_at", "user", "case", "where"]
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
