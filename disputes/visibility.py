"""Who may see a case and everything hanging off it: the one door (issue 11).

- A superuser sees every case.
- Staff (mediators, supervisors, administrators) see the cases in the subtrees of the areas they
  serve, and the cases assigned to them (a grid worker named on a community's case).
- A resident sees the cases where they are a party through their own, linked account.

Every list, change page, autocomplete, action, export, dashboard, evidence and print view asks
here, for cases and for the rows that hang off a case (parties, evidence, sessions, agreements,
follow-ups, reminders, meetings). tests/disputes/test_visibility.py walks every URL pattern and
every admin model and proves an out-of-scope user is refused everywhere.

`accounts` keeps the area tree (accounts.selectors): this module only decides what it means for cases.
"""

from django.db.models import Q, QuerySet

from accounts.models import Area, User
from accounts.selectors import area_list_for_user, area_subtree_q, served_areas
from disputes.models import Case, Party


def areas_visible_to(user: User) -> QuerySet[Area]:
    """The areas whose cases a staff user sees (their served subtrees; all for superusers)."""
    return area_list_for_user(user)


def case_scope_q(user: User, *, prefix: str = "") -> Q:
    """A Q over Case (or over a row that hangs off a case, with `prefix` such as "case__").

    Staff: through the joined area's path, so SQLite and PostgreSQL walk the newest-first index and
    stop at a page's rows instead of reading every case of the subtree and sorting.
    """
    if user.is_superuser:
        return Q()
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_resident:
        return Q(**{f"{prefix}pk__in": Party.objects.filter(user=user).values("case_id")})
    return area_subtree_q(served_areas(user), prefix=f"{prefix}area__") | Q(**{f"{prefix}mediator": user})


def cases_visible_to(user: User) -> QuerySet[Case]:
    return Case.objects.filter(case_scope_q(user))


def case_visible_to(user: User, case: Case) -> bool:
    """The same rule as case_scope_q for one loaded case, without a query for staff."""
    if user.is_superuser:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_resident:
        return Party.objects.filter(case_id=case.pk, user=user).exists()
    return case.mediator_id == user.pk or serves_case_area(user, case)


def visible_rows(user: User, queryset: QuerySet, *, case_path: str = "case") -> QuerySet:
    """Rows hanging off a case (evidence, sessions, agreements, follow-ups...) whose case the user sees."""
    return queryset.filter(case_scope_q(user, prefix=f"{case_path}__"))


def area_rows_visible_to(user: User, queryset: QuerySet, *, area_path: str) -> QuerySet:
    """Rows that belong to an area rather than a case (a meeting of a community)."""
    if user.is_superuser:
        return queryset
    return queryset.filter(**{f"{area_path}__in": areas_visible_to(user).values("pk")})


def serves_case_area(user: User, case: Case) -> bool:
    """Staff of the case's area (they serve it or an ancestor). Only they see full phone and ID
    numbers (DESIGN §11); a superuser or a named mediator from elsewhere sees them masked."""
    if not user.is_authenticated or user.is_resident:
        return False
    return any(case.area.path.startswith(a.path) for a in served_areas(user))
