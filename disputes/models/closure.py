"""Closure (DESIGN §6): the mediation agreement, its signatures, judicial confirmation, follow-ups."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.cases import Case
from disputes.models.parties import Party


def agreement_scan_upload_to(instance: "Agreement", filename: str) -> str:
    # A random name, like evidence: the scan is personal data served only through checked views.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"agreements/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Agreement(models.Model):
    """The mediation agreement (调解协议书): People's Mediation Law Art. 29, 2002 rules Art. 35.

    Judicial confirmation (司法确认, Art. 33) is kept on the same row: one agreement, one window.
    """

    class Kind(models.TextChoices):
        WRITTEN = "written", _("Written agreement")
        ORAL = "oral", _("Oral agreement")

    class ConfirmationResult(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Not confirmed")

    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="agreement")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.WRITTEN)
    parties_details = models.TextField(
        _("parties' basic details"),
        blank=True,
        help_text=_("Name, sex, age, ethnicity, occupation, employer or address of each party."),
    )
    facts = models.TextField(_("facts of the dispute"), blank=True)
    issues = models.TextField(_("issues in dispute"), blank=True)
    responsibilities = models.TextField(_("each side's responsibility"), blank=True)
    terms = models.TextField(_("agreed terms"), blank=True)
    performance_method = models.TextField(_("how the terms are performed"), blank=True)
    performance_place = models.CharField(_("where they are performed"), max_length=200, blank=True)
    performance_deadline = models.DateField(_("performed by"), null=True, blank=True)
    oral_content = models.TextField(_("content of the oral agreement"), blank=True)
    scan = models.FileField(
        _("scan of the signed agreement"), upload_to=agreement_scan_upload_to, max_length=200, blank=True
    )
    effective_at = models.DateTimeField(_("effective from"), null=True, blank=True, editable=False)

    confirmation_wanted = models.BooleanField(_("parties want judicial confirmation"), default=False)
    confirmation_window_ends_at = models.DateTimeField(
        _("apply for confirmation by"), null=True, blank=True, editable=False
    )
    confirmation_applied_at = models.DateField(_("applied to the court on"), null=True, blank=True)
    court = models.CharField(_("court"), max_length=100, blank=True)
    court_case_number = models.CharField(_("court case number"), max_length=60, blank=True)
    confirmation_result = models.CharField(
        _("confirmation result"), max_length=20, choices=ConfirmationResult, blank=True
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        ordering = ["-created_at"]
        # The judicial-confirmation reminder (services.reminders.rules.find_confirmation_windows) reads by window end.
        indexes = [
            models.Index(fields=["confirmation_wanted", "confirmation_window_ends_at"], name="agreement_window")
        ]

    def __str__(self) -> str:
        return str(self.case.number) if self.case_id else str(self._meta.verbose_name)

    @property
    def is_effective(self) -> bool:
        return self.effective_at is not None

    @property
    def confirmation_eligible(self) -> bool:
        # Marriage, adoption and family-status matters are not confirmed by courts.
        return self.case.category.judicial_confirmation_eligible

    def clean(self):
        if self.confirmation_wanted and self.case_id and not self.confirmation_eligible:
            raise ValidationError(
                {"confirmation_wanted": _("Agreements in this category cannot be confirmed by a court.")}
            )
        if self.kind == self.Kind.ORAL and not self.oral_content.strip():
            raise ValidationError({"oral_content": _("Record what the parties agreed orally.")})
        if self.kind == self.Kind.WRITTEN and not self.terms.strip():
            raise ValidationError({"terms": _("Write the agreed terms.")})


class AgreementSignature(models.Model):
    class Signer(models.TextChoices):
        PARTY = "party", _("Party")
        MEDIATOR = "mediator", _("Mediator")
        COMMITTEE_SEAL = "committee_seal", _("Committee seal")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="signatures"
    )
    signer = models.CharField(_("signed by"), max_length=20, choices=Signer)
    party = models.ForeignKey(Party, verbose_name=_("party"), null=True, blank=True, on_delete=models.PROTECT)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signer="party", party__isnull=False) | (~Q(signer="party") & Q(party__isnull=True)),
                name="signature_party_iff_party_signer",
            ),
            models.UniqueConstraint(
                fields=["agreement", "party"], condition=Q(signer="party"), name="signature_once_per_party"
            ),
            models.UniqueConstraint(
                fields=["agreement", "signer"], condition=~Q(signer="party"), name="signature_once_per_signer"
            ),
        ]

    def __str__(self) -> str:
        return str(self.party.name if self.party_id else self.get_signer_display())

    def clean(self):
        if self.signer == self.Signer.PARTY and self.party_id is None:
            raise ValidationError({"party": _("Choose the party who signed.")})
        if self.signer != self.Signer.PARTY:
            self.party = None
        if self.party_id and self.agreement_id and self.party.case_id != self.agreement.case_id:
            raise ValidationError({"party": _("This person is not a party of the case.")})


class FollowUp(models.Model):
    """A follow-up visit (回访) by staff, or a resident's own rating of the outcome."""

    class Method(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Home visit")
        ONLINE = "online", _("Online")
        OTHER = "other", _("Other")

    class Performing(models.TextChoices):
        YES = "yes", _("Being performed")
        PARTLY = "partly", _("Partly performed")
        NO = "no", _("Not performed")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY = "basically_satisfied", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff visit")
        RESIDENT = "resident", _("Resident's rating")

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="follow_ups")
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.STAFF, editable=False)
    party = models.ForeignKey(
        Party, verbose_name=_("party"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visited_at = models.DateTimeField(_("date"), default=timezone.now)
    method = models.CharField(_("method"), max_length=10, choices=Method, default=Method.PHONE)
    performing = models.CharField(_("agreement performed"), max_length=10, choices=Performing, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction)
    new_risk = models.TextField(_("new risk found"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Dissatisfaction or non-performance: the mediator is offered to reopen the case.
    reopen_suggested = models.BooleanField(_("reopening suggested"), default=False, editable=False)
    reopened_at = models.DateTimeField(_("case reopened at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-visited_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "party"], condition=Q(source="resident"), name="follow_up_one_rating_per_party"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number if self.case_id else ''} {self.get_satisfaction_display()}"
