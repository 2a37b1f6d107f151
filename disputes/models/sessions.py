import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disputes.models.cases import Case


def session_scan_upload_to(instance: "MediationSession", filename: str) -> str:
    # A random name under MEDIA_ROOT: the file is served only through an access-checked admin view.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"sessions/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class MediationSession(models.Model):
    """A mediation session record (调解笔录): who attended, what was said and what was agreed."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("held at"), default=timezone.now)
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendees = models.TextField(_("attendees"))
    content = models.TextField(_("what was said"))
    agreed = models.TextField(_("what was agreed"), blank=True)
    scan = models.FileField(
        _("scan of the signed record"), upload_to=session_scan_upload_to, max_length=200, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["held_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_at:%Y-%m-%d}"


class PoliceReport(models.Model):
    """A report to the police of a dispute that may turn into a public-order or criminal case
    (People's Mediation Law Art. 25): who reported it, when, to which station, and the receipt."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="police_reports")
    reported_by = models.CharField(_("reported by"), max_length=50)
    reported_at = models.DateTimeField(_("reported at"))
    police_station = models.CharField(_("police station"), max_length=100)
    receipt_number = models.CharField(_("receipt number"), max_length=60)
    note = models.TextField(_("what was reported"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("police report")
        verbose_name_plural = _("police reports")
        ordering = ["reported_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.receipt_number}"
