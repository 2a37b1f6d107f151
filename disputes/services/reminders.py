"""The reminder scan and the dispatch (DESIGN §7).

`reminders_scan` finds what has come due and writes one Reminder row per case (or resolution,
agreement, supervisor), rule, period, recipient and channel; the unique constraints make a second
scan of the same period a no-op. Its cost follows what is due, not the size of the case table:
every rule is an indexed range query over the moment its clock crossed a threshold, within the
catch-up window (REMINDER_CATCH_UP_HOURS) — the scan never reads a case per query.

Periods: the deadline (UTC, to the second) for "due soon", "<deadline>#<n>" for the n-th 3-day
repeat of "overdue", the time a case entered its status for "unassigned"/"unacknowledged",
"<quiet since>#<week>" for "stale", the ISO week for the digest.

`reminders_dispatch_due` publishes sends for pending rows in batches and returns rows stuck in
"sending" (a worker died) to pending.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Area, User
from disputes import deadlines, notifications
from disputes.models import Case, CaseEvent, DeadlinePolicy, Party, Reminder
from disputes.notifications import stamp
from disputes.selectors import TIER_AREA_KINDS

OVERDUE_EVERY = timedelta(days=3)
# Overdue reminders repeat every 3 days for up to a year; by then the case is legacy, supervised
# and in every weekly digest.
OVERDUE_REPEATS = 122
UNASSIGNED_AFTER = timedelta(days=1)
UNACKNOWLEDGED_AFTER = timedelta(days=1)
STALE_AFTER = timedelta(days=7)
STALE_REPEATS = 12
# 督办: after this many overdue reminders with nothing recorded on the case since the first.
SUPERVISE_AFTER = 2
CONFIRMATION_REMIND_DAY = 20
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 8  # Monday 08:00 local time
OPEN = tuple(Case.OPEN_STATUSES)
RESOLUTION_OPEN = ("open", "in_progress")
# The area depth (district 0 … grid 3) of the supervisors one tier above a case's handling tier.
SUPERVISOR_DEPTH = {Case.Tier.GRID: 2, Case.Tier.COMMUNITY: 1, Case.Tier.SUBDISTRICT: 0, Case.Tier.DISTRICT: 0}
_SCAN_LOCK = 0x6C696E6C69  # "linli": the PostgreSQL advisory lock that serialises scans


@dataclass
class Due:
    """One reminder to write, for each of its recipients."""

    case_id: int | None
    rule: str
    period: str
    recipients: list
    context: dict = field(default_factory=dict)
    sms: bool = False


# ---------------------------------------------------------------------------------------------
# Staff, read once per scan


@dataclass(frozen=True)
class Person:
    pk: int
    email: str
    phone: str


class Staff:
    """Active mediators and supervisors with the areas they serve (one query)."""

    def __init__(self):
        self.rows: list[tuple[str, int, str, Person]] = []  # (role, depth, path, person)
        links = User.areas.through.objects.filter(
            user__is_active=True, user__role__in=[User.Role.MEDIATOR, User.Role.SUPERVISOR]
        ).values_list("user_id", "user__role", "user__email", "user__phone", "area__path")
        for pk, role, email, phone, path in links:
            self.rows.append((role, path.count("/") - 2, path, Person(pk, email or "", phone or "")))

    def covering(self, path: str, role: str, *, max_depth: int = 9, nearest: bool = True) -> list[Person]:
        """Staff of `role` serving an area at or above `path` (no deeper than max_depth); with
        nearest, only those at the deepest such level."""
        found = [(d, p) for r, d, a, p in self.rows if r == role and d <= max_depth and path.startswith(a)]
        if nearest and found:
            deepest = max(d for d, _ in found)
            found = [(d, p) for d, p in found if d == deepest]
        return list({p.pk: p for _, p in found}.values())

    def community_staff(self, path: str) -> list[Person]:
        """Who handles an unassigned case: the mediators serving it, else its supervisors."""
        return self.covering(path, User.Role.MEDIATOR) or self.covering(path, User.Role.SUPERVISOR)

    def supervisors_above(self, case: Case) -> list[Person]:
        return self.covering(case.area.path, User.Role.SUPERVISOR, max_depth=SUPERVISOR_DEPTH[case.tier])

    def tier_staff(self, case: Case) -> list[Person]:
        """The mediators and supervisors of the area handling the case's tier (selectors.staff_for_tier)."""
        depths = {list(Area.Kind.values).index(kind) for kind in TIER_AREA_KINDS.get(case.tier, [])}
        found = [p for _, d, a, p in self.rows if d in depths and case.area.path.startswith(a)]
        return list({p.pk: p for p in found}.values())

    def supervisors(self) -> dict[int, tuple[Person, list[str]]]:
        result: dict[int, tuple[Person, list[str]]] = {}
        for role, _, path, person in self.rows:
            if role == User.Role.SUPERVISOR:
                result.setdefault(person.pk, (person, []))[1].append(path)
        return result


def _local(value: datetime) -> str:
    """A time as the recipient reads it (local time, to the minute)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _person(user) -> Person | None:
    return Person(user.pk, user.email or "", user.phone or "") if user is not None and user.is_active else None


def _handlers(case: Case, staff: Staff) -> list[Person]:
    person = _person(case.mediator) if case.mediator_id else None
    if person:
        return [person]
    if case.tier > Case.Tier.GRID:
        # Escalated without a named mediator: the tier above assigns it, not the worker who escalated.
        return staff.tier_staff(case) or staff.community_staff(case.area.path)
    return staff.community_staff(case.area.path)


# ---------------------------------------------------------------------------------------------
# Policies, read once per scan


class Policies:
    def __init__(self):
        self.rows = list(DeadlinePolicy.objects.all())

    def get(self, case: Case) -> deadlines.Policy:
        rows = [r for r in self.rows if r.category_id in (None, case.category_id) and r.tier in (None, case.tier)]
        if not rows:
            return deadlines.DEFAULT_POLICY
        best = max(rows, key=lambda r: (r.category_id is not None, r.tier is not None))
        return deadlines.Policy(**{f: getattr(best, f) for f in deadlines._FIELDS})

    def values(self, name: str) -> set[int]:
        """Every value a policy field takes (the default included): one range per value."""
        return {getattr(deadlines.DEFAULT_POLICY, name)} | {getattr(r, name) for r in self.rows}


def _crossed(name: str, since: datetime, now: datetime, offsets) -> Q:
    """Rows where `name + offset` fell in (since, now] for one of the offsets: each is one
    indexed range on `name`."""
    q = Q(pk__in=[])
    for offset in offsets:
        q |= Q(**{f"{name}__gt": since - offset, f"{name}__lte": now - offset})
    return q


def _cases(q: Q, *statuses):
    return (
        Case.objects.filter(q, status__in=statuses)
        .select_related("area", "mediator")
        .only(
            "pk", "number", "status", "tier", "risk", "category_id", "next_due_at", "status_changed_at",
            "last_activity_at", "submitted_at", "area__path", "mediator__email", "mediator__phone",
            "mediator__is_active",
        )
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The rules


def _deadline_dues(now, since, policies: Policies, staff: Staff, supervision: list) -> list[Due]:
    """Due soon, overdue (every 3 days) and the follow-up visit; collects supervision candidates."""
    # Due soon: every deadline within the widest due-soon window (a case can enter the window
    # already inside it, e.g. a 2-day accept deadline). Overdue: the deadline or one of its 3-day
    # repeats passed within the catch-up window.
    soon = Q(next_due_at__gt=now, next_due_at__lte=now + timedelta(days=max(policies.values("due_soon_days"))))
    late = _crossed("next_due_at", since, now, [OVERDUE_EVERY * k for k in range(OVERDUE_REPEATS)])
    dues = []
    for case in _cases(soon | late, *OPEN, Case.Status.RESOLVED):
        deadline = case.next_due_at
        ctx = {"status": case.status, "due": stamp(deadline), "due_at": _local(deadline)}
        follow_up = case.status == Case.Status.RESOLVED
        if deadline > now:
            if deadline - timedelta(days=policies.get(case).due_soon_days) > now:
                continue
            rule = "follow_up_due" if follow_up else "due_soon"
            dues.append(Due(case.pk, rule, stamp(deadline), _handlers(case, staff), ctx))
            continue
        n = (now - deadline) // OVERDUE_EVERY
        rule = "follow_up_overdue" if follow_up else "overdue"
        ctx = {**ctx, "n": n + 1}
        dues.append(Due(case.pk, rule, f"{stamp(deadline)}#{n}", _handlers(case, staff), ctx))
        # Two reminders went out and nothing was recorded since the first one: up a tier.
        if not follow_up and n >= SUPERVISE_AFTER and case.last_activity_at <= deadline:
            supervision.append(case)
    return dues


def _status_dues(now, since, staff: Staff) -> list[Due]:
    """Unassigned (submitted) or unacknowledged (assigned) for a day since entering the status."""
    dues = []
    rules = [
        (Case.Status.SUBMITTED, "unassigned", UNASSIGNED_AFTER),
        (Case.Status.ASSIGNED, "unacknowledged", UNACKNOWLEDGED_AFTER),
    ]
    for status, rule, after in rules:
        for case in _cases(_crossed("status_changed_at", since, now, [after]), status):
            since_stamp = stamp(case.status_changed_at)
            ctx = {"status": status, "since": since_stamp, "since_at": _local(case.status_changed_at)}
            recipients = staff.community_staff(case.area.path) if rule == "unassigned" else _handlers(case, staff)
            dues.append(Due(case.pk, rule, since_stamp, recipients, ctx))
    return dues


def _stale_dues(now, since, staff: Staff) -> list[Due]:
    """No activity for 7 days (again every further week of silence)."""
    dues = []
    offsets = [STALE_AFTER * k for k in range(1, STALE_REPEATS + 1)]
    for case in _cases(_crossed("last_activity_at", since, now, offsets), *OPEN):
        weeks = (now - case.last_activity_at) // STALE_AFTER
        quiet = stamp(case.last_activity_at)
        ctx = {"quiet_since": quiet, "quiet_at": _local(case.last_activity_at), "days": weeks * 7}
        dues.append(Due(case.pk, "stale", f"{quiet}#{weeks}", _handlers(case, staff), ctx))
    return dues


def _legacy_dues(now, since, policies: Policies, staff: Staff) -> list[Due]:
    """A case open longer than the legacy threshold (历史积案): its handler and the supervisors above."""
    offsets = [timedelta(days=d) for d in policies.values("legacy_days")]
    dues = []
    for case in _cases(_crossed("submitted_at", since, now, offsets), *OPEN):
        days = policies.get(case).legacy_days
        if case.submitted_at + timedelta(days=days) > now:
            continue
        recipients = _handlers(case, staff) + staff.supervisors_above(case)
        ctx = {"open": True, "days": days}
        dues.append(Due(case.pk, "legacy", "legacy", list({p.pk: p for p in recipients}.values()), ctx))
    return dues


def _resolution_dues(now, since, staff: Staff) -> list[Due]:
    """Meeting resolutions (议定事项) due within 3 days, then overdue every 3 days: to the owner and
    the case's mediator (or the convening community's staff)."""
    from disputes.models.meetings import Resolution

    today, first = timezone.localdate(now), timezone.localdate(since)
    soon = (deadlines.DEFAULT_POLICY.due_soon_days,)
    rows = Resolution.objects.filter(
        Q(
            due_date__gt=first - timedelta(days=OVERDUE_EVERY.days * OVERDUE_REPEATS),
            due_date__lte=today + timedelta(days=soon[0]),
        ),
        status__in=RESOLUTION_OPEN,
    ).select_related("owner", "case__area", "case__mediator", "meeting__community")
    dues = []
    for res in rows:
        late = (today - res.due_date).days  # 1 on the day after the due date
        if late <= 0:
            rule, period, n = "resolution_due", f"{res.pk}/{res.due_date:%Y%m%d}", 0
        else:
            n = (late - 1) // OVERDUE_EVERY.days
            rule, period = "resolution_overdue", f"{res.pk}/{res.due_date:%Y%m%d}#{n}"
        people = [_person(res.owner)] if res.owner_id else []
        if res.case_id:
            people += _handlers(res.case, staff)
        elif res.meeting.community_id:
            people += staff.community_staff(res.meeting.community.path)
        recipients = list({p.pk: p for p in people if p}.values())
        ctx = {"resolution": res.pk, "due_date": res.due_date.isoformat(), "n": n + 1, "text": res.text[:200]}
        dues.append(Due(res.case_id, rule, period, recipients, ctx))
    return dues


def _confirmation_dues(now, since, staff: Staff) -> list[Due]:
    """Day 20 of the 30-day judicial-confirmation window (人民调解法 Art. 33): the parties with an
    account and the mediator, once per agreement."""
    from disputes.models.closure import Agreement

    before_end = timedelta(days=deadlines.DEFAULT_POLICY.confirmation_days - CONFIRMATION_REMIND_DAY)
    rows = list(
        Agreement.objects.filter(
            _crossed("confirmation_window_ends_at", since, now, [-before_end]),
            confirmation_wanted=True,
            confirmation_applied_at__isnull=True,
            confirmation_window_ends_at__gt=now,
        ).select_related("case__area", "case__mediator")
    )
    party_users: dict[int, list[Person]] = {}
    parties = Party.objects.filter(case__in=[a.case_id for a in rows], user__isnull=False, user__is_active=True)
    for party in parties.select_related("user"):
        party_users.setdefault(party.case_id, []).append(_person(party.user))
    dues = []
    for agreement in rows:
        people = party_users.get(agreement.case_id, []) + _handlers(agreement.case, staff)
        ends = agreement.confirmation_window_ends_at
        ctx = {"agreement": agreement.pk, "ends": stamp(ends), "ends_at": _local(ends)}
        dues.append(
            Due(agreement.case_id, "confirmation_window", stamp(ends), list({p.pk: p for p in people}.values()), ctx)
        )
    return dues


def _supervision_dues(cases: list[Case], staff: Staff) -> tuple[list[Due], list[CaseEvent]]:
    """督办: once per case and deadline, an internal SUPERVISION event and a reminder to the
    supervisors one tier above whose areas cover the case."""
    if not cases:
        return [], []
    done = set(
        Reminder.objects.filter(case__in=[c.pk for c in cases], rule="supervision").values_list("case_id", "period")
    )
    dues, events = [], []
    for case in cases:
        period = stamp(case.next_due_at)
        if (case.pk, period) in done:
            continue
        supervisors = staff.supervisors_above(case)
        ctx = {"status": case.status, "due": period, "due_at": _local(case.next_due_at), "tier": case.tier}
        dues.append(Due(case.pk, "supervision", period, supervisors, ctx, sms=case.risk == Case.Risk.HIGH))
        events.append(
            CaseEvent(
                case_id=case.pk,
                kind=CaseEvent.Kind.SUPERVISION,
                is_public=False,
                data={"deadline": ctx["due_at"], "supervisors": [p.pk for p in supervisors], "by": "reminders_scan"},
            )
        )
    return dues, events


def _digest_dues(now, staff: Staff) -> list[Due]:
    """Monday from 08:00: each supervisor's overdue cases in their subtree, once per ISO week."""
    local = timezone.localtime(now)
    if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
        return []
    year, week, _ = local.isocalendar()
    period = f"{year}-W{week:02d}"
    done = set(Reminder.objects.filter(rule="digest", period=period).values_list("recipient_id", flat=True))
    dues = []
    for pk, (person, paths) in staff.supervisors().items():
        if pk in done:
            continue
        area_q = Q(pk__in=[])
        for path in paths:
            area_q |= Q(area__path__startswith=path)
        overdue = Case.objects.filter(area_q, status__in=OPEN, next_due_at__lte=now).order_by("next_due_at")
        listed = list(overdue.values_list("number", "title", "next_due_at")[:50])
        cases = [[number, title, _local(due)] for number, title, due in listed]
        ctx = {"count": overdue.count() if len(listed) == 50 else len(listed), "cases": cases, "week": period}
        dues.append(Due(None, "digest", period, [person], ctx))
    return dues


# ---------------------------------------------------------------------------------------------
# The scan


def _scan_lock() -> None:
    """One scan at a time (two beats, a manual run): the supervision events are written once.
    SQLite's IMMEDIATE transactions already serialise writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SCAN_LOCK])


def _rows(dues: list[Due], now) -> list[Reminder]:
    rows = []
    for due in dues:
        for person in due.recipients:
            channels = [Reminder.Channel.INBOX]
            if person.email:
                channels.append(Reminder.Channel.EMAIL)
            if due.sms and person.phone:
                channels.append(Reminder.Channel.SMS)
            rows += [
                Reminder(
                    case_id=due.case_id,
                    recipient_id=person.pk,
                    rule=due.rule,
                    period=due.period,
                    channel=channel,
                    context=due.context,
                    created_at=now,
                    # A scan run for a moment ahead (tests, a catch-up) still sends now.
                    available_at=min(now, timezone.now()),
                )
                for channel in channels
            ]
    return rows


@transaction.atomic
def reminders_scan(*, now: datetime | None = None) -> dict[str, int]:
    """Write the reminder rows that have come due (idempotent: unique rows). Steps: lock; read
    staff and policies once; one indexed query per rule; supervision events for cases overdue
    twice without progress; bulk insert ignoring rows that exist. The rows are sent by
    `reminders_dispatch_due` (the scan task runs it right after)."""
    now = now or timezone.now()
    since = now - timedelta(hours=settings.REMINDER_CATCH_UP_HOURS)
    _scan_lock()
    staff, policies = Staff(), Policies()
    supervise: list[Case] = []
    dues = _deadline_dues(now, since, policies, staff, supervise)
    dues += _status_dues(now, since, staff)
    dues += _stale_dues(now, since, staff)
    dues += _legacy_dues(now, since, policies, staff)
    dues += _resolution_dues(now, since, staff)
    dues += _confirmation_dues(now, since, staff)
    supervision, events = _supervision_dues(supervise, staff)
    dues += supervision + _digest_dues(now, staff)
    CaseEvent.objects.bulk_create(events)
    rows = _rows(dues, now)
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    counts: dict[str, int] = {"rows": len(rows), "supervision": len(events)}
    for due in dues:
        counts[due.rule] = counts.get(due.rule, 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------
# The dispatch


def reminders_dispatch_due(
    *,
    now: datetime | None = None,
    stuck_after: timedelta | None = None,
    requeue_after: timedelta | None = None,
    limit: int = 20_000,
) -> dict[str, int]:
    """Return rows stuck in SENDING past the task time limit to PENDING (their worker died: the
    conditional "sent" mark and the claim token keep a late original from sending twice), then
    publish batches for pending rows that have no live message (never published, or published
    longer ago than REMINDER_REQUEUE_SECONDS: the broker may have lost it)."""
    now = now or timezone.now()
    # The time limit plus a margin: by then the task's child process has been killed.
    stuck_after = stuck_after or timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    requeue_after = requeue_after or timedelta(seconds=settings.REMINDER_REQUEUE_SECONDS)
    stuck = Reminder.objects.filter(state=Reminder.State.SENDING, claimed_at__lt=now - stuck_after)
    # A row whose worker keeps dying (a poison message) stops after three times the send tries.
    given_up = stuck.filter(attempts__gte=notifications.MAX_ATTEMPTS * 3).update(
        state=Reminder.State.FAILED, last_error="The worker was lost while sending, repeatedly.", claim_token=None
    )
    reset = stuck.update(state=Reminder.State.PENDING, claim_token=None, queued_at=None)
    ids = list(
        Reminder.objects.filter(state=Reminder.State.PENDING, available_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - requeue_after))
        .order_by("available_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    # The broker down: the rows stay pending and the next dispatch tries again.
    published = len(ids) if notifications.enqueue_send(ids) else 0
    return {"reset": reset, "failed": given_up, "pending": len(ids), "published": published}


@transaction.atomic
def reminders_retry(*, reminder_ids: list[int]) -> int:
    """Give FAILED rows a fresh set of tries (the admin's "retry" action); sent after commit."""
    ids = list(Reminder.objects.filter(pk__in=reminder_ids, state=Reminder.State.FAILED).values_list("pk", flat=True))
    Reminder.objects.filter(pk__in=ids).update(
        state=Reminder.State.PENDING, attempts=0, available_at=timezone.now(), queued_at=None, claim_token=None
    )
    transaction.on_commit(lambda: notifications.enqueue_send(ids))
    return len(ids)
