from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.cases import Case


class CaseEvent(models.Model):
    """The append-only audit trail of a case: every status change, note and step."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Mediator assigned")
        ESCALATED = "escalated", _("Escalated")
        EXTENDED = "extended", _("Deadline extended")
        SUSPENDED = "suspended", _("Suspended")
        RESUMED = "resumed", _("Resumed")
        NOTE = "note", _("Note")
        INFO_ADDED = "info_added", _("Information added")
        EVIDENCE_ADDED = "evidence_added", _("Evidence added")
        CONSENT = "consent", _("Consent to mediation")
        SESSION = "session", _("Mediation session")
        MEETING = "meeting", _("Four-party meeting")
        RESOLUTION = "resolution", _("Meeting resolution")
        AGREEMENT = "agreement", _("Agreement")
        FOLLOW_UP = "follow_up", _("Follow-up visit")
        RATING = "rating", _("Rating")
        SUPERVISION = "supervision", _("Supervision ordered")
        REMINDER = "reminder", _("Reminder")
        RISK = "risk", _("Risk level set")
        POLICE_REPORT = "police_report", _("Reported to the police")
        PARTY_LINKED = "party_linked", _("Party confirmed online")
        JOINED = "joined", _("Co-applicant joined")
        HOUSEHOLDS = "households", _("Households corrected")
        COLLECTIVE = "collective", _("Collective flag changed")
        CLAIM = "claim", _("Collective claim")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    old_status = models.CharField(_("from"), max_length=20, choices=Case.Status, blank=True)
    new_status = models.CharField(_("to"), max_length=20, choices=Case.Status, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Public events are shown to the parties; internal ones only to staff.
    is_public = models.BooleanField(_("public"), default=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="event_case_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()}"


class InboxMessage(models.Model):
    """The in-site inbox of residents and staff."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="inbox"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # What produced it ("event:<id>", "reminder:<id>"): the same source is delivered once.
    source_key = models.CharField(max_length=60, editable=False)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "source_key"], name="inbox_once_per_source"),
        ]
        # The unread badge on every page.
        indexes = [models.Index(fields=["recipient", "read_at"], name="inbox_recipient_unread")]

    def __str__(self) -> str:
        return self.subject


class PersonalDataView(models.Model):
    """A staff user saw full phone and ID numbers (DESIGN §11): one case's (`case`), or the cases
    of an export (no case: `scope` says which cases, `rows` how many)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("viewed by"), on_delete=models.PROTECT)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now, db_index=True)
    where = models.CharField(_("where"), max_length=100, blank=True)
    scope = models.CharField(_("scope"), max_length=300, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)

    class Meta:
        verbose_name = _("personal data view")
        verbose_name_plural = _("personal data views")
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.case_id or self.scope} {self.viewed_at:%Y-%m-%d %H:%M}"
