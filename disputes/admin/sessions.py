"""Mediation session records (调解笔录) in the mediators' workbench.

A record is written once, through disputes.services.sessions, and is read-only afterwards; its
signed scan is downloaded through `scan_view`, which checks the user's areas.
"""

from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes import admin_forms
from disputes.admin.scoped import ScopedAdmin
from disputes.models import MediationSession


def scan_link_html(session: MediationSession) -> str:
    if not session.scan:
        return "—"
    url = reverse("admin:disputes_mediationsession_scan", args=[session.pk])
    return format_html('<a href="{}">{}</a>', url, gettext("Download"))


@admin.register(MediationSession)
class MediationSessionAdmin(ScopedAdmin):
    list_display = ["case", "held_at", "place", "recorded_by", "scan_link"]
    list_filter = ["held_at"]
    search_fields = ["case__number", "attendees"]
    list_select_related = ["case", "recorded_by"]
    autocomplete_fields = ["case"]
    form = admin_forms.MediationSessionForm
    fields = ["case", "held_at", "place", "attendees", "content", "agreed", "scan"]

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

    def has_add_permission(self, request):
        return False  # recorded from its case: the workbench's "Record a session"

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
