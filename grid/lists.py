"""The lists behind the dashboard's grid figures (DESIGN §8: every number links to the list behind
it): diary entries, help requests and campaigns of an area and period, filtered the way the figure
counts them (grid.stats). The dashboard builds its links here (figure_links); the list views read
the same filters back (GridFilter.from_query), so a link and its list cannot drift apart.

Who sees what is still decided by grid.access: every list starts from its door.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Area, User
from accounts.selectors import area_subtree_q
from config.inputs import parse_date, parse_id
from grid import access
from grid.models import DiaryEntry, ServiceOrder
from grid.selectors import ESCALATED, FOUND, LATE, WAITING, ZERO

PAGE = 50
# The help-request figures and the moment each counts (grid.stats keeps the same days).
ORDER_STAGES = {
    "posted": ("posted_at", Q()),
    "taken": ("accepted_at", Q()),
    "done": ("confirmed_at", Q()),
    "satisfied": ("confirmed_at", Q(rating__gte=ServiceOrder.Rating.FAIR)),
}
# The screening-report figures (grid.stats.grid_figures) and the campaign overview's states each shows.
REPORT_STATES = {
    "due": (ZERO, FOUND, WAITING, LATE, ESCALATED),
    "filed": (ZERO, FOUND),
    "zero": (ZERO,),
    "late": (LATE, ESCALATED),
}


@dataclass(frozen=True)
class GridFilter:
    area: Area | None = None  # within the user's grid work (grid.access.covers_area)
    start: date | None = None
    end: date | None = None
    kind: str = ""  # a diary entry's kind
    removed: bool = False  # hazards removed in the period (by the day they were removed)
    grid: Area | None = None
    stage: str = ""  # a help-request figure (ORDER_STAGES)
    state: str = ""  # a screening-report figure (REPORT_STATES)
    page: int = 1

    @classmethod
    def from_query(cls, user: User, query) -> "GridFilter":
        """The filters of a list's query string. A malformed value is dropped (the list is wider,
        never a 500); an area or grid outside the user's grid work is a 404."""
        area_id, grid_id = parse_id(query.get("area")), parse_id(query.get("grid"))
        ids = {pk for pk in (area_id, grid_id) if pk is not None}
        found = Area.objects.in_bulk(list(ids)) if ids else {}
        if len(found) != len(ids) or not all(access.covers_area(user, a) for a in found.values()):
            raise Http404
        grid = found.get(grid_id)
        kind = query.get("kind", "")
        return cls(
            area=found.get(area_id),
            start=parse_date(query.get("from")),
            end=parse_date(query.get("to")),
            kind=kind if kind in DiaryEntry.Kind.values else "",
            removed=query.get("removed") == "1",
            grid=grid if grid is not None and grid.kind == Area.Kind.GRID else None,
            stage=query.get("stage") if query.get("stage") in ORDER_STAGES else "",
            state=query.get("state") if query.get("state") in REPORT_STATES else "",
            page=min(parse_id(query.get("page")) or 1, 10_000),
        )

    def params(self, **changes) -> dict:
        f = replace(self, **changes)
        pairs = {
            "area": f.area.pk if f.area else "",
            "grid": f.grid.pk if f.grid else "",
            "from": f.start.isoformat() if f.start else "",
            "to": f.end.isoformat() if f.end else "",
            "kind": f.kind,
            "removed": "1" if f.removed else "",
            "stage": f.stage,
            "state": f.state,
            "page": f.page if f.page > 1 else "",
        }
        return {k: v for k, v in pairs.items() if v != ""}

    def query(self, **changes) -> str:
        return urlencode(self.params(**changes))

    def moments(self) -> tuple[datetime | None, datetime | None]:
        """The period as local instants: [start 00:00, the day after end 00:00)."""
        tz = timezone.get_current_timezone()
        start = datetime.combine(self.start, time(), tzinfo=tz) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz) if self.end else None
        return start, end

    def in_period(self, field: str) -> Q:
        start, end = self.moments()
        q = Q()
        if start:
            q &= Q(**{f"{field}__gte": start})
        if end:
            q &= Q(**{f"{field}__lt": end})
        return q

    def scope_q(self, user: User, *, prefix: str) -> Q:
        """The grids the list covers (the user's grid work, narrowed to the area or grid), as a join
        on the grid's path: PostgreSQL then walks an index newest first for a district and the
        grid's own index for a grid (a list of 500 grid ids defeated both)."""
        if self.grid is not None:
            return Q(**{f"{prefix}pk": self.grid.pk})
        q = access.area_scope_q(user, prefix=prefix)
        if self.area is not None:
            q &= area_subtree_q([self.area], prefix=prefix)
        return q


def page_of(qs: QuerySet, page: int) -> tuple[list, bool]:
    """One page of rows and whether there is a next one, in one query (no count over millions)."""
    rows = list(qs[(page - 1) * PAGE : page * PAGE + 1])
    return rows[:PAGE], len(rows) > PAGE


def diary_entries_for(user: User, f: GridFilter) -> QuerySet[DiaryEntry]:
    """The entries in the user's areas (grid.access), filtered as the figures count them: by the
    day they happened, or by the day a hazard was removed."""
    qs = DiaryEntry.objects.filter(f.scope_q(user, prefix="grid__"))
    if f.removed:
        # Only a hazard is ever marked removed (grid.services.hazard_mark_removed): no kind test,
        # and no IS NOT NULL beside a range (which implies it): PostgreSQL multiplied the three
        # estimates, expected a tenth of the rows and walked the wrong index (130 ms at 200k).
        period = f.in_period("hazard_removed_at")
        qs = qs.filter(period if period else Q(hazard_removed_at__isnull=False))
        order = ("-hazard_removed_at", "-id")
    else:
        qs = qs.filter(f.in_period("happened_at"))
        order = ("-happened_at", "-id")
        if f.kind:
            qs = qs.filter(kind=f.kind)
    return qs.select_related("grid", "estate", "author").order_by(*order)


def orders_for(user: User, f: GridFilter) -> QuerySet[ServiceOrder]:
    """The help requests the user may see (grid.access), filtered as the figures count them."""
    qs = access.orders_visible_to(user)
    if f.area is not None or f.grid is not None:
        qs = qs.filter(f.scope_q(user, prefix="grid__"))
    if f.stage:
        field, extra = ORDER_STAGES[f.stage]
        qs = qs.filter(extra, f.in_period(field), **{f"{field}__isnull": False})
    elif f.start or f.end:
        qs = qs.filter(f.in_period("posted_at"))
    return qs.select_related("grid", "estate", "helper").order_by("-posted_at", "-id")


def figure_links(*, area: Area | None, start: date, end: date) -> dict[str, str]:
    """The link of every grid figure on the dashboard, for its area and period: one reverse() per
    list, then query strings."""
    f = GridFilter(area=area, start=start, end=end)
    entries, orders, campaigns = reverse("grid:entry_list"), reverse("grid:order_list"), reverse("grid:campaign_list")
    links = {
        "opinions": f"{entries}?{f.query(kind=DiaryEntry.Kind.OPINION)}",
        "disputes_found": f"{entries}?{f.query(kind=DiaryEntry.Kind.DISPUTE)}",
        "hazards_found": f"{entries}?{f.query(kind=DiaryEntry.Kind.HAZARD)}",
        "hazards_removed": f"{entries}?{f.query(kind=DiaryEntry.Kind.HAZARD, removed=True)}",
    }
    links |= {f"orders_{stage}": f"{orders}?{f.query(stage=stage)}" for stage in ORDER_STAGES}
    links |= {f"reports_{state}": f"{campaigns}?{f.query(state=state)}" for state in REPORT_STATES}
    return links
