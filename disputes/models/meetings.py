"""Four-party meetings (四方议事会, DESIGN §5): seats, agenda, attendance, minutes and resolutions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Estate, Organisation
from disputes.models.cases import Case


class SeatTemplate(models.Model):
    """A default seat copied into every new meeting (administrators configure them)."""

    name = models.CharField(_("seat"), max_length=100)
    organisation_kind = models.CharField(
        _("kind of organisation"), max_length=30, choices=Organisation.Kind, blank=True
    )
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("A meeting cannot be held while this seat is neither present nor excused."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("default meeting seat")
        verbose_name_plural = _("default meeting seats")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    community = models.ForeignKey(
        Area,
        verbose_name=_("convening community"),
        on_delete=models.PROTECT,
        related_name="meetings",
        limit_choices_to={"kind": Area.Kind.COMMUNITY},
    )
    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings"
    )
    topic = models.CharField(_("topic"), max_length=200)
    # The one meeting of a collective claim: shown on every member case (selectors.meeting_list_for_case).
    claim = models.ForeignKey(
        "disputes.CollectiveClaim",
        verbose_name=_("collective claim"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
        editable=False,
    )
    scheduled_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.SCHEDULED, editable=False)
    held_at = models.DateTimeField(_("held at"), null=True, blank=True, editable=False)
    # Internal: the minutes are never shown to residents.
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    votes_for = models.PositiveSmallIntegerField(_("votes for"), null=True, blank=True)
    votes_against = models.PositiveSmallIntegerField(_("votes against"), null=True, blank=True)
    votes_abstain = models.PositiveSmallIntegerField(_("abstentions"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("four-party meeting")
        verbose_name_plural = _("four-party meetings")
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["community", "-scheduled_at"], name="meeting_community_time")]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.scheduled_at):%Y-%m-%d} {self.topic}"


class MeetingSeat(models.Model):
    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Not recorded")
        PRESENT = "present", _("Present")
        EXCUSED = "absent_excused", _("Absent with a reason")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="seats")
    role = models.CharField(_("seat"), max_length=100)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.SET_NULL
    )
    attendee_name = models.CharField(_("attendee"), max_length=100, blank=True)
    attendance = models.CharField(_("attendance"), max_length=20, choices=Attendance, default=Attendance.UNKNOWN)
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats and attendance")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.role

    @property
    def is_satisfied(self) -> bool:
        """Present, or absent with a reason given: what holding the meeting needs of a required seat."""
        return self.attendance == self.Attendance.PRESENT or (
            self.attendance == self.Attendance.EXCUSED and bool(self.absence_reason.strip())
        )

    def clean(self):
        if self.attendance == self.Attendance.EXCUSED and not self.absence_reason.strip():
            raise ValidationError({"absence_reason": _("Give the reason for the absence.")})
        if self.attendance == self.Attendance.PRESENT and not self.attendee_name.strip():
            raise ValidationError({"attendee_name": _("Say who attended for this seat.")})


class AgendaItem(models.Model):
    """What the meeting discusses: a case, or a general estate topic."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items"
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(case__isnull=False) | ~Q(topic=""), name="agenda_item_case_or_topic"),
        ]

    def __str__(self) -> str:
        return self.topic or str(self.case)

    def clean(self):
        if self.case_id is None and not self.topic.strip():
            raise ValidationError(_("Link a case or describe the topic."))


class Resolution(models.Model):
    """A resolution (议定事项): who does what by when, tracked to completion."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="resolutions"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="resolutions"
    )
    text = models.TextField(_("resolution"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (account)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolutions",
    )
    owner_name = models.CharField(
        _("owner"), max_length=100, blank=True, help_text=_("The person or organisation responsible.")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.OPEN)
    completion_note = models.TextField(_("completion note"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("resolution")
        verbose_name_plural = _("resolutions")
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(owner__isnull=False) | ~Q(owner_name=""), name="resolution_has_owner"),
        ]
        # The reminder scan reads open resolutions by due date.
        indexes = [models.Index(fields=["status", "due_date"], name="resolution_status_due")]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def owner_display(self) -> str:
        return self.owner_name or (str(self.owner) if self.owner_id else "")

    @property
    def is_overdue(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.IN_PROGRESS) and self.due_date < timezone.localdate()

    def clean(self):
        if self.owner_id is None and not self.owner_name.strip():
            raise ValidationError({"owner_name": _("Name who is responsible for this resolution.")})
        if self.status == self.Status.DONE and not self.completion_note.strip():
            raise ValidationError({"completion_note": _("Say how the resolution was completed.")})
