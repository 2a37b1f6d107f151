"""The reminder log (read-only, with a "retry" action for failed sends) and the deadline policies."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_inputs import SafeInputsAdmin
from disputes.models import ClockRestamp, DeadlinePolicy, Reminder
from disputes.services import clocks as clock_services
from disputes.services import reminders as reminder_services
from disputes.visibility import case_scope_q


class DeadlinePolicyForm(forms.ModelForm):
    class Meta:
        model = DeadlinePolicy
        fields = [
            "category",
            "tier",
            "accept_days",
            "acknowledge_days",
            "resolve_days",
            "extension_days",
            "follow_up_days",
            "confirmation_days",
            "legacy_days",
            "due_soon_days",
        ]

    def clean(self):
        cleaned = super().clean()
        # The database constraint cannot see blank ("any") values as equal: check them here.
        same = DeadlinePolicy.objects.filter(category=cleaned.get("category"), tier=cleaned.get("tier"))
        if self.instance.pk:
            same = same.exclude(pk=self.instance.pk)
        if same.exists():
            raise forms.ValidationError(_("There is already a policy for this category and tier."))
        for name in ("accept_days", "acknowledge_days", "resolve_days", "follow_up_days", "legacy_days"):
            if cleaned.get(name) == 0:
                self.add_error(name, _("A deadline must be at least one day."))
        return cleaned


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(SafeInputsAdmin, admin.ModelAdmin):
    form = DeadlinePolicyForm
    list_display = [
        "__str__",
        "accept_days",
        "acknowledge_days",
        "resolve_days",
        "extension_days",
        "follow_up_days",
        "confirmation_days",
        "legacy_days",
        "due_soon_days",
    ]
    list_filter = ["tier", "category"]
    search_fields = ["category__name"]
    list_select_related = ["category"]

    # Saving or deleting a policy re-stamps the open cases it governs (disputes/services/clocks.py).

    def save_model(self, request, obj, form, change):
        old = (form.initial.get("category"), form.initial.get("tier")) if change else None
        job = clock_services.deadline_policy_save(policy=obj, old=old)
        self._restamp_message(request, job)

    def delete_model(self, request, obj):
        job = clock_services.deadline_policy_delete(policy=obj)
        self._restamp_message(request, job)

    def delete_queryset(self, request, queryset):
        for policy in queryset:
            self.delete_model(request, policy)

    def _restamp_message(self, request, job: ClockRestamp) -> None:
        url = reverse("admin:disputes_clockrestamp_change", args=[job.pk])
        self.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                _("The deadlines of the open cases this policy governs are being re-stamped."),
                url,
                _("Progress"),
            ),
        )


@admin.register(ClockRestamp)
class ClockRestampAdmin(SafeInputsAdmin, admin.ModelAdmin):
    """The re-stampings after policy changes, with their progress (read-only)."""

    list_display = ["created_at", "__str__", "state", "progress", "cases_changed", "finished_at"]
    list_filter = ["state"]
    readonly_fields = [
        "category", "tier", "state", "created_at", "claimed_at", "finished_at", "cases_total", "cases_done",
        "cases_changed", "error",
    ]  # fmt: skip

    @admin.display(description=_("progress"))
    def progress(self, obj: ClockRestamp) -> str:
        return f"{obj.percent}% ({obj.cases_done}/{obj.cases_total if obj.cases_total is not None else '?'})"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(SafeInputsAdmin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "case_link",
        "rule",
        "period",
        "recipient_link",
        "channel",
        "state",
        "attempts",
        "sent_at",
    ]
    # Filter by case or recipient through the links in the list (?case__id__exact=, ?recipient__id__exact=).
    list_filter = ["state", "rule", "channel", "recipient__role", "created_at"]
    search_fields = ["case__number", "recipient__username", "recipient__full_name"]
    list_select_related = ["case", "recipient"]
    raw_id_fields = ["case", "recipient"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    readonly_fields = [
        "case",
        "recipient",
        "rule",
        "period",
        "channel",
        "state",
        "subject",
        "body",
        "context",
        "created_at",
        "available_at",
        "queued_at",
        "claimed_at",
        "sent_at",
        "attempts",
        "last_error",
    ]
    fields = readonly_fields

    @admin.display(description=_("case"), ordering="case__number")
    def case_link(self, obj: Reminder) -> str:
        if not obj.case_id:
            return "—"
        return format_html('<a href="?case__id__exact={}">{}</a>', obj.case_id, obj.case.number)

    @admin.display(description=_("recipient"), ordering="recipient__username")
    def recipient_link(self, obj: Reminder) -> str:
        return format_html('<a href="?recipient__id__exact={}">{}</a>', obj.recipient_id, obj.recipient)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("disputes.change_reminder")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        # Staff see the reminders of the cases they may see (the one door) and their own.
        return qs.filter(Q(recipient=request.user) | case_scope_q(request.user, prefix="case__"))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the log is read-only; "retry" is an action

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Retry the selected failed reminders"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        count = reminder_services.reminders_retry(reminder_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d reminder will be sent again.", "%(count)d reminders will be sent again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
