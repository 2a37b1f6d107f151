from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Right
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Area, Estate


class Category(models.Model):
    """A dispute category (纠纷类型), seeded from the people's-mediation statistics list."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name


class NumberCounter(models.Model):
    """The last number issued per year, for services.cases.next_number: numbers are
    <prefix>-<year>-<6 digits> and never reused."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CaseNumberCounter(NumberCounter):
    """Case numbers: LL-<year>-<6 digits>."""


class Case(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        REJECTED = "rejected", _("Rejected")
        ASSIGNED = "assigned", _("Assigned")
        IN_MEDIATION = "in_mediation", _("In mediation")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        WALK_IN = "walk_in", _("Walk-in")
        PHONE = "phone", _("Phone")
        HOTLINE_12345 = "hotline_12345", _("12345 hotline transfer")
        GRID_SCREENING = "grid_screening", _("Grid screening")
        MEETING = "meeting", _("Four-party meeting")

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    class Tier(models.IntegerChoices):
        GRID = 1, _("Grid")
        COMMUNITY = 2, _("Community")
        SUBDISTRICT = 3, _("Subdistrict")
        DISTRICT = 4, _("District")

    class Outcome(models.TextChoices):
        WRITTEN_AGREEMENT = "written_agreement", _("Written agreement")
        ORAL_AGREEMENT = "oral_agreement", _("Oral agreement")
        RECONCILED = "reconciled", _("Reconciled")
        TERMINATED = "terminated", _("Mediation terminated")
        REFERRED = "referred", _("Referred")
        REJECTED = "rejected", pgettext_lazy("outcome", "Not accepted")
        WITHDRAWN = "withdrawn", pgettext_lazy("outcome", "Withdrawn")

    OPEN_STATUSES = (Status.SUBMITTED, Status.ASSIGNED, Status.IN_MEDIATION)
    TERMINAL_STATUSES = (Status.REJECTED, Status.WITHDRAWN, Status.CLOSED)
    # A clock runs: open cases and resolved ones awaiting their follow-up visit.
    RUNNING_STATUSES = (*OPEN_STATUSES, Status.RESOLVED)
    # A suspension (awaiting an appraisal, a party in hospital) stops the clocks of a case in mediation.
    SUSPENDABLE_STATUSES = (Status.IN_MEDIATION,)

    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    # The serial, the six digits people read out ("LL-2026-000123" → "000123"): the search finds a
    # case by its tail with an equality on this column's index (disputes.selectors.case_search).
    number_serial = models.GeneratedField(
        expression=Right("number", 6), output_field=models.CharField(max_length=6), db_persist=True
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases")
    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.ONLINE)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.SUBMITTED, editable=False)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, editable=False)
    # Bumped by every write through the lifecycle service: a conditional UPDATE on it refuses a
    # change when another request changed the case after it was loaded.
    version = models.PositiveIntegerField(default=0, editable=False)

    title = models.CharField(_("subject"), max_length=100)
    summary = models.TextField(_("what happened"))
    request = models.TextField(_("what the applicant asks for"))
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="cases")
    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    building = models.CharField(_("building / unit"), max_length=50, blank=True)
    address = models.CharField(_("address details"), max_length=200, blank=True)

    risk = models.CharField(_("risk level"), max_length=10, choices=Risk, default=Risk.LOW)
    households = models.PositiveIntegerField(_("households involved"), default=1)
    is_collective = models.BooleanField(_("collective claim"), default=False)
    tier = models.PositiveSmallIntegerField(_("handling tier"), choices=Tier, default=Tier.GRID)
    # The collective claim the case is handled in (disputes.services.collective); while it is a
    # member, its collective flag follows the claim's households, not its own.
    collective_claim = models.ForeignKey(
        "disputes.CollectiveClaim",
        verbose_name=_("collective claim"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
        editable=False,
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediated_cases",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="filed_cases",
        editable=False,
    )
    public_mediation = models.BooleanField(_("public mediation"), default=False)
    consent_sensitive_at = models.DateTimeField(_("consent to sensitive data given at"), null=True, editable=False)
    idempotency_key = models.UUIDField(null=True, unique=True, editable=False)

    # The clocks of DESIGN §4, set by the lifecycle service.
    accept_due_at = models.DateTimeField(_("accept by"), null=True, editable=False)
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"), null=True, editable=False)
    resolve_due_at = models.DateTimeField(_("resolve by"), null=True, editable=False)
    follow_up_due_at = models.DateTimeField(_("follow up by"), null=True, editable=False)
    # The nearest open deadline of the above, kept in step by the service: lists sort and
    # badge on it, and the reminder scan and the overdue filters use its index.
    next_due_at = models.DateTimeField(_("next deadline"), null=True, editable=False)
    extended = models.BooleanField(_("deadline extended"), default=False, editable=False)
    # The instants the deadline policy in force gives the case (disputes.deadlines.stamps), stamped
    # with every status change and re-stamped when a policy changes: the reminder scan, the admin's
    # badges and filters, the model properties, the dashboard, the ledger and the texts all read
    # these columns, never a constant or a policy of their own.
    due_soon_at = models.DateTimeField(_("due soon from"), null=True, editable=False)
    legacy_at = models.DateTimeField(_("legacy case from"), null=True, editable=False)
    # When the resolution clock started (acceptance or reopening), moved on by each suspension.
    resolve_started_at = models.DateTimeField(_("resolution clock started"), null=True, editable=False)
    # A suspension stops the clocks (DESIGN §4); resuming adds the suspended time to them.
    suspended_at = models.DateTimeField(_("suspended since"), null=True, blank=True, editable=False)
    suspended_total = models.DurationField(_("time suspended"), default=timedelta(0), editable=False)

    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, editable=False)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now, editable=False)

    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True, editable=False)
    # Stamped by case_transition on resolution (disputes.deadlines.legacy_on): the case was a legacy
    # case (历史积案) when it was resolved. legacy_at is cleared once a case is no longer open, so
    # the figures ("resolved, of which legacy") read this column.
    resolved_as_legacy = models.BooleanField(_("resolved as a legacy case"), default=False, editable=False)
    outcome_summary = models.TextField(_("closing summary"), blank=True, editable=False)
    rejection_reason = models.TextField(_("reason for not accepting"), blank=True, editable=False)
    rejection_advice = models.TextField(_("other routes advised"), blank=True, editable=False)
    routes_advised = models.TextField(_("routes advised"), blank=True, editable=False)
    referral_target = models.CharField(_("referred to"), max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("dispute case")
        verbose_name_plural = _("dispute cases")
        ordering = ["-submitted_at"]
        indexes = [
            # Scoped queues and counts: area subtree + status (admin list, dashboard).
            models.Index(fields=["area", "status"], name="case_area_status"),
            # "My cases" of a mediator; least-loaded mediator suggestion.
            models.Index(fields=["mediator", "status"], name="case_mediator_status"),
            # The to-do queue (selectors.todo_for_user): a mediator's running cases by next deadline.
            models.Index(fields=["mediator", "status", "next_due_at"], name="case_mediator_status_due"),
            # Due-soon/overdue filters and the reminder scan (reminders_scan) read open cases by deadline.
            models.Index(fields=["status", "next_due_at"], name="case_status_next_due"),
            # reminders_scan: the moment a case became due soon or legacy (the stamped columns).
            models.Index(fields=["status", "due_soon_at"], name="case_status_due_soon"),
            models.Index(fields=["status", "legacy_at"], name="case_status_legacy"),
            # reminders_scan: unassigned / unacknowledged cases by the time they entered their status.
            models.Index(fields=["status", "status_changed_at"], name="case_status_changed"),
            # reminders_scan: open cases with no activity for a week.
            models.Index(fields=["status", "last_activity_at"], name="case_status_activity"),
            # Newest-first lists and period counts.
            models.Index(fields=["-submitted_at"], name="case_submitted_desc"),
            # case_search: a number's tail, and a number's prefix ("LL-2026-00"): LIKE 'x%' on
            # PostgreSQL needs the pattern operator class in any collation but C (SQLite reads a
            # range on the plain index, which it also gets here).
            models.Index(fields=["number_serial"], name="case_number_serial"),
            models.Index(fields=["number"], opclasses=["varchar_pattern_ops"], name="case_number_prefix"),
            # The filing form's related cases (selectors.related_open_cases): the open cases of an
            # estate and category, newest first, from the last months.
            models.Index(fields=["estate", "category", "status", "submitted_at"], name="case_related"),
            # The dashboard's stock figures (disputes.dashboard.stock_for, one grouped query): the
            # cases with a running clock are a few percent of all; PostgreSQL reads this partial
            # index alone (index-only scan) instead of visiting tens of thousands of table pages.
            models.Index(
                fields=[
                    "area",
                    "mediator",
                    "status",
                    "next_due_at",
                    "due_soon_at",
                    "legacy_at",
                    "is_collective",
                    "suspended_at",
                ],
                condition=models.Q(status__in=["submitted", "assigned", "in_mediation", "resolved"]),
                name="case_running_clock",
            ),
        ]
        permissions = [("supervise_case", _("Can order supervision and reassign any case in scope"))]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("disputes:case_detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    # The clock figures read the stamped columns, as their filters do (disputes.deadlines.clock_q).

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None and self.status in self.RUNNING_STATUSES

    @property
    def is_overdue(self) -> bool:
        return (
            not self.is_suspended
            and self.status in self.RUNNING_STATUSES
            and self.next_due_at is not None
            and self.next_due_at < timezone.now()
        )

    @property
    def is_due_soon(self) -> bool:
        now = timezone.now()
        return (
            not self.is_suspended
            and self.status in self.RUNNING_STATUSES
            and self.due_soon_at is not None
            and self.due_soon_at <= now <= self.next_due_at
        )

    @property
    def is_legacy(self) -> bool:
        return (
            not self.is_suspended
            and self.status in self.OPEN_STATUSES
            and self.legacy_at is not None
            and self.legacy_at <= timezone.now()
        )

    @property
    def deadline_colour(self) -> str:
        """The ledger colour: green closed, grey suspended, red overdue, yellow due soon. A resolved
        case still has its follow-up visit due (next_due_at), so it is coloured by that."""
        if self.status in self.TERMINAL_STATUSES:
            return "green"
        if self.is_suspended:
            return "grey"
        if self.is_overdue:
            return "red"
        if self.is_due_soon:
            return "yellow"
        return "blue"

    def can_move_to(self, status: str) -> bool:
        return status in CASE_TRANSITIONS.get(self.status, ())

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.submitted_at


S = Case.Status
# The allowed status moves (DESIGN §3). Only services.case_transition writes Case.status.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.ASSIGNED, S.REJECTED, S.WITHDRAWN}),
    # assigned → assigned is an escalation or reassignment: a new mediator must acknowledge.
    # assigned/in_mediation → closed is a termination (a party refuses mediation, Art. 17).
    S.ASSIGNED: frozenset({S.IN_MEDIATION, S.ASSIGNED, S.CLOSED, S.WITHDRAWN}),
    S.IN_MEDIATION: frozenset({S.RESOLVED, S.CLOSED, S.ASSIGNED, S.WITHDRAWN}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_MEDIATION}),
    S.CLOSED: frozenset({S.IN_MEDIATION}),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
del S
