"""The mediators' workbench. One module per topic; importing them registers the ModelAdmins."""

from disputes.admin import agreements, cases, claims, meetings, reminders, sessions  # noqa: F401
