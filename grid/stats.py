"""The grid figures of the dashboard (issue 16, part 6): counters per grid and day, kept in the
same transaction as the rows they count; a rebuild from the rows that must equal them; and the
figures of a scope and period, read from the counters and the campaign tables in a few queries."""

from datetime import date

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Area
from accounts.selectors import area_subtree_q
from grid.models import Campaign, DiaryEntry, GridDayStat, ScreeningReport, ServiceOrder

KIND_FIGURE = {
    DiaryEntry.Kind.OPINION: "opinions",
    DiaryEntry.Kind.DISPUTE: "disputes_found",
    DiaryEntry.Kind.HAZARD: "hazards_found",
}


def stat_add(*, grid_id: int, day: date, **deltas: int) -> None:
    """Add to one grid-day's counters (called inside the service's transaction)."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    GridDayStat.objects.get_or_create(grid_id=grid_id, day=day)
    GridDayStat.objects.filter(grid_id=grid_id, day=day).update(**{k: F(k) + v for k, v in deltas.items()})


def local_day(moment) -> date:
    return timezone.localtime(moment).date()


@transaction.atomic
def grid_stats_rebuild() -> int:
    """Recompute every counter from the rows (after a bulk load, or to check the kept ones)."""
    GridDayStat.objects.all().delete()
    tz = timezone.get_current_timezone()
    rows: dict[tuple[int, date], dict[str, int]] = {}

    def add(grid_id, day, name, n):
        rows.setdefault((grid_id, day), {})[name] = rows.get((grid_id, day), {}).get(name, 0) + n

    entries = (
        DiaryEntry.objects.filter(kind__in=list(KIND_FIGURE))
        .annotate(day=TruncDate("happened_at", tzinfo=tz))
        .values("grid_id", "day", "kind")
        .annotate(n=Count("pk"))
    )
    for r in entries:
        add(r["grid_id"], r["day"], KIND_FIGURE[r["kind"]], r["n"])
    removed = (
        DiaryEntry.objects.filter(hazard_removed_at__isnull=False)
        .annotate(day=TruncDate("hazard_removed_at", tzinfo=tz))
        .values("grid_id", "day")
        .annotate(n=Count("pk"))
    )
    for r in removed:
        add(r["grid_id"], r["day"], "hazards_removed", r["n"])
    for field, name, extra in [
        ("posted_at", "orders_posted", Q()),
        ("accepted_at", "orders_taken", Q(accepted_at__isnull=False)),
        ("confirmed_at", "orders_done", Q(confirmed_at__isnull=False)),
        ("confirmed_at", "orders_satisfied", Q(confirmed_at__isnull=False, rating__gte=ServiceOrder.Rating.FAIR)),
    ]:
        qs = ServiceOrder.objects.filter(extra).annotate(day=TruncDate(field, tzinfo=tz))
        for r in qs.values("grid_id", "day").annotate(n=Count("pk")):
            add(r["grid_id"], r["day"], name, r["n"])
    GridDayStat.objects.bulk_create(
        [GridDayStat(grid_id=g, day=d, **counts) for (g, d), counts in rows.items()], batch_size=5000
    )
    return len(rows)


def grid_figures(*, areas: list[Area], start: date, end: date, now=None) -> dict:
    """The grid figures of the areas' subtrees for the days start..end: one query on the counters,
    one on the campaigns (grids due, by a correlated count), one on the reports."""
    now = now or timezone.now()
    in_scope = area_subtree_q(areas, prefix="grid__")
    sums = GridDayStat.objects.filter(in_scope, day__gte=start, day__lte=end).aggregate(
        **{name: Coalesce(Sum(name), 0) for name in GridDayStat.FIGURES}
    )
    grids_due = (
        Area.objects.filter(area_subtree_q(areas), kind=Area.Kind.GRID, path__startswith=OuterRef("area__path"))
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values("n")
    )
    campaigns = list(
        Campaign.objects.filter(due_at__date__gte=start, due_at__date__lte=end)
        .annotate(grids=Coalesce(Subquery(grids_due, output_field=IntegerField()), 0))
        .values("pk", "due_at", "grids")
    )
    # The same campaigns by their due time (not an id list: an empty list would skip the query and
    # make the count of queries depend on the data).
    reports = ScreeningReport.objects.filter(
        in_scope, campaign__due_at__date__gte=start, campaign__due_at__date__lte=end
    ).aggregate(
        filed=Count("pk"),
        zero=Count("pk", filter=Q(found=0)),
        filed_by_now=Count("pk", filter=Q(campaign__due_at__lte=now)),
    )
    due = sum(c["grids"] for c in campaigns)
    due_by_now = sum(c["grids"] for c in campaigns if c["due_at"] <= now)
    return {
        **sums,
        "reports_due": due,
        "reports_filed": reports["filed"],
        "reports_zero": reports["zero"],
        "reports_late": due_by_now - reports["filed_by_now"],
    }
