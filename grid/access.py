"""Who sees which grid work: the grid's one door, in the spirit of disputes.visibility.

- A superuser sees everything.
- A grid worker or grid head sees the diary entries, reports and campaigns of the grids at or
  below the areas of their grid roles, and their own entries wherever they were written.
- Staff (mediators, supervisors, administrators) see the grid work of the areas they serve.
- A building or neighbour head sees only what concerns their building; a volunteer or party member
  only the orders given to them (issue 16, part 5). Other residents see nothing of it.

Every grid view, list, figure and form choice asks here.
"""

from django.db.models import Q, QuerySet

from accounts.models import Area, User
from accounts.selectors import area_subtree_q, served_areas
from grid.models import Campaign, DiaryEntry, GridMember, ServiceOrder


def _nothing() -> Q:
    return Q(pk__in=[])


def grid_roles(user: User) -> list[GridMember]:
    """The user's grid roles, read once per request (cached on the user object)."""
    if not user.is_authenticated or not user.is_active:
        return []
    if not hasattr(user, "_grid_roles"):
        user._grid_roles = list(GridMember.objects.filter(user=user).select_related("area", "estate"))
    return user._grid_roles


def diary_areas(user: User) -> list[Area]:
    """The areas whose grids the user walks or heads (grid workers and grid heads)."""
    return [m.area for m in grid_roles(user) if m.role in GridMember.DIARY_ROLES]


def keeps_diary(user: User) -> bool:
    return bool(diary_areas(user))


def work_areas(user: User) -> list[Area]:
    """Grid roles plus, for staff, the areas they serve (a superuser: the top areas)."""
    if user.is_superuser:
        return list(Area.objects.filter(parent__isnull=True))
    return _work_areas(user)


def _work_areas(user: User) -> list[Area]:
    """Grid roles plus, for staff, the areas they serve."""
    areas = diary_areas(user)
    if user.is_authenticated and user.is_active and not user.is_resident:
        areas = areas + served_areas(user)
    return areas


def area_scope_q(user: User, *, prefix: str) -> Q:
    """A Q over a row with an Area at `prefix` (e.g. "grid__"): the areas this user's grid work covers."""
    if user.is_superuser:
        return Q()
    if not user.is_authenticated or not user.is_active:
        return _nothing()
    return area_subtree_q(_work_areas(user), prefix=prefix)


def diary_scope_q(user: User) -> Q:
    if user.is_superuser:
        return Q()
    if not user.is_authenticated or not user.is_active:
        return _nothing()
    return Q(author=user) | area_scope_q(user, prefix="grid__")


def diary_entries_visible_to(user: User) -> QuerySet[DiaryEntry]:
    return DiaryEntry.objects.filter(diary_scope_q(user))


def own_diary_entries(user: User) -> QuerySet[DiaryEntry]:
    """A worker's own entries: always inside the door (diary_scope_q's first clause). Filtered on
    the author alone, so the list walks the index diary_author_newest and stops at a page; the OR
    with the grid clause made PostgreSQL read all of a busy worker's entries (6 s at 2M entries)."""
    if not user.is_authenticated or not user.is_active:
        return DiaryEntry.objects.none()
    return DiaryEntry.objects.filter(author=user)


def grids_for_diary(user: User) -> QuerySet[Area]:
    """The grids a worker may write entries for: grids at or below their grid roles' areas."""
    return Area.objects.filter(area_subtree_q(diary_areas(user)), kind=Area.Kind.GRID)


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """Supervisors see the campaigns of the areas they serve; grid workers those covering their grid."""
    if user.is_superuser:
        return Campaign.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Campaign.objects.none()
    q = area_scope_q(user, prefix="area__")
    # A campaign for a subdistrict covers the worker's grid (or the supervisor's community) below
    # it: match the campaign's path as a prefix of the area's path. The overview then shows the
    # grids the user covers (covers_area), no others.
    grid_paths = [a.path for a in _work_areas(user)]
    ancestors = {p[: i + 1] for p in grid_paths for i, ch in enumerate(p) if ch == "/" and i > 0}
    if ancestors:
        q |= Q(area__path__in=ancestors)
    return Campaign.objects.filter(q)


def can_start_campaign(user: User, area: Area) -> bool:
    """Supervisors of the area (or an area above it)."""
    if user.is_superuser:
        return True
    if not user.is_authenticated or not user.is_active or not user.is_supervisor:
        return False
    return any(area.path.startswith(a.path) for a in served_areas(user))


def can_report_for(user: User, grid: Area) -> bool:
    """Grid workers and heads file the report of a grid in their areas."""
    return grid.kind == Area.Kind.GRID and any(grid.path.startswith(a.path) for a in diary_areas(user))


def can_follow_up(user: User, entry: DiaryEntry) -> bool:
    """Who marks an entry's hazard removed (整改完成): its author, and the grid workers and heads of its grid."""
    if not user.is_authenticated or not user.is_active:
        return False
    return entry.author_id == user.pk or can_report_for(user, entry.grid)


def covers_area(user: User, area: Area) -> bool:
    """The same rule as area_scope_q for one loaded area, without a query."""
    if user.is_superuser:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    return any(area.path.startswith(a.path) for a in _work_areas(user))


def orders_visible_to(user: User) -> QuerySet[ServiceOrder]:
    """The resident who asked (or posted), the helper it was given to, the building's head, and
    the grid workers and staff whose areas cover the order's grid."""
    if user.is_superuser:
        return ServiceOrder.objects.all()
    if not user.is_authenticated or not user.is_active:
        return ServiceOrder.objects.none()
    q = Q(requester=user) | Q(posted_by=user) | Q(helper=user) | area_scope_q(user, prefix="grid__")
    for m in grid_roles(user):
        if m.role in GridMember.REPORTER_ROLES:
            q |= Q(estate_id=m.estate_id, building=m.building)
    return ServiceOrder.objects.filter(q)


def can_dispatch(user: User, order: ServiceOrder) -> bool:
    """Grid workers and heads of the order's grid, and the staff of its area."""
    return covers_area(user, order.grid)
