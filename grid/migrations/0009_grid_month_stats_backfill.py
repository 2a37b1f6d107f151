"""The monthly grid counters (0006) filled from the daily ones a site already has: without this,
a whole month of a period read zero after the upgrade until someone rebuilt the figures."""

from django.db import migrations
from django.db.models import Sum
from django.db.models.functions import TruncMonth

FIGURES = [
    "opinions",
    "disputes_found",
    "hazards_found",
    "hazards_removed",
    "orders_posted",
    "orders_taken",
    "orders_done",
    "orders_satisfied",
]


def backfill(apps, schema_editor):
    day_stat = apps.get_model("grid", "GridDayStat")
    month_stat = apps.get_model("grid", "GridMonthStat")
    if month_stat.objects.exists():
        return  # kept by the services since 0006: nothing to fill
    sums = (
        day_stat.objects.annotate(month=TruncMonth("day"))
        .values("grid_id", "month")
        .annotate(**{f: Sum(f) for f in FIGURES})
        .order_by()
    )
    month_stat.objects.bulk_create(
        [month_stat(grid_id=r["grid_id"], month=r["month"], **{f: r[f] for f in FIGURES}) for r in sums],
        batch_size=5000,
    )


class Migration(migrations.Migration):
    dependencies = [("grid", "0008_grid_stat_covering_indexes")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
