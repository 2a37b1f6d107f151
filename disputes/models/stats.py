from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Area
from disputes.models.cases import Case, Category


class CaseDayStat(models.Model):
    """Flow figures of the dashboard per day, area and category, kept in step with the cases.

    Each case contributes to the rows of the days things happened to it (received, accepted,
    resolved, closed); disputes.stats derives those contributions from the case's own fields and
    applies the difference in the same transaction as every case write, so the table always
    equals what `stats_rebuild()` computes from the cases. The dashboard then sums a few hundred
    thousand narrow rows at most instead of scanning a million cases at every view.
    Received counts are split by source in columns (the source breakdown) rather than in the key,
    which would multiply the rows by six.
    """

    day = models.DateField(_("day"))
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+")

    received = models.IntegerField(default=0)
    received_online = models.IntegerField(default=0)
    received_walk_in = models.IntegerField(default=0)
    received_phone = models.IntegerField(default=0)
    received_hotline_12345 = models.IntegerField(default=0)
    received_grid_screening = models.IntegerField(default=0)
    received_meeting = models.IntegerField(default=0)
    received_collective = models.IntegerField(default=0)
    # On the day of acceptance: accepted, of which by the accept deadline, of which resolved since.
    accepted = models.IntegerField(default=0)
    accepted_on_time = models.IntegerField(default=0)
    accepted_resolved = models.IntegerField(default=0)
    # On the day of resolution: resolved, of which by the resolve deadline, and hours taken in all.
    resolved = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    resolve_hours = models.BigIntegerField(default=0)
    # On the day of closing (status closed: after follow-up, or terminated/referred).
    closed = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily case figures")
        verbose_name_plural = _("daily case figures")
        constraints = [
            # The upsert of disputes.stats.stats_apply conflicts on it; its index also serves the
            # dashboard's period scans (day range first).
            models.UniqueConstraint(fields=["day", "area", "category"], name="casedaystat_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.area_id} {self.category_id}"


COUNTER_FIELDS = tuple(
    f.name for f in CaseDayStat._meta.concrete_fields if isinstance(f, (models.IntegerField,)) and f.name != "id"
)
SOURCE_FIELDS = {value: f"received_{value}" for value in Case.Source.values}
