"""The case list's filters in the mediators' workbench (CaseAdmin.list_filter).

Their parameters are also the links behind the dashboard's figures (disputes.dashboard):
"area" (subtree of an area id), "assigned" (mine / unassigned) and "deadline" (overdue /
due_soon / legacy / suspended).
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.inputs import parse_id
from disputes import selectors
from disputes.deadlines import clock_q
from disputes.models import Case
from disputes.visibility import areas_visible_to


class AreaFilter(admin.SimpleListFilter):
    title = _("area")
    parameter_name = "area"

    def lookups(self, request, model_admin):
        """A drill-down, not the whole tree (a district has hundreds of grids): the areas above the
        chosen one, the chosen one and its children; with none chosen, the user's own areas (the
        tops of their subtrees) and their children."""
        areas = list(areas_visible_to(request.user).only("pk", "name", "path"))  # in path order
        paths = {a.path for a in areas}
        chosen = next((a for a in areas if str(a.pk) == self.value()), None)
        if chosen is not None:
            opened = [chosen]
            shown = {p for p in _ancestor_paths(chosen.path) if p in paths} | {chosen.path}
        else:
            opened = [a for a in areas if not any(p in paths for p in _ancestor_paths(a.path))]
            shown = {a.path for a in opened}
        shown |= {a.path for a in areas for o in opened if a.depth == o.depth + 1 and a.path.startswith(o.path)}
        top = min((a.depth for a in areas), default=1)
        return [(str(a.pk), "\u3000" * (a.depth - top) + a.name) for a in areas if a.path in shown]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        # Looked up in the user's own areas: a foreign or malformed area id filters to nothing.
        pk = parse_id(self.value())
        area = areas_visible_to(request.user).filter(pk=pk).only("path").first() if pk else None
        if area is None:
            return queryset.none()
        return queryset.filter(area__path__startswith=area.path)


def _ancestor_paths(path: str) -> list[str]:
    """ "/1/4/9/" -> ["/1/", "/1/4/"] (Area.path is the chain of ids from the root)."""
    ids = path.strip("/").split("/")
    return [f"/{'/'.join(ids[:n])}/" for n in range(1, len(ids))]


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [
            ("mine", _("My cases")),
            ("unassigned", _("Unassigned")),
            ("my_tier", _("Escalated to my tier, unassigned")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(mediator=request.user)
        if self.value() == "my_tier":
            # The queue of the tier above: escalated cases nobody there has taken yet.
            tiers = selectors.tiers_handled_by(request.user)
            return queryset.filter(mediator__isnull=True, status__in=Case.OPEN_STATUSES, tier__in=tiers)
        if self.value() == "unassigned":
            return queryset.filter(mediator__isnull=True, status__in=Case.OPEN_STATUSES)
        return queryset


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("due_soon", _("Due soon")),
            ("legacy", _("Legacy")),
            ("suspended", _("Suspended")),
        ]

    def queryset(self, request, queryset):
        # The stamped clock columns (disputes.deadlines.clock_q), as the dashboard and the scan read them.
        if self.value() in ("overdue", "due_soon", "legacy", "suspended"):
            return queryset.filter(clock_q(self.value(), timezone.now()))
        return queryset
