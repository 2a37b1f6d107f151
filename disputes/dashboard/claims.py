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
with its dates.
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.http import urlencode

from disputes.dashboard.figures import Flows
from disputes.dashboard.scope import Period, Scope, case_list_url, flow_params
from disputes.models import CollectiveClaim


@dataclass
class ClaimFigures:
    resolved: int
    resolved_legacy: int
    resolved_collective: int
    claims_received: int
    claims_resolved: int
    urls: dict[str, str]


def claim_figures(scope: Scope, period: Period, flows: Flows) -> ClaimFigures:
    """One query (the claims received and resolved in the period, in the scope's areas); the case
    figures come from the flows already summed for the page."""
    start, end = period.start_at, period.end_before
    counts = CollectiveClaim.objects.filter(area_id__any_of=scope.area_ids).aggregate(
        received=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
    )
    resolved = flow_params("resolved", period)
    claims_url = reverse("admin:disputes_collectiveclaim_changelist")
    area = {"area": scope.area.pk} if scope.area else {}
    urls = {
        "resolved": case_list_url(scope, **resolved),
        "resolved_legacy": case_list_url(scope, resolved_as_legacy__exact=1, **resolved),
        "resolved_collective": case_list_url(scope, is_collective__exact=1, **resolved),
        "claims_received": f"{claims_url}?"
        + urlencode({**area, "created_at__gte": start.isoformat(), "created_at__lt": end.isoformat()}),
        "claims_resolved": f"{claims_url}?"
        + urlencode({**area, "resolved_at__gte": start.isoformat(), "resolved_at__lt": end.isoformat()}),
    }
    t = flows.totals
    return ClaimFigures(
        resolved=t["resolved"],
        resolved_legacy=t["resolved_legacy"],
        resolved_collective=t["resolved_collective"],
        claims_received=counts["received"],
        claims_resolved=counts["resolved"],
        urls=urls,
    )
