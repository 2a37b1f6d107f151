from django import template

from accounts.models import Area
from accounts.selectors import served_areas
from grid import access, selectors, stats

register = template.Library()


@register.simple_tag
def keeps_diary(user) -> bool:
    """For the menu: the user is a grid worker or grid head (one cached query per request)."""
    return access.keeps_diary(user)


@register.inclusion_tag("grid/_contact_card.html")
def grid_contact_card(grid):
    """The contact card of a grid (or nothing when the place has no grid)."""
    return {"card": selectors.contact_card_for(grid=grid) if grid is not None else None}


@register.simple_tag
def home_grid_of(user):
    return selectors.home_grid_for(user)


@register.simple_tag
def grid_of_case(case):
    return selectors.grid_of_case(case)


@register.inclusion_tag("grid/_dashboard_figures.html")
def grid_dashboard(board):
    """Grid work beside the dispute figures, for the dashboard's scope and period."""
    scope = board.scope
    if scope.area is not None:
        areas = [scope.area]
    elif scope.user.is_superuser:
        areas = list(Area.objects.filter(parent__isnull=True))
    else:
        areas = served_areas(scope.user)
    figures = stats.grid_figures(areas=areas, start=board.period.start, end=board.period.end)
    return {"figures": figures}
