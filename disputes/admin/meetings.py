"""Four-party meetings, their seats and their resolutions in the mediators' workbench.

Every list is limited to the user's areas (the convening community). Writes with consequences go
through disputes.services.meetings. Agreements and follow-ups are in disputes/admin/agreements.py.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Estate
from config.admin_inputs import SafeInputsAdmin
from disputes import admin_forms
from disputes.admin.scoped import CompactInline, ScopedAdmin, scoped_cases, staff_users
from disputes.models import AgendaItem, Case, Meeting, MeetingSeat, Resolution, SeatTemplate
from disputes.services import meetings as meeting_services
from disputes.services.cases import CaseError
from disputes.visibility import areas_visible_to


def seat_owner_names(seat: MeetingSeat) -> list[str]:
    names = [seat.attendee_name, seat.organisation.name if seat.organisation_id else seat.role]
    return [n for n in names if n]


def _resolution_move(resolution: Resolution, *, status: str, note: str, actor) -> None:
    """Give a resolution that is not done yet the status picked in a form (done: completed with the note)."""
    if status == Resolution.Status.DONE:
        meeting_services.resolution_complete(resolution=resolution, actor=actor, note=note)
    else:
        meeting_services.resolution_set_status(resolution=resolution, status=status, actor=actor)


# --- Default seats (a setting) -----------------------------------------------------------------


@admin.register(SeatTemplate)
class SeatTemplateAdmin(SafeInputsAdmin, admin.ModelAdmin):
    list_display = ["name", "organisation_kind", "required", "is_active", "order"]
    list_editable = ["required", "is_active", "order"]
    list_filter = ["required", "is_active"]
    search_fields = ["name"]
    list_select_related = []


# --- Meetings ----------------------------------------------------------------------------------


class SeatInlineForm(forms.ModelForm):
    class Meta:
        model = MeetingSeat
        fields = ["role", "organisation", "required", "attendee_name", "attendance", "absence_reason"]
        widgets = {
            "role": forms.TextInput(attrs={"size": 16}),
            "attendee_name": forms.TextInput(attrs={"size": 10}),
            "absence_reason": forms.TextInput(attrs={"size": 24}),
        }


class SeatInline(CompactInline):
    model = MeetingSeat
    max_num = 20
    form = SeatInlineForm
    extra = 0
    fields = ["role", "organisation", "required", "attendee_name", "attendance", "absence_reason"]
    verbose_name_plural = _("Seats and attendance (add a row to invite another seat, e.g. community police)")


class AgendaItemInline(CompactInline):
    model = AgendaItem
    extra = 1
    max_num = 20
    fields = ["case", "topic"]
    # Every case in scope is far too many to list in each row; the case's own meeting gets it on the
    # agenda from the case page, and another one is picked by number (select2's autocomplete fails
    # the accessibility check: its combobox has no accessible name).
    raw_id_fields = ["case"]


class ResolutionInlineForm(forms.ModelForm):
    class Meta:
        model = Resolution
        fields = ["case", "text", "owner_name", "due_date", "status", "completion_note"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2, "cols": 24}),
            "owner_name": forms.TextInput(attrs={"size": 12, "list": "linli-seat-names"}),
            "completion_note": forms.Textarea(attrs={"rows": 2, "cols": 16}),
        }


class ResolutionInline(CompactInline):
    model = Resolution
    form = ResolutionInlineForm
    extra = 1
    max_num = 20
    # The owner's account and the completion time are on the resolution's own page.
    fields = ["case", "text", "owner_name", "due_date", "status", "completion_note"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            # The cases on this meeting's agenda, not every case in scope (a select of those in
            # every row made a forged row count render for minutes).
            object_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = scoped_cases(request).filter(agenda_items__meeting_id=object_id or 0).distinct()
        elif db_field.name == "owner":
            kwargs["queryset"] = staff_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MeetingAdminForm(admin_forms.EstateOfCommunityForm):
    class Meta:
        model = Meeting
        fields = ["community", "estate", "topic", "scheduled_at", "place", "minutes", "decisions",
                  "votes_for", "votes_against", "votes_abstain"]  # fmt: skip


class MeetingHeldForm(forms.Form):
    """When the meeting actually took place: entered, defaulting to the scheduled time."""

    held_on = forms.DateTimeField(label=_("Held at"), required=False, widget=admin_forms.DateTimeInput())


@admin.register(Meeting)
class MeetingAdmin(ScopedAdmin):
    area_path = "community"
    list_display = ["scheduled_at", "topic", "community", "place", "status", "held_at", "open_resolutions"]
    list_filter = ["status", "scheduled_at"]
    search_fields = ["topic", "place", "agenda_items__case__number"]
    list_select_related = ["community"]
    date_hierarchy = "scheduled_at"
    readonly_fields = ["status", "held_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["community", "estate", "topic", ("scheduled_at", "place"), ("status", "held_at")]}),
        (
            _("Minutes and decisions (internal: residents see only the date and the resolutions)"),
            {"fields": ["minutes", "decisions", ("votes_for", "votes_against", "votes_abstain")]},
        ),
    ]
    inlines = [AgendaItemInline, SeatInline, ResolutionInline]
    actions = ["mark_held", "cancel"]
    form = MeetingAdminForm
    change_form_template = "admin/disputes/meeting/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count(
                    "resolutions",
                    filter=Q(resolutions__status__in=[Resolution.Status.OPEN, Resolution.Status.IN_PROGRESS]),
                )
            )
        )

    @admin.display(description=_("open resolutions"), ordering="open_count")
    def open_resolutions(self, obj):
        return obj.open_count

    def _communities(self, request):
        return areas_visible_to(request.user).filter(kind=Area.Kind.COMMUNITY)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "community":
            kwargs["queryset"] = self._communities(request)
        elif db_field.name == "estate":
            kwargs["queryset"] = Estate.objects.filter(community__in=self._communities(request))
            kwargs["widget"] = admin_forms.CommunityEstateSelect()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        """A meeting on a general estate topic (a case's meeting is scheduled from its page):
        meeting_create gives it the default seats, then its page records the rest."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        communities = self._communities(request)
        form = admin_forms.MeetingScheduleForm(
            request.POST or None,
            communities=communities,
            estates=Estate.objects.filter(community__in=communities).select_related("community"),
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                meeting = meeting_services.meeting_create(
                    community=d["community"], estate=d["estate"], topic=d["topic"],
                    scheduled_at=d["scheduled_at"], place=d["place"], actor=request.user,
                )  # fmt: skip
            except CaseError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    gettext("The meeting “%(topic)s” was scheduled.") % {"topic": meeting.topic},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:disputes_meeting_change", args=[meeting.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Schedule a four-party meeting"),
            "form": form,
        }
        return TemplateResponse(request, "admin/disputes/meeting/schedule.html", context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)  # a change: meetings are created by add_view

    def save_formset(self, request, form, formset, change):
        if formset.model is Resolution:
            self._save_resolutions(request, form.instance, formset)
        elif formset.model is MeetingSeat:
            self._save_seats(formset)
        else:
            super().save_formset(request, form, formset, change)

    def _save_seats(self, formset):
        instances = formset.save(commit=False)
        for seat in instances:
            if seat.pk is None:
                seat.meeting = formset.instance
                seat.save()  # an invited extra seat
            else:
                meeting_services.meeting_seat_record(
                    seat=seat,
                    attendance=seat.attendance,
                    attendee_name=seat.attendee_name,
                    absence_reason=seat.absence_reason,
                )
                seat.save(update_fields=["role", "organisation", "required"])
        for seat in formset.deleted_objects:
            seat.delete()

    def _save_resolutions(self, request, meeting, formset):
        for f in formset.forms:
            if not f.has_changed() or f in formset.deleted_forms or not f.is_valid():
                continue
            r, data = f.instance, f.cleaned_data
            try:
                if r.pk is None:
                    r = meeting_services.resolution_add(
                        meeting=meeting,
                        text=data["text"],
                        due_date=data["due_date"],
                        owner=data.get("owner"),
                        owner_name=data.get("owner_name", ""),
                        case=data.get("case"),
                        actor=request.user,
                    )
                    f.instance = r
                    if data["status"] != Resolution.Status.OPEN:
                        _resolution_move(r, status=data["status"], note=data["completion_note"], actor=request.user)
                    continue
                was_done = Resolution.objects.filter(pk=r.pk, status=Resolution.Status.DONE).exists()
                Resolution.objects.filter(pk=r.pk).update(
                    case=data.get("case"), text=data["text"], owner_name=data.get("owner_name", ""),
                    due_date=data["due_date"],
                )  # fmt: skip
                if not was_done:
                    _resolution_move(r, status=data["status"], note=data["completion_note"], actor=request.user)
            except CaseError as exc:
                self._report(request, exc)
        for f in formset.deleted_forms:
            if f.instance.pk is not None:
                f.instance.delete()
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def response_change(self, request, obj):
        if "_mark_held" in request.POST:
            held = MeetingHeldForm(request.POST)
            held_at = held.cleaned_data.get("held_on") if held.is_valid() else None
            if not self._hold(request, obj, held_at=held_at):
                return HttpResponseRedirect(request.path)
        elif "_continue" in request.POST:
            return super().response_change(request, obj)
        # Back to the case the meeting is about: the workbench is the case page.
        case_id = obj.agenda_items.filter(case__isnull=False).values_list("case_id", flat=True).first()
        if case_id is not None:
            if "_mark_held" not in request.POST:
                self.message_user(request, gettext("The meeting was saved."), messages.SUCCESS)
            return redirect(reverse("admin:disputes_case_change", args=[case_id]))
        if "_mark_held" in request.POST:
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["held_form"] = MeetingHeldForm(initial={"held_on": min(obj.scheduled_at, timezone.now())})
            # The resolutions' owners are offered from the meeting's seats (a datalist: typing stays possible).
            context["seat_names"] = sorted(
                {n for seat in obj.seats.select_related("organisation") for n in seat_owner_names(seat)}
            )
            context["agenda_cases"] = list(
                Case.objects.filter(agenda_items__meeting=obj).only("pk", "number").order_by("pk")
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _hold(self, request, meeting, *, in_bulk: bool = False, held_at=None) -> bool:
        try:
            meeting_services.meeting_record_held(meeting=meeting, actor=request.user, held_at=held_at)
        except CaseError as exc:
            # In a bulk action the message names the meeting, and the action counts the successes.
            self.message_user(request, f"{meeting}: {exc}" if in_bulk else str(exc), messages.ERROR)
            return False
        if not in_bulk:
            self.message_user(
                request,
                gettext("The meeting “%(topic)s” was recorded as held.") % {"topic": meeting.topic},
                messages.SUCCESS,
            )
        return True

    @admin.action(description=_("Record the selected meetings as held"), permissions=["change"])
    def mark_held(self, request, queryset):
        done = sum(self._hold(request, m, in_bulk=True) for m in queryset)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d meeting recorded as held.", "%(count)d meetings recorded as held.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Cancel the selected meetings"), permissions=["change"])
    def cancel(self, request, queryset):
        done = 0
        for meeting in queryset:
            try:
                meeting_services.meeting_cancel(meeting=meeting, actor=request.user)
                done += 1
            except CaseError as exc:
                self.message_user(request, f"{meeting}: {exc}", messages.ERROR)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d meeting cancelled.", "%(count)d meetings cancelled.", done) % {"count": done},
                messages.SUCCESS,
            )


@admin.register(Resolution)
class ResolutionAdmin(ScopedAdmin):
    """All resolutions in scope, to track them to completion across meetings."""

    area_path = "meeting__community"
    list_display = ["text_short", "owner_display", "due_date", "status", "case", "meeting", "completed_at"]
    list_filter = ["status", "due_date"]
    search_fields = ["text", "owner_name", "case__number", "meeting__topic"]
    list_select_related = ["case", "meeting", "owner"]
    fields = [
        "meeting",
        "case",
        "text",
        "owner_name",
        "owner",
        "due_date",
        "status",
        "completion_note",
        "completed_at",
    ]
    readonly_fields = ["meeting", "case", "completed_at"]

    def has_add_permission(self, request):
        return False  # resolutions are added at their meeting

    @admin.display(description=_("resolution"))
    def text_short(self, obj):
        return obj.text[:60]

    @admin.display(description=_("owner"))
    def owner_display(self, obj):
        return obj.owner_display

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = staff_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        was_done = Resolution.objects.filter(pk=obj.pk, status=Resolution.Status.DONE).exists()
        status = obj.status
        Resolution.objects.filter(pk=obj.pk).update(
            text=obj.text, owner=obj.owner, owner_name=obj.owner_name, due_date=obj.due_date
        )
        try:
            if not was_done:
                _resolution_move(obj, status=status, note=obj.completion_note, actor=request.user)
        except CaseError as exc:
            self._report(request, exc)
