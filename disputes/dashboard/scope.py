"""What a dashboard covers: its period, its areas (and the rows of its area breakdown), and the
links from each figure to the admin's case list filtered to the same cases."""

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Area, User
from accounts.selectors import served_areas
from config.inputs import parse_id
from disputes.models import Case
from disputes.visibility import areas_visible_to

PERIODS = {
    "week": _("This week"),
    "month": _("This month"),
    "quarter": _("This quarter"),
    "year": _("This year"),
    "custom": _("Custom"),
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


def month_after(day: date) -> date:
    """The first day of the month after the day's."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


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

    @functools.cached_property
    def list_url(self) -> str:
        """The admin case list the figures link to (the script prefix read once per page, not per
        link: a community's dashboard has about 800 links)."""
        return changelist_url("admin:disputes_case_changelist", get_script_prefix())

    @property
    def menu(self) -> list[Area]:
        """The area selector's options: every level down to the communities, and the grids of
        the chosen community (or of the chosen grid's). A district has hundreds of grids: all of
        them made a selector nobody could use and were a tenth of the dashboard's time. Any area
        of `choices` can still be asked for by its id."""
        if all(a.kind == Area.Kind.GRID for a in self.choices):
            return self.choices  # a user who serves grids only
        focus = None
        if self.area is not None and self.area.kind == Area.Kind.COMMUNITY:
            focus = self.area.pk
        elif self.area is not None and self.area.kind == Area.Kind.GRID:
            focus = self.area.parent_id
        return [a for a in self.choices if a.kind != Area.Kind.GRID or a.parent_id == focus]


def scope_for(user: User, area_id: int | str | None = None) -> Scope:
    """Two small queries: the served areas and the areas of their subtrees."""
    if not (user.is_superuser or user.is_supervisor):
        raise PermissionDenied
    choices = list(areas_visible_to(user).only("pk", "name", "kind", "path", "parent_id").order_by("path"))
    by_id = {a.pk: a for a in choices}
    top = min((a.depth for a in choices), default=1)
    for a in choices:
        a.indent = "\u3000" * (a.depth - top)  # the area selector shows the tree
    area = None
    if area_id not in (None, ""):
        area = by_id.get(parse_id(area_id))
        if area is None:
            raise PermissionDenied
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

# The admin changelist parameters the links use (disputes/admin/case_filters.py, CaseAdmin.list_filter):
# AreaFilter "area" (subtree of an area id), DeadlineFilter "deadline" (overdue / due_soon /
# legacy), AssignmentFilter "assigned" (unassigned), and plain lookups on the case's own fields.


def case_list_url(scope: Scope, *, area_id: int | None = None, **params) -> str:
    query = {}
    area = area_id or (scope.area.pk if scope.area else None)
    if area:
        query["area"] = area
    query.update({key: value for key, value in params.items() if value is not None})
    return admin_list_url(scope.list_url, query)


def admin_list_url(base: str, query: dict) -> str:
    """An admin list's URL with its filters (the case list, the claim list)."""
    return f"{base}?{'&'.join(_query_pair(k, str(v)) for k, v in query.items())}"


@functools.lru_cache(maxsize=4096)
def _query_pair(key: str, value: str) -> str:
    # The same few hundred pairs (period bounds, areas, categories) make up every link: encode
    # each once, not per link (urlencode was 5% of the dashboard's time).
    return urlencode({key: value})


@functools.lru_cache(maxsize=8)
def changelist_url(name: str, prefix: str) -> str:
    # A dashboard has a few hundred links to the same list: reverse it once (per script prefix).
    return reverse(name)


def period_params(field_name: str, period: Period) -> dict:
    """The admin filters for `field_name` within the period: local midnights with their offset,
    so a list counts the same days as the figures."""
    return dict(_period_bounds(field_name, period, timezone.get_current_timezone_name()))


@functools.lru_cache(maxsize=256)
def _period_bounds(field_name: str, period: Period, tz_name: str) -> tuple:
    # Worked out once per field, period and time zone: a community's tables repeat the same
    # period on a hundred grid rows (tz_name: the midnights are those of the active zone).
    return (
        (f"{field_name}__gte", period.start_at.isoformat()),
        (f"{field_name}__lt", period.end_before.isoformat()),
    )


def flow_params(measure: str, period: Period) -> dict:
    """The admin filters behind a flow figure: the date field of the measure within the period."""
    field_name = {
        "received": "submitted_at",
        "accepted": "accepted_at",
        "resolved": "resolved_at",
        "closed": "closed_at",
    }[measure]
    params = period_params(field_name, period)
    if measure == "closed":
        params["status__exact"] = Case.Status.CLOSED
    return params


STOCK_PARAMS = {
    "open": {"status__in": ",".join(Case.OPEN_STATUSES)},
    "overdue": {"deadline": "overdue"},
    "due_soon": {"deadline": "due_soon"},
    "unassigned": {"assigned": "unassigned"},
    "legacy": {"deadline": "legacy"},
    "suspended": {"deadline": "suspended"},
    "collective": {"status__in": ",".join(Case.OPEN_STATUSES), "is_collective__exact": "1"},
}
