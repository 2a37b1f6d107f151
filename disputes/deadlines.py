"""The clocks of DESIGN §4: which deadline a case has in each status, and when it falls."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from disputes.models import Case, DeadlinePolicy

DUE_SOON = timedelta(days=3)
LEGACY_AFTER = timedelta(days=90)


@dataclass(frozen=True)
class Policy:
    accept_days: int = 3
    acknowledge_days: int = 1
    resolve_days: int = 30
    extension_days: int = 30
    follow_up_days: int = 15
    confirmation_days: int = 30
    legacy_days: int = 90
    due_soon_days: int = 3


DEFAULT_POLICY = Policy()
_FIELDS = tuple(Policy.__dataclass_fields__)


def policy_for(*, category_id: int | None, tier: int | None) -> Policy:
    """The most specific policy row for a category and tier, else the defaults (one query)."""
    rows = list(
        DeadlinePolicy.objects.filter(
            Q(category_id=category_id) | Q(category__isnull=True), Q(tier=tier) | Q(tier__isnull=True)
        )
    )
    if not rows:
        return DEFAULT_POLICY
    best = max(rows, key=lambda r: (r.category_id is not None, r.tier is not None))
    return Policy(**{f: getattr(best, f) for f in _FIELDS})


def clocks_for(*, case: Case, to: str, now: datetime, policy: Policy) -> dict:
    """The deadline fields a case gets on entering status `to` (DESIGN §4).

    Entering a status starts its clock; the nearest open one becomes `next_due_at`.
    """
    S = Case.Status
    days = timedelta(days=1)
    fields: dict = {}
    if to == S.SUBMITTED:
        fields["accept_due_at"] = now + policy.accept_days * days
    elif to == S.ASSIGNED:
        fields["acknowledge_due_at"] = now + policy.acknowledge_days * days
        if case.resolve_due_at is None:
            fields["resolve_due_at"] = now + policy.resolve_days * days
    elif to == S.IN_MEDIATION and case.status in (S.RESOLVED, S.CLOSED):
        # Reopened: a fresh resolution clock.
        fields["resolve_due_at"] = now + policy.resolve_days * days
        fields["follow_up_due_at"] = None
    elif to == S.RESOLVED:
        fields["follow_up_due_at"] = now + policy.follow_up_days * days
    fields["next_due_at"] = next_due(to, {**_clock_values(case), **fields})
    return fields


def _clock_values(case: Case) -> dict:
    return {
        "accept_due_at": case.accept_due_at,
        "acknowledge_due_at": case.acknowledge_due_at,
        "resolve_due_at": case.resolve_due_at,
        "follow_up_due_at": case.follow_up_due_at,
    }


def next_due(status: str, clocks: dict) -> datetime | None:
    """The deadline that matters in a status; None once the case needs nothing more."""
    S = Case.Status
    if status == S.SUBMITTED:
        return clocks["accept_due_at"]
    if status == S.ASSIGNED:
        return min(filter(None, [clocks["acknowledge_due_at"], clocks["resolve_due_at"]]), default=None)
    if status == S.IN_MEDIATION:
        return clocks["resolve_due_at"]
    if status == S.RESOLVED:
        return clocks["follow_up_due_at"]
    return None
