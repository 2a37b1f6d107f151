"""The dashboard page and the period report: the figures as cards and table rows, each number
with the link to the case list behind it (disputes/dashboard/scope.py, case_list_url)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from disputes.dashboard.claims import CLAIM_COUNTS, claim_counts, claim_list_url
from disputes.dashboard.figures import (
    DAYS_IN_DEFINITIONS,
    FLOW_LABELS,
    STOCK_LABELS,
    STOCK_NAMES,
    TREND_MEASURES,
    Flows,
    Stock,
    Trends,
    definitions,
    flows_for,
    stock_for,
    trends_for,
)
from disputes.dashboard.scope import STOCK_PARAMS, Period, Scope, case_list_url, flow_params, month_after, scope_for
from disputes.deadlines import CLOCK_FIGURES, PolicyBook
from disputes.models import Category


@dataclass
class Dashboard:
    scope: Scope
    period: Period
    flows: Flows
    stock: Stock
    trends: Trends
    definitions: dict[str, str]
    days: dict[str, str]  # the configured days the texts quote (disputes.deadlines.PolicyBook.days_text)
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def rates(self) -> list[dict]:
        f = self.flows
        out = [
            {"key": "resolution_rate", "label": _("Resolution rate"), "rate": f.rate("resolved", "concluded")},
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
            item["definition"] = self.definitions[item["key"]]
        return out

    def flow_cards(self) -> list[dict]:
        return [
            {
                "key": k,
                "label": FLOW_LABELS[k],
                "value": self.flows.totals[k],
                "definition": self.definitions[k],
                "url": case_list_url(self.scope, **flow_params(k, self.period)),
                "in_ledger": True,  # the ledger of the figure lists the same cases (exports.LEDGER_FIGURES)
            }
            for k in TREND_MEASURES
        ]

    def stock_cards(self) -> list[dict]:
        return [
            {
                "key": k,
                "label": STOCK_LABELS[k],
                "value": self.stock.totals[k],
                "definition": self.definitions[k],
                "url": case_list_url(self.scope, **STOCK_PARAMS[k]),
                "in_ledger": k in CLOCK_FIGURES,
            }
            for k in STOCK_NAMES
        ]

    @cached_property
    def claims(self) -> dict:
        """The collective claims received and resolved in the period, per breakdown row and in
        total (one query per page: the claim cards and the area table share it)."""
        return claim_counts(self.scope, self.period)

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
            claims = self.claims.get(area_id, {})
            for k in CLAIM_COUNTS:
                url = claim_list_url(self.scope, p, k, area_id=link_area)
                cells.append({"value": claims.get(k, 0), "url": url})
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
            end = month_after(start) - timedelta(days=1)
            rows.append({"label": f"{start:%Y-%m}", "cells": self._flow_cells(m, start, end)})
        return rows


def dashboard_build(*, user: User, area_id=None, period: Period, now: datetime | None = None) -> Dashboard:
    return _build(user=user, area_id=area_id, period=period, now=now, with_trends=True)


def report_build(*, user: User, area_id=None, period: Period, now: datetime | None = None) -> Dashboard:
    """The period report: the dashboard's figures without the trends."""
    return _build(user=user, area_id=area_id, period=period, now=now, with_trends=False)


def _build(*, user: User, area_id, period: Period, now: datetime | None, with_trends: bool) -> Dashboard:
    scope = scope_for(user, area_id)
    categories = list(Category.objects.all())
    book = PolicyBook()
    return Dashboard(
        scope=scope,
        period=period,
        flows=flows_for(scope, period, categories),
        stock=stock_for(scope, now=now),
        trends=trends_for(scope, today=timezone.localdate(now) if now else None) if with_trends else Trends(),
        definitions=definitions(book),
        days={name: book.days_text(name) for name in DAYS_IN_DEFINITIONS},
    )
