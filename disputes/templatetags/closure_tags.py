"""What the resident's case page shows of meetings, the agreement and the rating.

A tag rather than view context so the page needs one include line: it calls the selectors and
returns what the partial templates/disputes/_case_meetings.html renders.
"""

from django import template

from disputes import selectors
from disputes.models import Case, Party

register = template.Library()


@register.simple_tag
def case_follow_through(case: Case, party: Party | None) -> dict:
    return selectors.case_follow_through_for_party(case, party)
