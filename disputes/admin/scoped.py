"""What the meeting, agreement and follow-up admins share: area scoping, the case and staff
choices of their selects, and compact inlines (disputes/admin/meetings.py, agreements.py)."""

from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper

from accounts.models import User
from accounts.selectors import area_scope_q
from disputes.models import Case
from disputes.services.cases import CaseError

LINKABLE_CASE_STATUSES = (
    Case.Status.SUBMITTED,
    Case.Status.ASSIGNED,
    Case.Status.IN_MEDIATION,
    Case.Status.RESOLVED,
    Case.Status.CLOSED,
)


def scoped_cases(request, statuses=LINKABLE_CASE_STATUSES):
    return Case.objects.filter(area_scope_q(request.user), status__in=statuses).order_by("-submitted_at")


def staff_users():
    return User.objects.filter(is_active=True).exclude(role=User.Role.RESIDENT).order_by("full_name", "username")


class CompactInline(admin.TabularInline):
    """No add/change/view icons next to the selects: they make every row twice as tall.

    The row count is capped: Django builds as many forms as a POST's TOTAL_FORMS says, up to
    absolute_max (max_num + 1000 by default), so a forged 100000 kept a worker busy for minutes.
    """

    max_num = 20

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", self.max_num)
        kwargs.setdefault("validate_max", True)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(field, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget.can_add_related = widget.can_change_related = widget.can_view_related = False
            widget.widget.attrs.setdefault("style", "max-width: 12em")  # case titles are long
        return field


class ScopedAdmin(admin.ModelAdmin):
    """Non-superusers see only rows in their areas; `scope_field` leads from the row to the Area."""

    scope_field = "area"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(area_scope_q(request.user, field=self.scope_field))

    def _report(self, request, exc: CaseError):
        self.message_user(request, str(exc), messages.ERROR)
