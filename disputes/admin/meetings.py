"""Four-party meetings, their seats and their resolutions in the mediators' workbench.

Every list is limited to the user's areas (the convening community). Writes with consequences go
through disputes.services.meetings. Agreements and follow-ups are in disputes/admin/agreements.py.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from config.admin_inputs import SafeInputsAdmin
from disputes.admin.scoped import CompactInline, ScopedAdmin, scoped_cases, staff_users
from disputes.models import AgendaItem, Meeting, MeetingSeat, Resolution, SeatTemplate
from disputes.services import meetings as meeting_services
from disputes.services.cases import CaseError
from disputes.visibility import areas_visible_to


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
    form = SeatInlineForm
    extra = 0
    fields = ["role", "organisation", "required", "attendee_name", "attendance", "absence_reason"]
    verbose_name_plural = _("Seats and attendance (add a row to invite another seat, e.g. community police)")


class AgendaItemInline(CompactInline):
    model = AgendaItem
    extra = 1
    fields = ["case", "topic"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            kwargs["queryset"] = scoped_cases(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ResolutionInlineForm(forms.ModelForm):
    class Meta:
        model = Resolution
        fields = ["case", "text", "owner_name", "due_date", "status", "completion_note"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2, "cols": 24}),
            "owner_name": forms.TextInput(attrs={"size": 12}),
            "completion_note": forms.Textarea(attrs={"rows": 2, "cols": 16}),
        }


class ResolutionInline(CompactInline):
    model = Resolution
    form = ResolutionInlineForm
    extra = 1
    # The owner's account and the completion time are on the resolution's own page.
    fields = ["case", "text", "owner_name", "due_date", "status", "completion_note"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "case":
            kwargs["queryset"] = scoped_cases(request)
        elif db_field.name == "owner":
            kwargs["queryset"] = staff_users()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "community":
            areas = areas_visible_to(request.user).filter(kind=Area.Kind.COMMUNITY)
            kwargs["queryset"] = areas
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_inline_instances(self, request, obj=None):
        # The default seats are copied in when the meeting is created: the seat rows appear then.
        return [
            i for i in super().get_inline_instances(request, obj) if obj is not None or not isinstance(i, SeatInline)
        ]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {
            f: form.cleaned_data.get(f)
            for f in ("minutes", "decisions", "votes_for", "votes_against", "votes_abstain")
        }
        meeting = meeting_services.meeting_create(
            community=obj.community,
            estate=obj.estate,
            topic=obj.topic,
            scheduled_at=obj.scheduled_at,
            place=obj.place,
            actor=request.user,
            **{k: v for k, v in data.items() if v not in (None, "")},
        )
        obj.pk, obj.created_by, obj.created_at = meeting.pk, meeting.created_by, meeting.created_at
        obj._state.adding = False

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
            self._hold(request, obj)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        # Straight on to the seats the meeting was given.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"
        return super().response_add(request, obj, post_url_continue)

    def _hold(self, request, meeting, *, in_bulk: bool = False) -> bool:
        try:
            meeting_services.meeting_record_held(meeting=meeting, actor=request.user)
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
