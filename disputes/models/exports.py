"""A ledger export run by a Celery worker: the request, its progress and the finished file."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def export_upload_to(instance: "LedgerExport", filename: str) -> str:
    # A random name: the file is personal data, served only through the requester's download view.
    return f"exports/{uuid.uuid4().hex}.{instance.format}"


class LedgerExport(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"

    CONTENT_TYPES = {
        Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Format.CSV: "text/csv",
    }

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # The filters of the dashboard's export link, resolved: period key, from, to, area, status, category.
    params = models.JSONField(_("filters"), default=dict)
    # A CSV is a job too when it has more rows than LEDGER_DIRECT_MAX_ROWS (disputes/exports.py).
    format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.XLSX)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in total"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=export_upload_to, max_length=200, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("ledger export")
        verbose_name_plural = _("ledger exports")
        indexes = [models.Index(fields=["state", "created_at"], name="ledgerexport_state_created")]

    def __str__(self) -> str:
        return f"{self.pk} {self.state}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def filename(self) -> str:
        start, end = (self.params.get(k, "").replace("-", "") for k in ("from", "to"))
        return f"ledger-{start}-{end}.{self.format}"

    @property
    def content_type(self) -> str:
        return self.CONTENT_TYPES[self.format]
