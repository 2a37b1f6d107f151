from django import template

from grid import access

register = template.Library()


@register.simple_tag
def keeps_diary(user) -> bool:
    """For the menu: the user is a grid worker or grid head (one cached query per request)."""
    return access.keeps_diary(user)
