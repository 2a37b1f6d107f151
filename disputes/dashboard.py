"""The supervisor dashboard's reads (DESIGN §8): KPIs, breakdowns, trends and the links behind them.

Two kinds of figure, two sources:

- Flows over a period (received, accepted, resolved, closed, follow-ups and the rates built on
  them) are sums of the figure tables kept in step with every case write (disputes.stats):
  CaseMonthStat for the whole months of the period, CaseDayStat for the days at its edges. A year
  of a district is then a few thousand narrow rows, whatever the number of cases.
- Stock figures (open, overdue, due soon, unassigned, legacy, collective, by mediator) describe
  the cases with a running clock now, which are few: one grouped query that PostgreSQL answers
  from the partial index case_running_clock alone.

The number of queries is fixed (eleven for the page, whatever the data size): each figure family
is one grouped query, broken down in Python.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.db import connection
from django.db.models import Count, Q, Sum
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Area, User
from accounts.selectors import area_list_for_user, served_areas
from disputes.deadlines import DUE_SOON, LEGACY_AFTER
from disputes.models import Case, CaseDayStat, CaseMonthStat, Category
from disputes.models.stats import COUNTER_FIELDS, SOURCE_FIELDS

PERIODS = {
    "week": _("This week"),
    "month": _("This month"),
    "quarter": _("This quarter"),
    "year": _("This year"),
    "custom": _("Custom"),
}

# The KPI definitions, shown one click away from each figure (and in the period report).
DEFINITIONS = {
    "received": _("Cases submitted in the period (any source, including ones later rejected or withdrawn)."),
    "accepted": _("Cases accepted and assigned to a mediator in the period."),
    "resolved": _(
        "Cases resolved in the period by a written or oral agreement or by reconciliation. "
        "A case reopened later no longer counts as resolved."
    ),
    "closed": _(
        "Cases closed in the period: after the follow-up visit, or when mediation was terminated or referred."
    ),
    "resolution_rate": _(
        "Resolution rate: of the cases accepted in the period, the share resolved so far "
        "(resolved ÷ accepted, same cases)."
    ),
    "on_time_rate": _(
        "On-time rate: of the cases resolved in the period, the share resolved by their "
        "resolution deadline (30 days from acceptance, or the extended deadline)."
    ),
    "timely_acceptance_rate": _(
        "Timely acceptance rate: of the cases accepted in the period, the share accepted within "
        "the acceptance deadline (3 days from submission)."
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
    "due_soon": _("Cases whose nearest deadline falls within the next 3 days."),
    "unassigned": _("Open cases with no mediator assigned."),
    "legacy": _("Legacy cases: submitted more than 90 days ago and not yet closed, rejected or withdrawn."),
    "collective": _("Open collective claims (5 or more households)."),
}


# --- Periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date  # inclusive

    @property
    def label(self):
        return PERIODS[self.key]

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_before(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def period_from(key: str | None, *, start: date | None = None, end: date | None = None, today=None) -> Period:
    """The period a dashboard or report covers; an unknown key means this month."""
    today = today or timezone.localdate()
    if key == "custom" and start and end:
        return Period("custom", min(start, end), max(start, end))
    if key == "week":
        return Period("week", today - timedelta(days=today.weekday()), today)
    if key == "quarter":
        return Period("quarter", date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
    if key == "year":
        return Period("year", date(today.year, 1, 1), today)
    return Period("month", today.replace(day=1), today)


# --- Scope ----------------------------------------------------------------------------------


@dataclass
class Scope:
    """The areas a dashboard covers: the chosen area's subtree within the user's, and the rows of
    the "by community or grid" breakdown (each area mapped to the row it falls under)."""

    user: User
    area: Area | None  # None: all the areas the user serves
    choices: list[Area]  # the areas the user may choose (their subtree)
    area_ids: list[int]
    rows: list[Area]
    row_of: dict[int, int | None]

    @property
    def name(self) -> str:
        return self.area.name if self.area else str(_("All my areas"))


def scope_for(user: User, area_id: int | str | None = None) -> Scope:
    """Two small queries: the served areas and the areas of their subtrees."""
    if not (user.is_superuser or user.is_supervisor):
        raise PermissionDenied
    choices = list(area_list_for_user(user).only("pk", "name", "kind", "path", "parent_id").order_by("path"))
    by_id = {a.pk: a for a in choices}
    top = min((a.depth for a in choices), default=1)
    for a in choices:
        a.indent = "\u3000" * (a.depth - top)  # the area selector shows the tree
    area = None
    if area_id not in (None, ""):
        try:
            area = by_id[int(area_id)]
        except (KeyError, ValueError, TypeError):
            raise PermissionDenied from None
    elif not user.is_superuser and len(served_areas(user)) == 1:
        area = by_id.get(served_areas(user)[0].pk)
    inside = [a for a in choices if area is None or a.path.startswith(area.path)]
    rows = _breakdown_rows(area, inside)
    row_of: dict[int, int | None] = {}
    for a in inside:
        row_of[a.pk] = next((r.pk for r in rows if a.path.startswith(r.path)), None)
    return Scope(user=user, area=area, choices=choices, area_ids=[a.pk for a in inside], rows=rows, row_of=row_of)


def _breakdown_rows(area: Area | None, inside: list[Area]) -> list[Area]:
    # Communities for a district or subdistrict, grids for a community.
    if area is not None and area.kind == Area.Kind.GRID:
        return [area]
    kind = Area.Kind.GRID if area is not None and area.kind == Area.Kind.COMMUNITY else Area.Kind.COMMUNITY
    return [a for a in inside if a.kind == kind]


# --- Links to the filtered list -------------------------------------------------------------

# The admin changelist parameters the links use (disputes/admin/cases.py, CaseAdmin.list_filter):
# AreaFilter "area" (subtree of an area id), DeadlineFilter "deadline" (overdue / due_soon /
# legacy), AssignmentFilter "assigned" (unassigned), and plain lookups on the case's own fields.


def case_list_url(scope: Scope, *, area_id: int | None = None, **params) -> str:
    query = {}
    area = area_id or (scope.area.pk if scope.area else None)
    if area:
        query["area"] = area
    query.update({key: value for key, value in params.items() if value is not None})
    return f"{_changelist_url(get_script_prefix())}?{urlencode(query)}"


@functools.lru_cache(maxsize=8)
def _changelist_url(prefix: str) -> str:
    # A dashboard has a few hundred links to the same list: reverse it once (per script prefix).
    return reverse("admin:disputes_case_changelist")


def flow_params(measure: str, period: Period) -> dict:
    """The admin filters behind a flow figure: the date field of the measure within the period."""
    field_name = {
        "received": "submitted_at",
        "accepted": "accepted_at",
        "resolved": "resolved_at",
        "closed": "closed_at",
    }[measure]
    params = {
        # Local midnights with their offset: the list counts the same days as the figures.
        f"{field_name}__gte": period.start_at.isoformat(),
        f"{field_name}__lt": period.end_before.isoformat(),
    }
    if measure == "closed":
        params["status__exact"] = Case.Status.CLOSED
    return params


STOCK_PARAMS = {
    "open": {"status__in": ",".join(Case.OPEN_STATUSES)},
    "overdue": {"deadline": "overdue"},
    "due_soon": {"deadline": "due_soon"},
    "unassigned": {"assigned": "unassigned"},
    "legacy": {"deadline": "legacy"},
    "collective": {"status__in": ",".join(Case.OPEN_STATUSES), "is_collective__exact": "1"},
}


# --- Figures --------------------------------------------------------------------------------


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


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTER_FIELDS, 0)


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_split(period: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months of a period (first and last month start) and the days left at its edges:
    the figures come from the monthly table for the first and the daily table for the rest."""
    first = period.start if period.start.day == 1 else _month_after(period.start)
    after = (
        _month_after(period.end)
        if _month_after(period.end) - timedelta(days=1) == period.end
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
    by_cat: dict = defaultdict(lambda: [0] * width)
    by_area: dict = defaultdict(lambda: [0] * width)
    for model, q in ((CaseMonthStat, month_q), (CaseDayStat, day_q)):
        qs = (
            model.objects.filter(q, area_id__in=scope.area_ids)
            .values("area_id", "category_id")
            .annotate(**_sums())
            .values_list("area_id", "category_id", *COUNTER_FIELDS)
            .order_by()
        )
        for area_id, category_id, *values in _fetch(qs):
            cat, area = by_cat[category_id], by_area[scope.row_of.get(area_id)]
            for i, n in enumerate(values):
                if n:
                    cat[i] += int(n)
                    area[i] += int(n)
    totals = [sum(column) for column in zip(*by_cat.values(), strict=True)] if by_cat else [0] * width

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


STOCK_NAMES = ("open", "overdue", "due_soon", "unassigned", "legacy", "collective")
STOCK_STATUSES = (*Case.OPEN_STATUSES, Case.Status.RESOLVED)


def stock_for(scope: Scope, *, now: datetime | None = None) -> Stock:
    """The cases with a running clock now, grouped by area and mediator in one query (they are
    few; the (area, status) index finds them)."""
    now = now or timezone.now()
    is_open = Q(status__in=Case.OPEN_STATUSES)
    running = Q(suspended_at__isnull=True)
    rows = (
        # Open cases and resolved ones awaiting their follow-up (their clock still runs), as the
        # admin's deadline filter counts them, so a figure and the list behind it agree.
        Case.objects.filter(status__in=STOCK_STATUSES, area_id__in=scope.area_ids)
        .values("area_id", "mediator_id", "mediator__full_name", "mediator__username")
        .annotate(
            open=Count("area_id", filter=is_open),
            overdue=Count("area_id", filter=running & Q(next_due_at__lt=now)),
            due_soon=Count("area_id", filter=running & Q(next_due_at__gte=now, next_due_at__lt=now + DUE_SOON)),
            unassigned=Count("area_id", filter=is_open & Q(mediator__isnull=True)),
            legacy=Count("area_id", filter=Q(submitted_at__lt=now - LEGACY_AFTER)),
            collective=Count("area_id", filter=is_open & Q(is_collective=True)),
        )
        .order_by()
    )
    # COUNT(area_id), not COUNT(id): every column read is in the partial index case_running_clock, so
    # PostgreSQL answers from the index alone (50 ms instead of 600 ms at a million cases).
    totals = dict.fromkeys(STOCK_NAMES, 0)
    by_area: dict = defaultdict(lambda: dict.fromkeys(STOCK_NAMES, 0))
    by_mediator: dict = {}
    for row in rows:
        area_row = by_area[scope.row_of.get(row["area_id"])]
        for name in STOCK_NAMES:
            totals[name] += row[name]
            area_row[name] += row[name]
        if row["mediator_id"]:
            m = by_mediator.setdefault(
                row["mediator_id"],
                {
                    "id": row["mediator_id"],
                    "name": row["mediator__full_name"] or row["mediator__username"],
                    "open": 0,
                    "overdue": 0,
                },
            )
            m["open"] += row["open"]
            m["overdue"] += row["overdue"]
    area_rows = [{"area": a, **by_area[a.pk]} for a in scope.rows]
    if None in by_area:
        area_rows.append({"area": None, **by_area[None]})
    mediators = sorted(by_mediator.values(), key=lambda m: (-m["overdue"], -m["open"], m["name"]))
    return Stock(totals=totals, by_area=area_rows, by_mediator=mediators)


@dataclass
class Trends:
    weeks: list[dict] = field(default_factory=list)
    months: list[dict] = field(default_factory=list)


TREND_MEASURES = ("received", "accepted", "resolved", "closed")


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
        CaseDayStat.objects.filter(day__gte=first_week, day__lte=today, area_id__in=scope.area_ids)
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
        CaseMonthStat.objects.filter(month__gte=month_keys[0], month__lte=month_keys[-1], area_id__in=scope.area_ids)
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


# --- The whole page -------------------------------------------------------------------------


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    flows: Flows
    stock: Stock
    trends: Trends
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def rates(self) -> list[dict]:
        f = self.flows
        out = [
            {"key": "resolution_rate", "label": _("Resolution rate"), "rate": f.rate("accepted_resolved", "accepted")},
            {"key": "on_time_rate", "label": _("On-time rate"), "rate": f.rate("resolved_on_time", "resolved")},
            {
                "key": "timely_acceptance_rate",
                "label": _("Timely acceptance rate"),
                "rate": f.rate("accepted_on_time", "accepted"),
            },
            {
                "key": "performance_rate",
                "label": _("Agreement performance rate"),
                "rate": f.rate("performing", "performance_checked"),
            },
            {"key": "satisfaction_rate", "label": _("Satisfaction rate"), "rate": f.rate("satisfied", "rated")},
        ]
        for item in out:
            item["definition"] = DEFINITIONS[item["key"]]
        return out

    def flow_cards(self) -> list[dict]:
        labels = {
            "received": _("Received"),
            "accepted": _("Accepted"),
            "resolved": pgettext_lazy("cases", "Resolved"),
            "closed": pgettext_lazy("cases", "Closed"),
        }
        return [
            {
                "key": k,
                "label": labels[k],
                "value": self.flows.totals[k],
                "definition": DEFINITIONS[k],
                "url": case_list_url(self.scope, **flow_params(k, self.period)),
            }
            for k in TREND_MEASURES
        ]

    def stock_cards(self) -> list[dict]:
        labels = {
            "open": _("Open"),
            "overdue": _("Overdue"),
            "due_soon": _("Due soon"),
            "unassigned": _("Unassigned"),
            "legacy": _("Legacy"),
            "collective": _("Collective"),
        }
        return [
            {
                "key": k,
                "label": labels[k],
                "value": self.stock.totals[k],
                "definition": DEFINITIONS[k],
                "url": case_list_url(self.scope, **STOCK_PARAMS[k]),
            }
            for k in STOCK_NAMES
        ]

    # Rows of the tables, each number with the link to the list behind it.

    def _flow_cells(self, row: dict, start: date, end: date, **params) -> list[dict]:
        span = Period("custom", start, end)
        return [
            {"value": row[k], "url": case_list_url(self.scope, **flow_params(k, span), **params)}
            for k in TREND_MEASURES
        ]

    def category_rows(self) -> list[dict]:
        p = self.period
        return [
            {
                "label": r["category"],
                "cells": self._flow_cells(r, p.start, p.end, category__id__exact=r["category"].pk),
            }
            for r in self.flows.by_category
        ]

    def area_rows(self) -> list[dict]:
        p, stock = self.period, {(r["area"].pk if r["area"] else None): r for r in self.stock.by_area}
        rows = []
        for r in self.flows.by_area:
            area_id = r["area"].pk if r["area"] else None
            s = stock.get(area_id) or dict.fromkeys(STOCK_NAMES, 0)
            link_area = area_id or (self.scope.area.pk if self.scope.area else None)
            cells = self._flow_cells(r, p.start, p.end, area_id=link_area)
            for k in ("open", "overdue"):
                cells.append({"value": s[k], "url": case_list_url(self.scope, area_id=link_area, **STOCK_PARAMS[k])})
            rows.append({"label": r["area"] or self.scope.name, "cells": cells})
        return rows

    def mediator_rows(self) -> list[dict]:
        return [
            {
                "label": m["name"],
                "cells": [
                    {"value": m[k], "url": case_list_url(self.scope, mediator__id__exact=m["id"], **STOCK_PARAMS[k])}
                    for k in ("open", "overdue")
                ],
            }
            for m in self.stock.by_mediator
        ]

    def source_rows(self) -> list[dict]:
        params = flow_params("received", self.period)
        return [
            {
                "label": r["label"],
                "cells": [
                    {"value": r["received"], "url": case_list_url(self.scope, source__exact=r["source"], **params)}
                ],
            }
            for r in self.flows.by_source
        ]

    def week_rows(self) -> list[dict]:
        return [
            {"label": f"{w['start']:%m-%d}–{w['end']:%m-%d}", "cells": self._flow_cells(w, w["start"], w["end"])}
            for w in self.trends.weeks
        ]

    def month_rows(self) -> list[dict]:
        rows = []
        for m in self.trends.months:
            start = m["start"]
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
            rows.append({"label": f"{start:%Y-%m}", "cells": self._flow_cells(m, start, end)})
        return rows


def dashboard_build(*, user: User, area_id=None, period: Period, now: datetime | None = None) -> Dashboard:
    scope = scope_for(user, area_id)
    categories = list(Category.objects.all())
    return Dashboard(
        scope=scope,
        period=period,
        flows=flows_for(scope, period, categories),
        stock=stock_for(scope, now=now),
        trends=trends_for(scope, today=timezone.localdate(now) if now else None),
    )


def report_build(*, user: User, area_id=None, period: Period, now: datetime | None = None) -> Dashboard:
    """The period report: the dashboard's figures without the trends."""
    scope = scope_for(user, area_id)
    categories = list(Category.objects.all())
    return Dashboard(
        scope=scope,
        period=period,
        flows=flows_for(scope, period, categories),
        stock=stock_for(scope, now=now),
        trends=Trends(),
    )


# --- Supervision lists ----------------------------------------------------------------------

SUPERVISION_LISTS = {
    "overdue": _("Overdue"),
    "due_soon": _("Due soon"),
    "unassigned": _("Unassigned"),
    "legacy": _("Legacy"),
    "collective": _("Collective"),
}


def supervision_list(scope: Scope, kind: str, *, now: datetime | None = None, limit: int = 200) -> list[Case]:
    """The cases of one supervision list, most urgent first (the same filters as the stock
    figures and the admin's deadline filter)."""
    now = now or timezone.now()
    qs = Case.objects.filter(area_id__in=scope.area_ids).select_related("mediator", "area", "category")
    running = Q(status__in=STOCK_STATUSES, suspended_at__isnull=True)
    if kind == "overdue":
        qs = qs.filter(running, next_due_at__lt=now).order_by("next_due_at", "pk")
    elif kind == "due_soon":
        qs = qs.filter(running, next_due_at__gte=now, next_due_at__lt=now + DUE_SOON).order_by("next_due_at", "pk")
    elif kind == "unassigned":
        qs = qs.filter(status__in=Case.OPEN_STATUSES, mediator__isnull=True).order_by("submitted_at", "pk")
    elif kind == "legacy":
        qs = qs.filter(status__in=STOCK_STATUSES, submitted_at__lt=now - LEGACY_AFTER).order_by("submitted_at", "pk")
    else:
        qs = qs.filter(status__in=Case.OPEN_STATUSES, is_collective=True).order_by("next_due_at", "pk")
    cases = list(qs[:limit])
    for case in cases:
        late = now - case.next_due_at if case.next_due_at else None
        case.days_overdue = late.days if late is not None and late.total_seconds() > 0 else 0
    return cases


# --- Charts (server-side SVG from pygal: no JavaScript, no CDN) -----------------------------


def _chart_style():
    from pygal.style import Style

    return Style(
        background="transparent",
        plot_background="transparent",
        font_family='system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
        colors=("#198754", "#0d6efd", "#fd7e14", "#6c757d", "#dc3545", "#6f42c1"),
        # The SVG is drawn 600 wide and shown at about 480 (a half-width card): large type.
        label_font_size=16,
        major_label_font_size=16,
        legend_font_size=17,
        value_font_size=15,
        title_font_size=19,
    )


@functools.lru_cache(maxsize=256)
def _draw(kind: str, title: str, x_labels: tuple, series: tuple, options: tuple) -> str:
    """One chart's SVG. Memoised on its inputs (the figures and the translated labels): drawing
    costs pygal about 20 ms a chart, and the figures change far less often than pages are viewed."""
    import pygal

    chart = getattr(pygal, kind)(
        title=title,
        style=_chart_style(),
        js=[],  # pygal's tooltip script comes from a CDN by default: none here
        disable_xml_declaration=True,
        width=600,
        legend_at_bottom=True,
        show_y_guides=True,
        truncate_label=-1,  # never cut "2026-03" to "20…"
        max_scale=6,  # a few y labels, not one per unit
        x_label_rotation=30 if kind in ("Line", "Bar") else 0,
        **dict(options),
    )
    if x_labels:
        chart.x_labels = list(x_labels)
    for name, values in series:
        chart.add(name, list(values) if isinstance(values, tuple) else values)
    return chart.render(is_unicode=True)


def charts_for(board: Dashboard) -> dict[str, str]:
    """SVG markup of the charts; the page shows the same numbers in tables."""
    labels = {
        "received": str(_("Received")),
        "accepted": str(_("Accepted")),
        "resolved": str(pgettext_lazy("cases", "Resolved")),
        "closed": str(pgettext_lazy("cases", "Closed")),
    }
    weeks, months = board.trends.weeks, board.trends.months
    weekly = _draw(
        "Line",
        str(_("Weekly trend")),
        tuple(f"{w['start']:%m-%d}" if i % 2 == 0 else "" for i, w in enumerate(weeks)),
        tuple((labels[k], tuple(w[k] for w in weeks)) for k in ("received", "resolved")),
        (("height", 320), ("include_x_axis", True)),
    )
    monthly = _draw(
        "Bar",
        str(_("Monthly trend")),
        tuple(f"{m['start']:%y-%m}" for m in months),
        tuple((labels[k], tuple(m[k] for m in months)) for k in TREND_MEASURES),
        (("height", 320),),
    )
    categories = sorted((r for r in board.flows.by_category if r["received"]), key=lambda r: r["received"])
    by_category = _draw(
        "HorizontalBar",
        str(_("Received by category")),
        tuple(str(r["category"]) for r in categories),
        ((labels["received"], tuple(r["received"] for r in categories)),),
        (("height", max(240, 30 * len(categories) + 100)), ("show_legend", False)),
    )
    by_source = _draw(
        "Pie",
        str(_("Received by source")),
        (),
        tuple((str(r["label"]), r["received"]) for r in board.flows.by_source if r["received"]),
        (("height", 320), ("inner_radius", 0.45)),
    )
    return {"weekly": weekly, "monthly": monthly, "by_category": by_category, "by_source": by_source}
