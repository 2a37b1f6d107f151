"""The grid figures of the dashboard (issue 16, part 6): counters per grid and day, kept in the
same transaction as the rows they count; a rebuild from the rows that must equal them; and the
figures of a scope and period, read from the counters and the campaign tables in a few queries."""

from datetime import date

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Area
from accounts.selectors import area_subtree_q
from grid.models import Campaign, DiaryEntry, GridDayStat, GridMonthStat, ScreeningReport, ServiceOrder

KIND_FIGURE = {
    DiaryEntry.Kind.OPINION: "opinions",
    DiaryEntry.Kind.DISPUTE: "disputes_found",
    DiaryEntry.Kind.HAZARD: "hazards_found",
}


def stat_add(*, grid_id: int, day: date, **deltas: int) -> None:
    """Add to one grid's counters of the day and of its month (inside the service's transaction)."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    update = {k: F(k) + v for k, v in deltas.items()}
    for model, key in ((GridDayStat, {"day": day}), (GridMonthStat, {"month": day.replace(day=1)})):
        model.objects.get_or_create(grid_id=grid_id, **key)
        model.objects.filter(grid_id=grid_id, **key).update(**update)


def local_day(moment) -> date:
    return timezone.localtime(moment).date()


@transaction.atomic
def grid_stats_rebuild() -> int:
    """Recompute every counter from the rows (after a bulk load, or to check the kept ones)."""
    GridDayStat.objects.all().delete()
    GridMonthStat.objects.all().delete()
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
    months: dict[tuple[int, date], dict[str, int]] = {}
    for (grid_id, day), counts in rows.items():
        month = months.setdefault((grid_id, day.replace(day=1)), {})
        for name, n in counts.items():
            month[name] = month.get(name, 0) + n
    GridMonthStat.objects.bulk_create(
        [GridMonthStat(grid_id=g, month=m, **counts) for (g, m), counts in months.items()], batch_size=5000
    )
    return len(rows)


def due_in(start: date | None, end: date | None) -> Q:
    """The campaigns whose reports fall due in the period (the report figures' period)."""
    q = Q()
    if start:
        q &= Q(due_at__date__gte=start)
    if end:
        q &= Q(due_at__date__lte=end)
    return q


def campaigns_with_counts(campaigns, areas: list[Area]):
    """Campaigns annotated, within the areas' subtrees, with their grids due, reports filed and
    zero reports: correlated counts, one query for any number of campaigns."""
    in_scope = area_subtree_q(areas, prefix="grid__")
    grids_due = (
        Area.objects.filter(area_subtree_q(areas), kind=Area.Kind.GRID, path__startswith=OuterRef("area__path"))
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .values("n")
    )

    def reports(**extra):
        return Subquery(
            ScreeningReport.objects.filter(in_scope, campaign=OuterRef("pk"), **extra)
            .order_by()
            .values("campaign")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        )

    return campaigns.annotate(
        grids=Coalesce(Subquery(grids_due, output_field=IntegerField()), 0),
        filed=Coalesce(reports(), 0),
        zero=Coalesce(reports(found=0), 0),
    )


def grid_figures(*, areas: list[Area], start: date, end: date, now=None) -> dict:
    """The grid figures of the areas' subtrees for the days start..end: one query on the counters
    and one on the period's campaigns (campaigns_with_counts)."""
    from disputes.dashboard.figures import Period, period_split  # the dispute figures' one split

    now = now or timezone.now()
    # Whole months from the monthly rows, the days at the edges from the daily rows.
    months, days = period_split(Period("custom", start, end))
    day_q = Q(pk__in=[])
    for first, last in days:
        day_q |= Q(day__gte=first, day__lte=last)
    month_q = Q(month__gte=months[0], month__lte=months[1]) if months else Q(pk__in=[])

    # The scope's grids as a semi-join: joined on the grid, PostgreSQL merge-joined along the
    # (grid, day) index and read every day of every grid (20-40 ms at 2M entries) instead of the
    # period's range of the (day, grid) index.
    grids = Area.objects.filter(area_subtree_q(areas), kind=Area.Kind.GRID).values("pk")

    def part(model, q):
        # One row of sums (grouped by a constant: no GROUP BY), so the two parts are one UNION ALL.
        return (
            model.objects.filter(q, grid_id__in=grids)
            .order_by()
            .values(one=Value(1))
            .annotate(**{name: Sum(name) for name in GridDayStat.FIGURES})
            .values_list(*GridDayStat.FIGURES)
        )

    sums = dict.fromkeys(GridDayStat.FIGURES, 0)
    for row in part(GridDayStat, day_q).union(part(GridMonthStat, month_q), all=True):
        for name, n in zip(GridDayStat.FIGURES, row, strict=True):
            sums[name] += n or 0
    campaigns = list(
        campaigns_with_counts(Campaign.objects.filter(due_in(start, end)), areas).values(
            "due_at", "grids", "filed", "zero"
        )
    )
    reports = dict.fromkeys(REPORT_FIGURES, 0)
    for c in campaigns:
        for name, n in report_counts(
            due_at=c["due_at"], grids=c["grids"], filed=c["filed"], zero=c["zero"], now=now
        ).items():
            reports[name] += n
    return {**sums, **{f"reports_{name}": n for name, n in reports.items()}}


REPORT_FIGURES = ("due", "filed", "zero", "late")


def report_counts(*, due_at, grids: int, filed: int, zero: int, now) -> dict[str, int]:
    """A campaign's report figures within a scope (campaigns_with_counts): the grids due to
    report, the reports filed, the zero reports, and the grids still without one after the due
    time. The dashboard sums them; the campaign list shows them per campaign."""
    return {"due": grids, "filed": filed, "zero": zero, "late": max(grids - filed, 0) if due_at <= now else 0}
