"""Who may see a case and everything hanging off it: the one door (issue 11).

- A superuser sees every case.
- Staff (mediators, supervisors, administrators) see the cases in the subtrees of the areas they
  serve, and the cases they are named on while the case runs (a grid worker named on a
  community's case); once it is finished, access follows the areas again (DESIGN §11).
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
from disputes.models import Case, CollectiveClaim, Party

# A mediator named on a case outside their areas sees it while it runs (until rejected, withdrawn
# or closed): the partial index case_running_clock serves the check.
NAMED_STATUSES = (*Case.OPEN_STATUSES, Case.Status.RESOLVED)


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
    if not _assigned_elsewhere(user):
        # The OR costs a third of the changelist's time at 1,000,000 cases (bench/admin_list.py, a
        # community mediator: 122 ms against 85 ms): only staff named on a case elsewhere pay it.
        return area_subtree_q(served_areas(user), prefix=f"{prefix}area__")
    # With the OR, the areas go in as their ids: PostgreSQL then ORs two index scans
    # (case_area_status, case_mediator_status) instead of filtering a walk of every case through
    # the joined path. A grid worker named on 5,700 running cases elsewhere, at 1,000,000 cases:
    # the list's page 87 -> 15 ms, its capped count 135 -> 63 ms.
    return Q(**{f"{prefix}area_id__in": _area_ids(user)}) | Q(
        **{f"{prefix}mediator": user, f"{prefix}status__in": NAMED_STATUSES}
    )


def _area_ids(user: User) -> list[int]:
    """The ids of the areas in the user's subtrees (one query, cached on the user object)."""
    if not hasattr(user, "_area_ids"):
        user._area_ids = list(area_list_for_user(user).values_list("pk", flat=True))
    return user._area_ids


def _assigned_elsewhere(user: User) -> bool:
    """Whether the user is named on a running case outside their areas (one EXISTS on the partial
    index of running cases, 2 ms at 1,000,000; read once per request, cached on the user object)."""
    if not hasattr(user, "_assigned_elsewhere"):
        outside = ~area_subtree_q(served_areas(user), prefix="area__")
        running = Case.objects.filter(mediator=user, status__in=NAMED_STATUSES)
        user._assigned_elsewhere = running.filter(outside).exists()
    return user._assigned_elsewhere


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
    named = case.mediator_id == user.pk and case.status in NAMED_STATUSES
    return named or serves_case_area(user, case)


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


def claims_visible_to(user: User) -> QuerySet[CollectiveClaim]:
    """Collective claims through the same door: staff see a claim handled in their areas or one
    with a member case they see (case_scope_q); a resident, the claims of their own cases."""
    claims = CollectiveClaim.objects.all()
    if user.is_superuser:
        return claims
    if not user.is_authenticated or not user.is_active:
        return claims.none()
    members = Case.objects.filter(case_scope_q(user), collective_claim__isnull=False).values("collective_claim_id")
    if user.is_resident:
        return claims.filter(pk__in=members)
    return claims.filter(area_subtree_q(served_areas(user), prefix="area__") | Q(pk__in=members))
