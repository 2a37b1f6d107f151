"""What the session, meeting, agreement and follow-up admins share: scoping through the one door
(disputes.visibility), the case and staff choices of their selects, and compact inlines
(disputes/admin/sessions.py, meetings.py, agreements.py)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.utils.translation import gettext

from accounts.models import User
from config.admin_inputs import SafeInputsAdmin
from disputes.admin.titles import PlainListTitle
from disputes.models import Case
from disputes.services.cases import CaseError
from disputes.visibility import area_rows_visible_to, cases_visible_to, visible_rows

LINKABLE_CASE_STATUSES = (
    Case.Status.SUBMITTED,
    Case.Status.ASSIGNED,
    Case.Status.IN_MEDIATION,
    Case.Status.RESOLVED,
    Case.Status.CLOSED,
)


def scoped_cases(request, statuses=LINKABLE_CASE_STATUSES):
    return cases_visible_to(request.user).filter(status__in=statuses).order_by("-submitted_at")


def staff_users():
    return User.objects.filter(is_active=True).exclude(role=User.Role.RESIDENT).order_by("full_name", "username")


def name_unlabelled_inputs(field: forms.Field | None, *, in_table: bool) -> None:
    """An aria-label for inputs that Django's admin renders without a <label>, which screen
    readers then announce as a bare "edit text" (axe: label, select-name): the cells of a tabular
    inline (the column heading is no label) and the date and time halves of a split date-time."""
    if field is None:
        return
    widget = getattr(field.widget, "widget", field.widget)  # inside a RelatedFieldWidgetWrapper
    if isinstance(widget, forms.SplitDateTimeWidget):
        # Called per request (get_form), so the active language is the reader's.
        for part, word in zip(widget.widgets, (gettext("date"), gettext("time")), strict=True):
            part.attrs["aria-label"] = gettext("%(field)s, %(part)s") % {"field": field.label, "part": word}
    elif in_table and not widget.is_hidden:
        widget.attrs.setdefault("aria-label", field.label)


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
        name_unlabelled_inputs(field, in_table=True)
        widget = getattr(field, "widget", None)
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget.can_add_related = widget.can_change_related = widget.can_view_related = False
            # Case titles are long: static/css/linli_admin.css narrows this class (no style attribute: CSP).
            widget.widget.attrs["class"] = f"{widget.widget.attrs.get('class', '')} linli-compact-select".strip()
        return field


class ScopedAdmin(PlainListTitle, SafeInputsAdmin, admin.ModelAdmin):
    """Rows the user may see, through the one door: `case_path` leads from the row to its case
    (rows hanging off a case), or `area_path` to its area (a community's meeting)."""

    case_path: str | None = "case"
    area_path: str | None = None

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        name_unlabelled_inputs(field, in_table=False)
        return field

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.area_path:
            return area_rows_visible_to(request.user, qs, area_path=self.area_path)
        return visible_rows(request.user, qs, case_path=self.case_path)

    def _report(self, request, exc: CaseError):
        self.message_user(request, str(exc), messages.ERROR)


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" redirect (/admin/r/<type>/<id>/) through the one door: Django's
    own shortcut checks no row permission, and its redirect names the case. Routed before the
    admin's URLs in config/urls.py."""
    model = ContentType.objects.filter(pk=content_type_id).first()
    model = model.model_class() if model else None
    if model is not Case or not cases_visible_to(request.user).filter(pk=object_id).exists():
        raise Http404
    return contenttype_views.shortcut(request, content_type_id, object_id)
