"""The clocks of DESIGN §4, decided once.

- `PolicyBook.get` resolves the policy in force for a category and tier (the most specific
  DeadlinePolicy row, else the defaults); `policy_for` is the same for one case.
- `stamps` derives every instant of a case from that policy (its deadlines, the nearest one, the
  moment it becomes due soon, the moment it becomes a legacy case). The lifecycle service stamps
  them with every status change and disputes.services.clocks re-stamps the open cases when a
  policy changes.
- `clock_q` says which cases are overdue, due soon, legacy or suspended *from those columns*: the
  admin filters, the dashboard, its lists, the ledger and the reminder scan all ask it, and the
  Case properties (is_overdue, is_due_soon, is_legacy) read the same columns.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from disputes.models import Case, DeadlinePolicy

DAY = timedelta(days=1)


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
POLICY_FIELDS = tuple(Policy.__dataclass_fields__)


class PolicyBook:
    """The deadline policies, read once (one query), for a scan, a re-stamping or a page."""

    def __init__(self, rows: list[DeadlinePolicy] | None = None):
        self.rows = list(DeadlinePolicy.objects.select_related("category")) if rows is None else rows

    def get(self, *, category_id: int | None, tier: int | None) -> Policy:
        """The most specific row for a category and tier (a category beats a tier), else the defaults."""
        rows = [r for r in self.rows if r.category_id in (None, category_id) and r.tier in (None, tier)]
        if not rows:
            return DEFAULT_POLICY
        best = max(rows, key=lambda r: (r.category_id is not None, r.tier is not None))
        return Policy(**{f: getattr(best, f) for f in POLICY_FIELDS})

    def for_case(self, case: Case) -> Policy:
        return self.get(category_id=case.category_id, tier=case.tier)

    def values(self, name: str) -> set[int]:
        """Every value a policy field takes (the default included)."""
        return {getattr(self.get(category_id=None, tier=None), name)} | {getattr(r, name) for r in self.rows}

    def days_text(self, name: str) -> str:
        """The configured days of a field as a text shows them: "90", or "90 (婚姻家庭: 60)" when
        some categories or tiers differ from the general value."""
        general = getattr(self.get(category_id=None, tier=None), name)
        exceptions = [
            _("%(policy)s: %(days)s") % {"policy": row, "days": getattr(row, name)}
            for row in sorted(self.rows, key=lambda r: (r.category_id or 0, r.tier or 0))
            if (row.category_id or row.tier) and getattr(row, name) != general
        ]
        if not exceptions:
            return str(general)
        return _("%(general)s (%(exceptions)s)") % {"general": general, "exceptions": _("; ").join(exceptions)}


def policy_for(*, category_id: int | None, tier: int | None) -> Policy:
    """The policy in force for one category and tier: the rows that can apply, one query."""
    rows = DeadlinePolicy.objects.filter(
        Q(category_id=category_id) | Q(category__isnull=True), Q(tier=tier) | Q(tier__isnull=True)
    )
    return PolicyBook(list(rows)).get(category_id=category_id, tier=tier)


# The case fields `stamps` writes.
STAMPED = (
    "accept_due_at",
    "acknowledge_due_at",
    "resolve_due_at",
    "follow_up_due_at",
    "next_due_at",
    "due_soon_at",
    "legacy_at",
)


def stamps(case: Case, policy: Policy) -> dict:
    """The instants `policy` gives a case as it now is (status and start times already set): the
    clock of its current status, the nearest deadline, when that becomes due soon, and when the
    case becomes legacy. Clocks of earlier statuses are history and keep their values."""
    S = Case.Status
    status = case.status
    fields: dict = {}
    if status == S.SUBMITTED:
        fields["accept_due_at"] = case.submitted_at + policy.accept_days * DAY
    if status == S.ASSIGNED:
        fields["acknowledge_due_at"] = case.status_changed_at + policy.acknowledge_days * DAY
    if status in (S.ASSIGNED, S.IN_MEDIATION) and case.resolve_started_at is not None:
        days = policy.resolve_days + (policy.extension_days if case.extended else 0)
        fields["resolve_due_at"] = case.resolve_started_at + days * DAY
    if status == S.RESOLVED and case.resolved_at is not None:
        fields["follow_up_due_at"] = case.resolved_at + policy.follow_up_days * DAY
    clocks = {name: fields.get(name, getattr(case, name)) for name in STAMPED[:4]}
    nearest = next_due(status, clocks)
    fields["next_due_at"] = nearest
    fields["due_soon_at"] = nearest - policy.due_soon_days * DAY if nearest else None
    fields["legacy_at"] = (
        case.submitted_at + policy.legacy_days * DAY + case.suspended_total if status in Case.OPEN_STATUSES else None
    )
    return fields


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


def legacy_on(case: Case, when: datetime) -> bool:
    """Whether an open case is a legacy case (历史积案) at `when`: its stamped legacy_at has passed,
    moved on by a suspension still running (the time suspended does not count). case_transition
    stamps it as Case.resolved_as_legacy on resolution, for the figure "resolved, of which legacy"."""
    if case.status not in Case.OPEN_STATUSES or case.legacy_at is None:
        return False
    paused = when - case.suspended_at if case.suspended_at is not None else timedelta(0)
    return case.legacy_at + paused <= when


def resolved_legacy_backfill(*, batch_size: int = 5000) -> int:
    """Mark the cases resolved before Case.resolved_as_legacy existed (or bulk-loaded around the
    lifecycle) that were legacy cases when resolved: resolved more than the policy's legacy days
    after submission, the time suspended not counted. Only sets the flag, never clears one the
    lifecycle stamped. Returns how many were marked; run stats_rebuild afterwards (the command does)."""
    book = PolicyBook()
    marked, last = 0, 0
    rows = (
        Case.objects.filter(resolved_at__isnull=False, resolved_as_legacy=False)
        .order_by("pk")
        .only("pk", "category_id", "tier", "submitted_at", "suspended_total", "resolved_at")
    )
    while True:
        page = list(rows.filter(pk__gt=last)[:batch_size])
        if not page:
            return marked
        last = page[-1].pk
        legacy = [
            c.pk
            for c in page
            if c.resolved_at >= c.submitted_at + book.for_case(c).legacy_days * DAY + c.suspended_total
        ]
        marked += Case.objects.filter(pk__in=legacy).update(resolved_as_legacy=True)


# --- Which cases a clock figure counts -------------------------------------------------------

CLOCK_FIGURES = ("overdue", "due_soon", "legacy", "suspended")


def clock_q(name: str, now: datetime, *, among_running: bool = False) -> Q:
    """The cases of a clock figure now, from the stamped columns: one definition for the admin
    filter, the dashboard figure and its list, the ledger and the reminder scan. A suspended case
    counts as suspended only (its clocks stopped). among_running: the rows are already limited to
    Case.RUNNING_STATUSES (the dashboard's stock query), so the status tests are left out."""
    running = Q() if among_running else Q(status__in=Case.RUNNING_STATUSES)
    if name == "suspended":
        return running & Q(suspended_at__isnull=False)
    running &= Q(suspended_at__isnull=True)
    if name == "overdue":
        return running & Q(next_due_at__lt=now)
    if name == "due_soon":
        return running & Q(due_soon_at__lte=now, next_due_at__gte=now)
    if name == "legacy":
        # legacy_at is stamped only while the case is open (resolved cases have none).
        opened = Q() if among_running else Q(status__in=Case.OPEN_STATUSES)
        return opened & Q(suspended_at__isnull=True, legacy_at__lte=now)
    raise ValueError(name)
