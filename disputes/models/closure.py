"""Closure (DESIGN §6): the mediation agreement, its signatures, judicial confirmation, follow-ups."""

import uuid
from datetime import date, datetime, time, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from disputes.models.cases import Case
from disputes.models.parties import Party


def agreement_scan_upload_to(instance: "Agreement", filename: str) -> str:
    # A random name, like evidence: the scan is personal data served only through checked views.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"agreements/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def start_of_day(day: date) -> datetime:
    """The local midnight that starts `day`."""
    return timezone.make_aware(datetime.combine(day, time.min))


def confirmation_window_end(*, effective_on: date, days: int) -> datetime:
    """The instant the judicial-confirmation window closes (People's Mediation Law Art. 33): the
    parties may apply through the whole `days`-th day after the agreement took effect. The one
    place this is computed: the closure service stamps it on the agreement, and the reminder scan,
    the admin and the parties' page read the stamped column."""
    return start_of_day(effective_on + timedelta(days=days + 1))


class Agreement(models.Model):
    """The mediation agreement (调解协议书): People's Mediation Law Art. 29, 2002 rules Art. 34–35.

    Judicial confirmation (司法确认, Art. 33) is kept on the same row: one agreement, one window.
    """

    class Kind(models.TextChoices):
        WRITTEN = "written", _("Written agreement")
        ORAL = "oral", _("Oral agreement")

    class Confirms(models.TextChoices):
        # 最高人民法院《关于人民调解协议司法确认程序的若干规定》(2011) Art. 4 and 民诉法解释 Art. 355:
        # an agreement that confirms one of these cannot be confirmed by a court.
        MARRIAGE = "marriage", _("a marriage relation (marriage or divorce)")
        ADOPTION = "adoption", _("an adoption relation")
        IDENTITY = "identity", _("an identity relation (e.g. parentage)")
        PROPERTY = "property", _("ownership of property")
        IP = "ip", _("ownership of intellectual property")

    # 2002 rules Art. 35: what a written agreement must state, in the order it prints.
    REQUIRED_CONTENTS = (
        "parties_details",
        "facts",
        "issues",
        "responsibilities",
        "terms",
        "performance_method",
        "performance_place",
        "performance_deadline",
    )

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
    drafted_on = models.DateField(
        _("date of the agreement"),
        default=timezone.localdate,
        help_text=_("The date the written agreement was drawn up; no signature can be dated before it."),
    )
    reached_on = models.DateField(
        _("day the oral agreement was reached"),
        null=True,
        blank=True,
        help_text=_("An oral agreement takes effect on this day (People's Mediation Law Art. 30)."),
    )
    # 2002 rules Art. 34: either makes a written agreement compulsory.
    written_requested = models.BooleanField(_("a party asked for a written agreement"), default=False)
    settles_rights = models.BooleanField(_("it settles civil rights and obligations"), default=False)
    # The start of the day it took effect: the last signature's or seal's date, or the day reached.
    effective_at = models.DateTimeField(_("effective from"), null=True, blank=True, editable=False)

    confirms = models.JSONField(
        _("the agreement confirms"),
        default=list,
        blank=True,
        help_text=_("Tick what the agreement confirms: any of these means a court cannot confirm it."),
    )
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
    def effective_on(self) -> date | None:
        return timezone.localdate(self.effective_at) if self.effective_at else None

    @property
    def confirmation_window_ends_on(self) -> date | None:
        """The last day the parties may apply (the stamped end is the midnight after it)."""
        ends = self.confirmation_window_ends_at
        return timezone.localdate(ends) - timedelta(days=1) if ends else None

    @property
    def confirmation_eligible(self) -> bool:
        """Decided per agreement, not per category: a 抚养费 agreement in 婚姻家庭 is eligible."""
        return self.kind == self.Kind.WRITTEN and not self.confirms

    def get_confirms_display(self) -> str:
        labels = dict(self.Confirms.choices)
        return ", ".join(str(labels.get(code, code)) for code in self.confirms)

    def problems(self) -> dict[str, str]:
        """What stops this agreement from being recorded, by field (Art. 34, Art. 35, dates,
        eligibility). The admin form and the closure service both ask here."""
        problems = {}
        today = timezone.localdate()
        if self.kind == self.Kind.ORAL:
            required = [
                str(f.verbose_name)
                for f in (self._meta.get_field("written_requested"), self._meta.get_field("settles_rights"))
                if getattr(self, f.name)
            ]
            if required:
                problems["kind"] = gettext("A written agreement is required (2002 rules Art. 34): %(reasons)s.") % {
                    "reasons": gettext("; ").join(required)
                }
            if not self.oral_content.strip():
                problems["oral_content"] = gettext("Record what the parties agreed orally.")
            if self.reached_on is None:
                problems["reached_on"] = gettext("Give the day the oral agreement was reached.")
            elif self.reached_on > today:
                problems["reached_on"] = gettext("The day the agreement was reached cannot be in the future.")
        else:
            missing = [
                str(self._meta.get_field(name).verbose_name)
                for name in self.REQUIRED_CONTENTS
                if not (str(getattr(self, name) or "").strip())
            ]
            if missing:
                problems["__all__"] = gettext("A written agreement must state (2002 rules Art. 35): %(missing)s.") % {
                    "missing": gettext("; ").join(missing)
                }
            if self.drafted_on and self.drafted_on > today:
                problems["drafted_on"] = gettext("The date of the agreement cannot be in the future.")
        unknown = set(self.confirms) - set(self.Confirms.values)
        if unknown:
            problems["confirms"] = gettext("Choose from the list what the agreement confirms.")
        elif self.confirmation_wanted and not self.confirmation_eligible:
            if self.kind == self.Kind.ORAL:
                problems["confirmation_wanted"] = gettext("An oral agreement cannot be confirmed by a court.")
            else:
                problems["confirmation_wanted"] = gettext(
                    "A court cannot confirm an agreement that confirms %(what)s."
                ) % {"what": self.get_confirms_display()}
        return problems

    def clean(self):
        problems = self.problems()
        if problems:
            raise ValidationError(problems)


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
    signed_on = models.DateField(
        _("signed on"), default=timezone.localdate, help_text=_("The date written beside the signature or seal.")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
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
        ordering = ["signed_on", "pk"]
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

    def date_problem(self, agreement: "Agreement") -> str:
        """Why the signature's date cannot be right, or "" (the service and the form ask here)."""
        if self.signed_on is None:
            return gettext("Give the date of the signature.")
        if self.signed_on > timezone.localdate():
            return gettext("A signature cannot be dated in the future.")
        if agreement.drafted_on and self.signed_on < agreement.drafted_on:
            return gettext("A signature cannot be dated before the agreement (%(date)s).") % {
                "date": agreement.drafted_on.isoformat()
            }
        return ""

    def clean(self):
        if self.signer == self.Signer.PARTY and self.party_id is None:
            raise ValidationError({"party": _("Choose the party who signed.")})
        if self.signer != self.Signer.PARTY:
            self.party = None
        if self.party_id and self.agreement_id and self.party.case_id != self.agreement.case_id:
            raise ValidationError({"party": _("This person is not a party of the case.")})
        if self.agreement_id and (problem := self.date_problem(self.agreement)):
            raise ValidationError({"signed_on": problem})


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
