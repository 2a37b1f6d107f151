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

The modules: scope.py (the period, the areas and the links to the case list), figures.py (the
KPI definitions and the grouped queries), board.py (the page and the report: cards and table
rows), charts.py (the SVG charts). Callers import the names below from disputes.dashboard.
"""

from disputes.dashboard.board import Dashboard, dashboard_build, report_build
from disputes.dashboard.charts import charts_for
from disputes.dashboard.figures import (
    DEFINITIONS,
    FLOW_LABELS,
    STOCK_LABELS,
    STOCK_NAMES,
    STOCK_STATUSES,
    SUPERVISION_LISTS,
    TREND_MEASURES,
    Flows,
    Rate,
    Stock,
    Trends,
    definitions,
    figure_q,
    flows_for,
    period_split,
    stock_for,
    supervision_list,
    trends_for,
)
from disputes.dashboard.scope import (
    PERIODS,
    STOCK_PARAMS,
    Period,
    Scope,
    case_list_url,
    flow_params,
    period_from,
    scope_for,
)

__all__ = [
    "DEFINITIONS",
    "FLOW_LABELS",
    "PERIODS",
    "STOCK_LABELS",
    "STOCK_NAMES",
    "STOCK_PARAMS",
    "STOCK_STATUSES",
    "SUPERVISION_LISTS",
    "TREND_MEASURES",
    "Dashboard",
    "Flows",
    "Period",
    "Rate",
    "Scope",
    "Stock",
    "Trends",
    "case_list_url",
    "charts_for",
    "dashboard_build",
    "definitions",
    "figure_q",
    "flow_params",
    "flows_for",
    "period_from",
    "period_split",
    "report_build",
    "scope_for",
    "stock_for",
    "supervision_list",
    "trends_for",
]
