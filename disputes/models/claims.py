"""Collective claims (群体性诉求, DESIGN §9a): related cases grouped and handled as one.

A claim has its own number (JT-<year>-<6 digits>), the shared facts and demand, a risk level, the
area and tier that handle it, one mediator and elected representatives (parties of its member
cases, each with their consent recorded). Its member cases point to it (Case.collective_claim);
its households are the sum of theirs, and the members' collective flag follows that sum through
the one rule, services.cases.households_collective. Every write goes through
disputes.services.collective, which also writes the claim's timeline (ClaimEvent).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from disputes.models.cases import Case, NumberCounter
from disputes.models.parties import Party


class ClaimNumberCounter(NumberCounter):
    """Collective claim numbers: JT-<year>-<6 digits>."""


class CollectiveClaim(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Being handled")
        RESOLVED = "resolved", _("Claim resolved")
        CLOSED = "closed", _("Claim closed")

    number = models.CharField(_("claim number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("subject"), max_length=100)
    facts = models.TextField(_("shared facts"))
    demand = models.TextField(_("shared demand"))
    risk = models.CharField(_("risk level"), max_length=10, choices=Case.Risk, default=Case.Risk.LOW)
    area = models.ForeignKey(
        Area, verbose_name=_("handling area"), on_delete=models.PROTECT, related_name="collective_claims"
    )
    tier = models.PositiveSmallIntegerField(_("handling tier"), choices=Case.Tier, default=Case.Tier.COMMUNITY)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediated_claims",
    )
    # The sum of the member cases' households, kept by disputes.services.collective.claim_sync.
    households = models.PositiveIntegerField(_("households involved"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.OPEN, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    # The claim's own resolve-by deadline (issue 17 item 4), set once at creation by
    # services.collective.claim_due_at; past it, Rule.CLAIM_OVERDUE reminds while the claim is open.
    due_at = models.DateTimeField(_("resolve by"), null=True, blank=True, editable=False)
    representatives = models.ManyToManyField(
        Party, through="ClaimRepresentative", verbose_name=_("representatives"), related_name="+"
    )

    class Meta:
        verbose_name = _("collective claim")
        verbose_name_plural = _("collective claims")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The dashboard's claim figures (disputes.dashboard.claims): received and resolved in a
            # period, within the areas of the scope.
            models.Index(fields=["created_at", "area"], name="claim_created_area"),
            models.Index(fields=["resolved_at", "area"], name="claim_resolved_area"),
            # The reminder scan's finder of overdue claims (rules.find_claims_overdue).
            models.Index(fields=["due_at"], condition=models.Q(status="open"), name="claim_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("admin:disputes_collectiveclaim_change", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()


class ClaimRepresentative(models.Model):
    """A representative (代表) elected among the applicants of the member cases, with their consent."""

    claim = models.ForeignKey(CollectiveClaim, on_delete=models.CASCADE, related_name="representative_rows")
    party = models.ForeignKey(Party, verbose_name=_("representative"), on_delete=models.CASCADE, related_name="+")
    consented_at = models.DateTimeField(_("consent given at"))
    consent_note = models.CharField(_("how consent was given"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        ordering = ["consented_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["claim", "party"], name="claim_representative_once")]

    def __str__(self) -> str:
        return self.party.name


class ClaimEvent(models.Model):
    """The claim's own timeline: created, cases added or removed, a step applied to every member
    (which cases it was done to and which were refused, with the reason), a meeting. Every member
    case page shows it; the members' own events (one per case and step) stay on each case."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Claim created")
        ADDED = "added", _("Case added")
        REMOVED = "removed", _("Case removed")
        STEP = "step", _("Step applied to the member cases")
        REPRESENTATIVE = "representative", _("Representative elected")
        MEETING = "meeting", _("Four-party meeting scheduled")
        STATUS = "status", _("Claim status changed")
        RISK = "risk", _("Risk level set")
        SUPERVISION = "supervision", _("Supervision ordered")

    claim = models.ForeignKey(CollectiveClaim, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # Public events are shown to the parties of the member cases; internal ones only to staff.
    is_public = models.BooleanField(_("public"), default=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["claim", "created_at"], name="claimevent_claim_time")]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.get_kind_display()}"
