from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.cases import Case, Category


class DeadlinePolicy(models.Model):
    """Deadlines per category and tier (DESIGN §4). Blank category or tier means "any".

    The most specific row wins; with no row, the defaults in disputes.deadlines apply.
    """

    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE)
    tier = models.PositiveSmallIntegerField(_("handling tier"), choices=Case.Tier, null=True, blank=True)
    accept_days = models.PositiveSmallIntegerField(_("days to accept or reject"), default=3)
    acknowledge_days = models.PositiveSmallIntegerField(_("days to acknowledge"), default=1)
    resolve_days = models.PositiveSmallIntegerField(_("days to resolve"), default=30)
    extension_days = models.PositiveSmallIntegerField(_("days of the one extension"), default=30)
    follow_up_days = models.PositiveSmallIntegerField(_("days to follow up after resolution"), default=15)
    confirmation_days = models.PositiveSmallIntegerField(_("judicial confirmation window (days)"), default=30)
    legacy_days = models.PositiveSmallIntegerField(_("days open before a case is legacy"), default=90)
    due_soon_days = models.PositiveSmallIntegerField(_("days before a deadline that count as due soon"), default=3)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            # Blank category/tier rows are kept unique by the admin form (NULLs are distinct here).
            models.UniqueConstraint(fields=["category", "tier"], name="deadline_policy_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category or _('all categories')} / {self.get_tier_display() or _('all tiers')}"


class ClockRestamp(models.Model):
    """A re-stamping of the open cases a deadline policy governs, after the policy was added, changed
    or deleted (disputes.services.clocks): a worker claims the row once (pending → running) and
    notes its progress after every batch. Blank category or tier: any."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE)
    tier = models.PositiveSmallIntegerField(_("handling tier"), choices=Case.Tier, null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cases_total = models.PositiveIntegerField(_("cases in total"), null=True, blank=True)
    cases_done = models.PositiveIntegerField(_("cases done"), default=0)
    cases_changed = models.PositiveIntegerField(_("cases re-stamped"), default=0)
    # The keyset position: a run taken over after a lost worker goes on from here.
    last_case_id = models.BigIntegerField(default=0, editable=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("re-stamping of deadlines")
        verbose_name_plural = _("re-stampings of deadlines")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="clockrestamp_state_created")]

    def __str__(self) -> str:
        return f"{self.category or _('all categories')} / {self.get_tier_display() or _('all tiers')}: {self.state}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return min(100, self.cases_done * 100 // self.cases_total) if self.cases_total else 0


class Rule(models.TextChoices):
    """Why a reminder is sent. Each rule has one entry in disputes.services.reminders.rules.RULES:
    how it is found, whether it is still due at send time, who receives it and its template."""

    EVENT = "event", _("Case event")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    UNASSIGNED = "unassigned", _("Not yet accepted")
    UNACKNOWLEDGED = "unacknowledged", _("Not yet acknowledged")
    STALE = "stale", _("No activity")
    LEGACY = "legacy", _("Legacy case")
    FOLLOW_UP_DUE = "follow_up_due", _("Follow-up visit due")
    FOLLOW_UP_OVERDUE = "follow_up_overdue", _("Follow-up visit overdue")
    SUPERVISION = "supervision", _("Supervision")
    RESOLUTION_DUE = "resolution_due", _("Meeting resolution due")
    RESOLUTION_OVERDUE = "resolution_overdue", _("Meeting resolution overdue")
    CONFIRMATION_WINDOW = "confirmation_window", _("Judicial confirmation window")
    DIGEST = "digest", _("Weekly digest")
    HIGH_RISK = "high_risk", _("High risk")
    # Grid work (grid app): a grid's screening report is late, then put before the tier above; a
    # help request is not taken, past its "needed by", then put before the community's staff.
    GRID_REPORT_LATE = "grid_report_late", _("Screening report late")
    GRID_REPORT_ESCALATED = "grid_report_escalated", _("Screening report late, before the tier above")
    ORDER_UNACCEPTED = "order_unaccepted", _("Help request not taken")
    ORDER_OVERDUE = "order_overdue", _("Help request overdue")
    ORDER_ESCALATED = "order_escalated", _("Help request overdue, before the community")
    CLAIM_HIGH_RISK = "claim_high_risk", _("High-risk collective claim")
    CLAIM_NOTICE = "claim_notice", _("News of a collective claim")
    CLAIM_OVERDUE = "claim_overdue", _("Collective claim overdue")
    CLAIM_SUPERVISION = "claim_supervision", _("Supervision of a collective claim")


class Reminder(models.Model):
    """One message to one recipient on one channel: the database row is the record.

    Rows are created in the same transaction as what causes them; a task claims a row with a
    conditional UPDATE before sending, so a row is sent once however many workers, beats or
    retries see it. (case, rule, period, recipient, channel) is unique: a second scan in the same
    period finds the row already there.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        INBOX = "inbox", _("In-site inbox")
        SMS = "sms", _("SMS")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.CASCADE)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE)
    rule = models.CharField(_("rule"), max_length=40, choices=Rule)
    period = models.CharField(
        _("period"), max_length=40, help_text=_("What makes this reminder distinct, e.g. a date.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"), blank=True)
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Set by the claiming UPDATE: a batch task reads back exactly the rows *it* claimed, and its
    # "sent" mark matches only while the row is still its own (a reset row gets a new token).
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    # Not sent before this time: retries back off by moving it forward.
    available_at = models.DateTimeField(_("send from"), default=timezone.now)
    # When a send message was last published for the row: the dispatch re-publishes only rows
    # whose message may have been lost (broker down or restarted), not every pending row each minute.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "rule", "period", "recipient", "channel"], name="reminder_once_per_period"
            ),
            # NULLs are distinct in the constraint above: reminders without a case (the weekly digest,
            # a resolution of a general meeting) get their own.
            models.UniqueConstraint(
                fields=["rule", "period", "recipient", "channel"],
                condition=Q(case__isnull=True),
                name="reminder_once_per_period_no_case",
            ),
        ]
        indexes = [
            # reminders_dispatch_due: rows stuck in "sending" past the time limit.
            models.Index(fields=["state", "claimed_at"], name="reminder_state_claimed"),
            # reminders_dispatch_due: pending rows whose back-off has passed.
            models.Index(fields=["state", "available_at"], name="reminder_state_available"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.period} → {self.recipient}"
