"""The mediators' workbench. One module per topic; importing them registers the ModelAdmins."""

from disputes.admin import cases, meetings, reminders  # noqa: F401
