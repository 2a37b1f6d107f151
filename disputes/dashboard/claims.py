"""The figures of collective claims and of the resolved cases behind the year-end sentence
"共化解矛盾纠纷 N 起，其中历史积案 M 起，群体性诉求 K 件" (issue 17, DESIGN §9a).

- N, resolved cases: the dashboard's own "resolved" flow (the figure tables, disputes.stats);
  of which legacy (Case.resolved_as_legacy, stamped on resolution from the case's legacy date)
  and of which collective (is_collective): two more counters of the same tables, so no query of
  their own.
- K, collective claims resolved in the period: a claim counts on the day none of its member cases
  was open any more and at least one was resolved (CollectiveClaim.resolved_at, kept by
  services.collective.claim_status_sync) — the source reports count claims ("3个群体性诉求也得到了
  成功化解"), not the cases in them. With the claims received, one query over the few claims.

Every number links to the list behind it: the case list with the resolved filter, the claim list
with its dates. The same one query, grouped by the claim's area, gives the claims received and
resolved per row of the area breakdown (claim_counts; Dashboard.claims reads it once per page).
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import get_script_prefix

from disputes.dashboard.figures import Flows
from disputes.dashboard.scope import (
    Period,
    Scope,
    admin_list_url,
    case_list_url,
    changelist_url,
    flow_params,
    period_params,
)
from disputes.models import CollectiveClaim


@dataclass
class ClaimFigures:
    resolved: int
    resolved_legacy: int
    resolved_collective: int
    claims_received: int
    claims_resolved: int
    urls: dict[str, str]


CLAIM_COUNTS = ("claims_received", "claims_resolved")


def claim_counts(scope: Scope, period: Period) -> dict:
    """The claims received and resolved in the period, in the scope's areas: one query grouped by
    the claim's area, summed into the rows of the area breakdown (scope.row_of; a claim handled
    above the rows, across two communities, falls in the row None, the scope's own). Returns
    {row id or None: {"claims_received": n, "claims_resolved": m}} with the totals under "total"."""
    start, end = period.start_at, period.end_before
    rows = (
        CollectiveClaim.objects.filter(area_id__any_of=scope.area_ids)
        .filter(Q(created_at__gte=start, created_at__lt=end) | Q(resolved_at__gte=start, resolved_at__lt=end))
        .values("area_id")
        .annotate(
            received=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
        )
        .values_list("area_id", "received", "resolved")
        .order_by()
    )
    counts: dict = {"total": dict.fromkeys(CLAIM_COUNTS, 0)}
    for area_id, received, resolved in rows:
        for key in (scope.row_of.get(area_id), "total"):
            row = counts.setdefault(key, dict.fromkeys(CLAIM_COUNTS, 0))
            row["claims_received"] += received
            row["claims_resolved"] += resolved
    return counts


def claim_list_url(scope: Scope, period: Period, key: str, *, area_id: int | None = None) -> str:
    """The claim list behind a claim figure: the claims of the area received or resolved in the period."""
    field = "created_at" if key == "claims_received" else "resolved_at"
    area_id = area_id or (scope.area.pk if scope.area else None)
    query = {"area": area_id} if area_id else {}
    query.update(period_params(field, period))
    return admin_list_url(changelist_url("admin:disputes_collectiveclaim_changelist", get_script_prefix()), query)


def claim_figures(scope: Scope, period: Period, flows: Flows, counts: dict | None = None) -> ClaimFigures:
    """The claims received and resolved in the period (claim_counts: one query, unless the page
    already ran it); the case figures come from the flows already summed for the page."""
    total = (counts if counts is not None else claim_counts(scope, period))["total"]
    resolved = flow_params("resolved", period)
    urls = {
        "resolved": case_list_url(scope, **resolved),
        "resolved_legacy": case_list_url(scope, resolved_as_legacy__exact=1, **resolved),
        "resolved_collective": case_list_url(scope, is_collective__exact=1, **resolved),
        **{key: claim_list_url(scope, period, key) for key in CLAIM_COUNTS},
    }
    t = flows.totals
    return ClaimFigures(
        resolved=t["resolved"],
        resolved_legacy=t["resolved_legacy"],
        resolved_collective=t["resolved_collective"],
        claims_received=total["claims_received"],
        claims_resolved=total["claims_resolved"],
        urls=urls,
    )
