from django import template
from django.utils.html import format_html_join

from accounts.models import Area
from accounts.selectors import served_areas
from grid import access, lists, selectors, stats

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
    period = board.period
    figures = stats.grid_figures(areas=areas, start=period.start, end=period.end)
    return {"figures": figures, "links": lists.figure_links(area=scope.area, start=period.start, end=period.end)}


@register.filter
def masked(value: str) -> str:
    """A name or household in a list: its first character, the rest as stars (张** for 张大爷)."""
    value = (value or "").strip()
    return f"{value[0]}{'*' * min(len(value) - 1, 3)}" if value else ""


@register.simple_tag
def campaign_overview_rows(rows):
    """The overview's table rows, built with format_html_join (every value escaped): a template
    loop over 500 grids cost several times the page's SQL in variable lookups and number
    localisation (bench/grid.py)."""
    labels = {key: str(label) for key, label in selectors.STATE_LABELS.items()}

    def blank(value) -> str:
        return "" if value is None else str(value)

    return format_html_join(
        "\n",
        '<tr id="grid-{}" data-state="{}"><th scope="row">{} · {}</th>'
        '<td><span class="badge grid-state-{}">{}</span></td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (
            (r.pk, r.state, r.community, r.name, r.state, labels[r.state], blank(r.checked), blank(r.found),
             blank(r.fixed))
            for r in rows
        ),
    )  # fmt: skip
