from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from disputes.models.cases import Case, Category


class CaseStatCounters(models.Model):
    """The counters of the dashboard's figures, per area and category over a day or a month.

    Each case contributes to the rows of the days things happened to it (received, accepted,
    resolved, closed, followed up); disputes.stats derives those contributions from the case's own
    fields and applies the difference in the same transaction as every case write, so the tables
    always equal what `stats_rebuild()` computes from the cases. Received counts are split by
    source in columns rather than in the key, which would multiply the rows by six.
    """

    # No index of their own: the dashboard reads by period first, through the unique
    # (day|month, area, category) index. With an area_id index SQLite's planner takes
    # "area_id IN (...)" for the selective part and reads every day of every area (150 ms
    # instead of 5 ms at 100,000 cases).
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+", db_index=False
    )

    received = models.IntegerField(default=0)
    received_online = models.IntegerField(default=0)
    received_walk_in = models.IntegerField(default=0)
    received_phone = models.IntegerField(default=0)
    received_hotline_12345 = models.IntegerField(default=0)
    received_grid_screening = models.IntegerField(default=0)
    received_meeting = models.IntegerField(default=0)
    received_collective = models.IntegerField(default=0)
    # On the day of acceptance: accepted, of which by the accept deadline.
    accepted = models.IntegerField(default=0)
    accepted_on_time = models.IntegerField(default=0)
    # On the day mediation ended: resolved (化解), or closed without agreement (terminated or
    # referred); the resolution rate is resolved ÷ concluded (disputes.dashboard.figures).
    concluded = models.IntegerField(default=0)
    # On the day of resolution: resolved, of which by the resolve deadline, and hours taken in all.
    resolved = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    resolve_hours = models.BigIntegerField(default=0)
    # Of the resolved: legacy cases (Case.resolved_as_legacy) and collective ones (is_collective).
    resolved_legacy = models.IntegerField(default=0)
    resolved_collective = models.IntegerField(default=0)
    # On the day of closing (status closed: after follow-up, or terminated/referred).
    closed = models.IntegerField(default=0)
    # On the day of a follow-up visit or rating: the agreement checked / performed, satisfaction
    # given / satisfied or basically satisfied.
    performance_checked = models.IntegerField(default=0)
    performing = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseDayStat(CaseStatCounters):
    """The figures of one day: periods that are not whole months, and the weekly trend."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily case figures")
        verbose_name_plural = _("daily case figures")
        constraints = [
            # The upsert of disputes.stats conflicts on it; its index also serves the dashboard's
            # period scans (day range first).
            models.UniqueConstraint(fields=["day", "area", "category"], name="casedaystat_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.area_id} {self.category_id}"


class CaseMonthStat(CaseStatCounters):
    """The same figures summed per month (`month` is its first day), kept alongside the daily
    ones: a year of a district is then a few thousand rows instead of a few hundred thousand."""

    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("monthly case figures")
        verbose_name_plural = _("monthly case figures")
        constraints = [
            models.UniqueConstraint(fields=["month", "area", "category"], name="casemonthstat_key"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area_id} {self.category_id}"


COUNTER_FIELDS = tuple(
    f.name for f in CaseDayStat._meta.concrete_fields if isinstance(f, models.IntegerField) and f.name != "id"
)
SOURCE_FIELDS = {value: f"received_{value}" for value in Case.Source.values}
