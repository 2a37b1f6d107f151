"""Collective claims on the pages: the figures of the dashboard and the period report
(disputes.dashboard.claims), and the claim of a case on its pages."""

from django import template

from disputes.dashboard.claims import claim_figures
from disputes.selectors import claim_for_case

register = template.Library()


@register.inclusion_tag("disputes/_claim_figures.html")
def claim_dashboard(board):
    """Resolved cases, of which legacy and collective, and the claims received and resolved."""
    return {"figures": claim_figures(board.scope, board.period, board.flows, board.claims)}


@register.inclusion_tag("disputes/_claim_sentence.html")
def claim_report_sentence(report):
    """ "共化解矛盾纠纷 N 起，其中历史积案 M 起，群体性诉求 K 件" for the period report."""
    return {"figures": claim_figures(report.scope, report.period, report.flows, report.claims)}


@register.inclusion_tag("disputes/_case_claim.html")
def case_claim(case, public_only=False):
    """The claim a case is handled in, with the claim's timeline (public events only for parties)."""
    return {"claim": claim_for_case(case, public_only=public_only), "public_only": public_only}
