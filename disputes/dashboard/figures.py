"""The dashboard's figures (DESIGN §8): the KPI definitions and the grouped queries behind them.

Flows over a period are sums of the figure tables (CaseMonthStat, CaseDayStat); stock figures
count the cases with a running clock now. See disputes/dashboard/__init__.py.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from disputes.dashboard.scope import Period, Scope, flow_params, month_after
from disputes.deadlines import CLOCK_FIGURES, PolicyBook, clock_q
from disputes.models import Case, CaseDayStat, CaseMonthStat, Category
from disputes.models.stats import COUNTER_FIELDS, SOURCE_FIELDS

# The KPI definitions, shown beside each figure (and in the period report). Each figure has this one
# definition: its card, its rate, its breakdowns, the report and the ledger count the same cases.
# %(…_days)s are the configured days of the deadline policies (`definitions`).
DEFINITIONS = {
    "received": _("Cases submitted in the period (any source, including ones later rejected or withdrawn)."),
    "accepted": _("Cases accepted and assigned to a mediator in the period."),
    "resolved": _(
        "Resolved (化解): cases resolved in the period by a written or oral agreement or by reconciliation, "
        "counted on the day of resolution. A case reopened later no longer counts as resolved."
    ),
    "closed": _(
        "Cases closed in the period: after the follow-up visit, or when mediation was terminated or referred."
    ),
    "resolution_rate": _(
        "Resolution rate: of the cases whose mediation ended in the period, the share resolved "
        "(resolved ÷ (resolved + terminated or referred without agreement), all in the period)."
    ),
    "on_time_rate": _(
        "On-time rate: of the cases resolved in the period, the share resolved by their resolution deadline "
        "(%(resolve_days)s days from acceptance, or the extended deadline, plus any time suspended)."
    ),
    "timely_acceptance_rate": _(
        "Timely acceptance rate: of the cases accepted in the period, the share accepted within the acceptance "
        "deadline (%(accept_days)s days from submission)."
    ),
    "performance_rate": _(
        "Agreement performance rate: of the follow-up visits in the period that checked the "
        "agreement, the share finding it performed (fully)."
    ),
    "satisfaction_rate": _(
        "Satisfaction rate: of the follow-up visits and ratings in the period, the share "
        "satisfied or basically satisfied."
    ),
    "average_days": _(
        "Average days to resolve: from submission to resolution, over the cases resolved in the period."
    ),
    "open": _("Cases not yet resolved or ended: submitted, assigned or in mediation, now."),
    "overdue": _(
        "Cases past their nearest deadline now (acceptance, acknowledgement, resolution or follow-up visit), "
        "not counting suspended cases."
    ),
    "due_soon": _(
        "Cases whose nearest deadline falls within the next %(due_soon_days)s days, not counting suspended cases."
    ),
    "unassigned": _("Open cases with no mediator assigned."),
    "legacy": _(
        "Legacy cases: still open (not resolved or ended) more than %(legacy_days)s days after submission, "
        "not counting the time suspended."
    ),
    "suspended": _("Cases whose clocks are stopped (awaiting an appraisal, a party in hospital), now."),
    "collective": _("Open collective claims (%(collective_households)s or more households)."),
}
DAYS_IN_DEFINITIONS = ("accept_days", "resolve_days", "due_soon_days", "legacy_days")


def definitions(book: PolicyBook | None = None) -> dict[str, str]:
    """The definitions with the configured days filled in ("90", or "90 (婚姻家庭: 60)")."""
    book = book or PolicyBook()
    days = {name: book.days_text(name) for name in DAYS_IN_DEFINITIONS}
    days["collective_households"] = settings.COLLECTIVE_HOUSEHOLDS  # the one threshold (services.claims)
    return {key: str(text) % days for key, text in DEFINITIONS.items()}


TREND_MEASURES = ("received", "accepted", "resolved", "closed")
STOCK_NAMES = ("open", "overdue", "due_soon", "unassigned", "legacy", "suspended", "collective")
STOCK_STATUSES = Case.RUNNING_STATUSES

# The names of the figures on their cards, in the tables' headers and in the charts' legends.
FLOW_LABELS = {
    "received": _("Received"),
    "accepted": _("Accepted"),
    "resolved": pgettext_lazy("cases", "Resolved"),
    "closed": pgettext_lazy("cases", "Closed"),
}
STOCK_LABELS = {
    "open": _("Open"),
    "overdue": _("Overdue"),
    "due_soon": _("Due soon"),
    "unassigned": _("Unassigned"),
    "legacy": _("Legacy"),
    "suspended": _("Suspended"),
    "collective": _("Collective"),
}


def figure_q(key: str, period: Period, now: datetime) -> Q:
    """The cases behind a figure, for a list or the ledger: a flow within the period (the same
    lookups as its link to the case list), or a clock figure now (disputes.deadlines.clock_q)."""
    if key in TREND_MEASURES:
        return Q(**flow_params(key, period))
    if key in CLOCK_FIGURES:
        return clock_q(key, now)
    raise ValueError(key)


@dataclass
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """None when there is nothing to divide: shown as "—", never as 0 % or 100 %."""
        return None if not self.denominator else self.numerator / self.denominator

    @property
    def percent(self) -> str:
        return "—" if self.value is None else f"{self.value * 100:.1f}%"


@dataclass
class Flows:
    totals: dict[str, int]
    by_category: list[dict]
    by_area: list[dict]
    by_source: list[dict]

    def rate(self, numerator: str, denominator: str) -> Rate:
        return Rate(self.totals[numerator], self.totals[denominator])

    @property
    def average_days(self) -> float | None:
        resolved = self.totals["resolved"]
        return None if not resolved else round(self.totals["resolve_hours"] / 24 / resolved, 1)


def period_split(period: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months of a period (first and last month start) and the days left at its edges:
    the figures come from the monthly table for the first and the daily table for the rest."""
    first = period.start if period.start.day == 1 else month_after(period.start)
    after = (
        month_after(period.end)
        if month_after(period.end) - timedelta(days=1) == period.end
        else period.end.replace(day=1)
    )
    if first >= after:
        return None, [(period.start, period.end)]
    days = []
    if period.start < first:
        days.append((period.start, first - timedelta(days=1)))
    if after <= period.end:
        days.append((after, period.end))
    last_month = (after - timedelta(days=1)).replace(day=1)
    return (first, last_month), days


def _sums(names=COUNTER_FIELDS) -> dict:
    return {name: Sum(name) for name in names}


def _fetch(qs) -> list[tuple]:
    """Raw tuples: for a thousand rows of twenty sums, Django's per-value converters cost more
    than the query itself (the bench's page/raw ratio)."""
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def flows_for(scope: Scope, period: Period, categories: list[Category]) -> Flows:
    """Two grouped queries (whole months, edge days) over the figure tables, broken down in Python."""
    months, days = period_split(period)
    month_q = Q(month__gte=months[0], month__lte=months[1]) if months else Q(pk__in=[])
    day_q = Q(pk__in=[])
    for start, end in days:
        day_q |= Q(day__gte=start, day__lte=end)
    width = len(COUNTER_FIELDS)
    cat_rows: dict = defaultdict(list)
    area_rows: dict = defaultdict(list)
    for model, q in ((CaseMonthStat, month_q), (CaseDayStat, day_q)):
        qs = (
            model.objects.filter(q, area_id__any_of=scope.area_ids)
            .values("area_id", "category_id")
            .annotate(**_sums())
            .values_list("area_id", "category_id", *COUNTER_FIELDS)
            .order_by()
        )
        for row in _fetch(qs):
            cat_rows[row[1]].append(row[2:])
            area_rows[scope.row_of.get(row[0])].append(row[2:])

    def column_sums(rows: list[tuple]) -> list[int]:
        # Column by column in C (sum over zip), not value by value in Python: 500 rows of 20 sums.
        return [int(sum(column)) for column in zip(*rows, strict=True)]

    by_cat = defaultdict(lambda: [0] * width, {k: column_sums(v) for k, v in cat_rows.items()})
    by_area = defaultdict(lambda: [0] * width, {k: column_sums(v) for k, v in area_rows.items()})
    totals = column_sums(list(by_cat.values())) if by_cat else [0] * width

    def named(values) -> dict[str, int]:
        return dict(zip(COUNTER_FIELDS, values, strict=True))

    by_category = [{"category": c, **named(by_cat[c.pk])} for c in categories if c.pk in by_cat or c.is_active]
    by_area_rows = [{"area": a, **named(by_area[a.pk])} for a in scope.rows]
    if None in by_area:  # cases filed at the level of the chosen area itself, above the rows
        by_area_rows.append({"area": None, **named(by_area[None])})
    totals_named = named(totals)
    by_source = [
        {"source": value, "label": label, "received": totals_named[SOURCE_FIELDS[value]]}
        for value, label in Case.Source.choices
    ]
    return Flows(totals=totals_named, by_category=by_category, by_area=by_area_rows, by_source=by_source)


@dataclass
class Stock:
    totals: dict[str, int]
    by_area: list[dict]
    by_mediator: list[dict]


def stock_for(scope: Scope, *, now: datetime | None = None) -> Stock:
    """The cases with a running clock now, grouped by area and mediator in one query (they are
    few; the partial index case_running_clock holds every column read), and the mediators'
    names in a second query for the few mediators found."""
    now = now or timezone.now()
    is_open = Q(status__in=Case.OPEN_STATUSES)
    rows = (
        # Open cases and resolved ones awaiting their follow-up (their clock still runs), as the
        # admin's deadline filter counts them, so a figure and the list behind it agree.
        Case.objects.filter(status__in=STOCK_STATUSES, area_id__any_of=scope.area_ids)
        .values("area_id", "mediator_id")
        .annotate(
            open=Count("area_id", filter=is_open),
            overdue=Count("area_id", filter=clock_q("overdue", now, among_running=True)),
            due_soon=Count("area_id", filter=clock_q("due_soon", now, among_running=True)),
            unassigned=Count("area_id", filter=is_open & Q(mediator__isnull=True)),
            legacy=Count("area_id", filter=clock_q("legacy", now, among_running=True)),
            suspended=Count("area_id", filter=clock_q("suspended", now, among_running=True)),
            collective=Count("area_id", filter=is_open & Q(is_collective=True)),
        )
        .order_by()
    )
    # COUNT(area_id), not COUNT(id), and no join: PostgreSQL groups straight off the index
    # (50 ms instead of 600 ms at a million cases). Joining the mediator's name before grouping
    # made it sort every running case again: 60 ms against 28 ms for a district's 72,000.
    totals = dict.fromkeys(STOCK_NAMES, 0)
    by_area: dict = defaultdict(lambda: dict.fromkeys(STOCK_NAMES, 0))
    by_mediator: dict = {}
    for row in rows:
        area_row = by_area[scope.row_of.get(row["area_id"])]
        for name in STOCK_NAMES:
            totals[name] += row[name]
            area_row[name] += row[name]
        if row["mediator_id"]:
            pk = row["mediator_id"]
            m = by_mediator.setdefault(pk, {"id": pk, "name": "", "open": 0, "overdue": 0})
            m["open"] += row["open"]
            m["overdue"] += row["overdue"]
    if by_mediator:
        for pk, full_name, username in User.objects.filter(pk__in=by_mediator).values_list(
            "pk", "full_name", "username"
        ):
            by_mediator[pk]["name"] = full_name or username
    area_rows = [{"area": a, **by_area[a.pk]} for a in scope.rows]
    if None in by_area:
        area_rows.append({"area": None, **by_area[None]})
    mediators = sorted(by_mediator.values(), key=lambda m: (-m["overdue"], -m["open"], m["name"]))
    return Stock(totals=totals, by_area=area_rows, by_mediator=mediators)


@dataclass
class Trends:
    weeks: list[dict] = field(default_factory=list)
    months: list[dict] = field(default_factory=list)


def trends_for(scope: Scope, *, today: date | None = None, weeks: int = 12, months: int = 12) -> Trends:
    """The last 12 weeks (daily figures, grouped by day) and 12 months (monthly figures)."""
    today = today or timezone.localdate()
    first_week = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    month_keys = [today.replace(day=1)]
    for _i in range(months - 1):
        month_keys.insert(0, (month_keys[0] - timedelta(days=1)).replace(day=1))
    week_keys = [first_week + timedelta(weeks=i) for i in range(weeks)]
    by_week = {k: dict.fromkeys(TREND_MEASURES, 0) for k in week_keys}
    by_month = {k: dict.fromkeys(TREND_MEASURES, 0) for k in month_keys}
    day_rows = (
        CaseDayStat.objects.filter(day__gte=first_week, day__lte=today, area_id__any_of=scope.area_ids)
        .values("day")
        .annotate(**_sums(TREND_MEASURES))
        .order_by()
    )
    for row in day_rows:
        week = by_week.get(row["day"] - timedelta(days=row["day"].weekday()))
        if week is not None:
            for name in TREND_MEASURES:
                week[name] += row[name] or 0
    month_rows = (
        CaseMonthStat.objects.filter(
            month__gte=month_keys[0], month__lte=month_keys[-1], area_id__any_of=scope.area_ids
        )
        .values("month")
        .annotate(**_sums(TREND_MEASURES))
        .order_by()
    )
    for row in month_rows:
        month = by_month.get(row["month"])
        if month is not None:
            for name in TREND_MEASURES:
                month[name] += row[name] or 0
    return Trends(
        weeks=[{"start": k, "end": min(k + timedelta(days=6), today), **v} for k, v in by_week.items()],
        months=[{"start": k, **v} for k, v in by_month.items()],
    )


# --- Supervision lists ----------------------------------------------------------------------

SUPERVISION_LISTS = {key: label for key, label in STOCK_LABELS.items() if key != "open"}


def supervision_list(scope: Scope, kind: str, *, now: datetime | None = None, limit: int = 200) -> list[Case]:
    """The cases of one supervision list, most urgent first (the same filters as the stock
    figures and the admin's deadline filter)."""
    now = now or timezone.now()
    qs = Case.objects.filter(area_id__any_of=scope.area_ids).select_related("mediator", "area", "category")
    if kind in CLOCK_FIGURES:
        order = {"legacy": "legacy_at", "suspended": "suspended_at"}.get(kind, "next_due_at")
        qs = qs.filter(clock_q(kind, now)).order_by(order, "pk")
    elif kind == "unassigned":
        qs = qs.filter(status__in=Case.OPEN_STATUSES, mediator__isnull=True).order_by("submitted_at", "pk")
    else:
        qs = qs.filter(status__in=Case.OPEN_STATUSES, is_collective=True).order_by("next_due_at", "pk")
    cases = list(qs[:limit])
    for case in cases:
        late = now - case.next_due_at if case.next_due_at else None
        case.days_overdue = late.days if late is not None and late.total_seconds() > 0 else 0
    return cases
