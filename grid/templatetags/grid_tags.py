from django import template

from grid import access, selectors

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
