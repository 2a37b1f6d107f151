"""Reads of grid work with more than one caller."""

from typing import NamedTuple

from django.db.models import CharField, Exists, FilteredRelation, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, Organisation, User
from accounts.selectors import area_subtree_q
from disputes.models import Case, Reminder, Rule
from disputes.services.reminders.rules import grid_report_period
from grid.access import own_diary_entries
from grid.models import Campaign, DiaryEntry, GridMember

DIARY_PAGE = 30


def diary_list_for(user: User, *, limit: int = DIARY_PAGE) -> QuerySet[DiaryEntry]:
    """A worker's own newest entries (the index diary_author_newest), with what each row shows."""
    return own_diary_entries(user).select_related("grid", "estate", "case").order_by("-happened_at", "-id")[:limit]


# The state of a grid in a campaign, computed once here for the overview, its counts and its tests.
ZERO, FOUND, WAITING, LATE, ESCALATED = "zero", "found", "waiting", "late", "escalated"
STATE_LABELS = {
    ZERO: _("Zero report"),
    FOUND: _("Found problems"),
    WAITING: _("Not due yet"),
    LATE: _("Late, reminded"),
    ESCALATED: _("Late, before the tier above"),
}


class OverviewRow(NamedTuple):
    """One grid of a campaign overview: plain values, no model instance (500 rows a page)."""

    pk: int
    name: str
    community: str
    checked: int | None
    found: int | None
    fixed: int | None
    state: str


def campaign_overview(
    campaign: Campaign, *, now=None, within: list[Area] | None = None
) -> tuple[list[OverviewRow], dict[str, int]]:
    """Every grid of the campaign with its report's figures and its state, in one query
    (a filtered LEFT JOIN on the report, an EXISTS on the reminder rows that put a late grid before
    the tier above); plus the count per state. `within`: only the grids in these areas' subtrees.
    Read as tuples: building 500 Area instances (and their parents) was most of the page's time."""
    now = now or timezone.now()
    scope = area_subtree_q(within) if within is not None else Q()
    grids = (
        Area.objects.filter(scope, kind=Area.Kind.GRID, path__startswith=campaign.area.path)
        .annotate(
            report=FilteredRelation("screening_reports", condition=Q(screening_reports__campaign=campaign)),
            escalated=Exists(
                Reminder.objects.filter(
                    case__isnull=True,
                    rule=Rule.GRID_REPORT_ESCALATED,
                    period=Concat(Value(grid_report_period(campaign.pk, "")), Cast(OuterRef("pk"), CharField())),
                )
            ),
        )
        .order_by("path")
        .values_list(
            "pk",
            "name",
            "parent__name",
            "report__id",
            "report__checked",
            "report__found",
            "report__fixed",
            "escalated",
        )
    )
    counts = dict.fromkeys(STATE_LABELS, 0)
    due = now >= campaign.due_at
    rows = []
    for pk, name, community, report_id, checked, found, fixed, escalated in grids:
        if report_id is not None:
            state = FOUND if found else ZERO
        elif not due:
            state = WAITING
        else:
            state = ESCALATED if escalated else LATE
        counts[state] += 1
        rows.append(OverviewRow(pk, name, community or "", checked, found, fixed, state))
    return rows, counts


# ---------------------------------------------------------------------------------------------
# The contact card (居民联系卡)


def contact_card_for(*, grid: Area) -> dict:
    """Who a resident of `grid` can call: its grid workers and grid head (with the phones they
    chose to publish and their office hours), the community's mediators and its office."""
    community = grid.parent
    members = list(
        GridMember.objects.filter(role__in=GridMember.DIARY_ROLES, area__in=[grid.pk, community.pk])
        .select_related("user")
        .order_by("role", "pk")
    )
    mediators = User.objects.filter(is_active=True, role=User.Role.MEDIATOR, areas=community).order_by("pk")
    office = Organisation.objects.filter(kind=Organisation.Kind.RESIDENTS_COMMITTEE, area=community).first()
    return {
        "grid": grid,
        "community": community,
        "workers": [m for m in members if m.role == GridMember.Role.GRID_WORKER and m.area_id == grid.pk],
        "heads": [m for m in members if m.role == GridMember.Role.GRID_HEAD],
        "mediators": list(mediators[:3]),
        "office": office,
    }


def grid_of_case(case) -> Area | None:
    if case.area.kind == Area.Kind.GRID:
        return case.area
    if case.estate_id and case.estate.grid_id:
        return case.estate.grid
    return None


def home_grid_for(user: User) -> Area | None:
    """A resident's grid: the building they head, else the place of their latest case. (Accounts
    keep no home address, so a resident with neither has no card yet.)"""
    if not user.is_authenticated or not user.is_resident:
        return None
    member = GridMember.objects.filter(user=user, role__in=GridMember.REPORTER_ROLES).select_related("area").first()
    if member is not None:
        return member.area
    case = Case.objects.filter(parties__user=user).select_related("area", "estate__grid").order_by("-pk").first()
    return grid_of_case(case) if case is not None else None
