"""The reminder rules (DESIGN §7), one entry each in RULES: how the scan finds what is due, who
receives it, whether it is still due when it is sent, and the one template that renders it
(templates/reminders/<rule>.txt: the subject on the first line, then the text).

`reminders_scan` asks every rule with a finder for what has come due and writes one Reminder row
per case (or resolution, agreement, supervisor), rule, period, recipient and channel; the unique
constraints make a second scan of the same period a no-op. Its cost follows what is due, not the
size of the case table: every finder is an indexed range query over the moment a clock crossed a
threshold — the instants stamped on the case (disputes.deadlines.stamps) — within the catch-up
window (REMINDER_CATCH_UP_HOURS).

Periods: the deadline (UTC, to the second) for "due soon", "<deadline>#<n>" for the n-th 3-day
repeat of "overdue", the time a case entered its status for "unassigned"/"unacknowledged",
"<quiet since>#<week>" for "stale", the ISO week for the digest; for grid work (no case)
"c<campaign>/g<grid>" for a late screening report and its escalation, "o<order>" for a help
request not taken, "o<order>/<needed by>" for an overdue one and its escalation; for a collective
claim (no case) "claim-<claim>/<due_at>#<n>" for the n-th 3-day repeat of its overdue reminder and
"claim-<claim>/<local date>" for a supervision a supervisor ordered.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Area, User
from disputes import deadlines
from disputes.models import Case, CaseEvent, Party, Reminder, Rule
from disputes.selectors import TIER_AREA_KINDS, staff_for_tier, supervisors_of_subdistrict

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
# The judicial-confirmation reminder: this many days before the window ends (Agreement.confirmation_window_ends_at).
CONFIRMATION_REMIND_BEFORE_DAYS = 10
RESOLUTION_DUE_SOON_DAYS = 3
DIGEST_WEEKDAY, DIGEST_HOUR = 0, 8  # Monday 08:00 local time
# Grid work: a grid that has not filed its screening report by the campaign's due time is reminded
# (the first miss); still late this long after it (the second miss), it is put before the tier above.
GRID_REPORT_ESCALATE_AFTER = timedelta(days=2)
# Help requests: not taken this long after they were posted; past "needed by", then put before the
# community's staff this long after it.
ORDER_UNACCEPTED_AFTER = timedelta(hours=24)
ORDER_ESCALATE_AFTER = timedelta(days=1)
OPEN = tuple(Case.OPEN_STATUSES)
RESOLUTION_OPEN = ("open", "in_progress")
# The area depth (district 0 … grid 3) of the supervisors one tier above a case's handling tier.
SUPERVISOR_DEPTH = {Case.Tier.GRID: 2, Case.Tier.COMMUNITY: 1, Case.Tier.SUBDISTRICT: 0, Case.Tier.DISTRICT: 0}
_SCAN_LOCK = 0x6C696E6C69  # "linli": the PostgreSQL advisory lock that serialises scans


def stamp(value) -> str:
    """An instant as it is written into periods and contexts (UTC, to the second)."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


def _local(value: datetime) -> str:
    """A time as the recipient reads it (local time, to the minute)."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------
# Staff, read once per scan


@dataclass(frozen=True)
class Person:
    pk: int
    email: str
    phone: str


def _person(user) -> Person | None:
    return Person(user.pk, user.email or "", user.phone or "") if user is not None and user.is_active else None


def _unique(people) -> list[Person]:
    return list({p.pk: p for p in people if p}.values())


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
        return _unique(p for _, p in found)

    def community_staff(self, path: str) -> list[Person]:
        """Who handles an unassigned case: the mediators serving it, else its supervisors."""
        return self.covering(path, User.Role.MEDIATOR) or self.covering(path, User.Role.SUPERVISOR)

    def supervisors_above(self, case: Case) -> list[Person]:
        return self.covering(case.area.path, User.Role.SUPERVISOR, max_depth=SUPERVISOR_DEPTH[case.tier])

    def tier_staff(self, case: Case) -> list[Person]:
        """The mediators and supervisors of the area handling the case's tier (selectors.staff_for_tier)."""
        depths = {list(Area.Kind.values).index(kind) for kind in TIER_AREA_KINDS.get(case.tier, [])}
        found = [p for _, d, a, p in self.rows if d in depths and case.area.path.startswith(a)]
        return _unique(found)

    def supervisors(self) -> dict[int, tuple[Person, list[str]]]:
        result: dict[int, tuple[Person, list[str]]] = {}
        for role, _, path, person in self.rows:
            if role == User.Role.SUPERVISOR:
                result.setdefault(person.pk, (person, []))[1].append(path)
        return result


# ---------------------------------------------------------------------------------------------
# Who receives a rule's reminder


def handlers(case: Case, staff: Staff) -> list[Person]:
    """The case's mediator, else the staff who would take it."""
    person = _person(case.mediator) if case.mediator_id else None
    if person:
        return [person]
    if case.tier > Case.Tier.GRID:
        # Escalated without a named mediator: the tier above assigns it, not the worker who escalated.
        return staff.tier_staff(case) or staff.community_staff(case.area.path)
    return staff.community_staff(case.area.path)


def unassigned_recipients(case: Case, staff: Staff) -> list[Person]:
    return staff.community_staff(case.area.path)


def legacy_recipients(case: Case, staff: Staff) -> list[Person]:
    return _unique(handlers(case, staff) + staff.supervisors_above(case))


def supervision_recipients(case: Case, staff: Staff) -> list[Person]:
    return staff.supervisors_above(case)


def resolution_recipients(resolution, staff: Staff) -> list[Person]:
    """The resolution's owner and the case's handlers (or the convening community's staff)."""
    people = [_person(resolution.owner)] if resolution.owner_id else []
    if resolution.case_id:
        people += handlers(resolution.case, staff)
    elif resolution.meeting.community_id:
        people += staff.community_staff(resolution.meeting.community.path)
    return _unique(people)


def confirmation_recipients(agreement, staff: Staff) -> list[Person]:
    """The parties with an account and the case's handlers (the parties are loaded by the finder)."""
    return _unique(agreement.party_people + handlers(agreement.case, staff))


def high_risk_recipients(case: Case, staff: Staff | None = None) -> list:
    """The supervisors of the case's subdistrict (街道) hear that it was assessed high risk (DESIGN §7);
    `case` may be a collective claim (anything with an area)."""

    return list(supervisors_of_subdistrict(case))


def claim_overdue_recipients(claim, staff: Staff) -> list[Person]:
    """A collective claim's mediator and the supervisors of its subdistrict tier (the nearest
    supervisors no higher than the subdistrict, so a district supervisor only when it has none)."""
    people = [_person(claim.mediator)] if claim.mediator_id else []
    return _unique(people + staff.covering(claim.area.path, User.Role.SUPERVISOR, max_depth=1))


def claim_mediator_recipients(claim, staff: Staff | None = None) -> list:
    """A supervision of a claim goes to the claim's mediator (services.supervision)."""
    return [claim.mediator] if claim.mediator_id and claim.mediator.is_active else []


def claim_representative_users(claim) -> list:
    """The representatives of a collective claim who act online (a party linked to an account),
    each with the member case they represent from (`represented_case`)."""
    from disputes.models import ClaimRepresentative

    people = []
    for row in ClaimRepresentative.objects.filter(claim=claim, party__user__is_active=True).select_related(
        "party__user", "party__case"
    ):
        user = row.party.user
        user.represented_case = row.party.case
        people.append(user)
    return people


def event_recipients(event: CaseEvent) -> list:
    """Parties with an account hear about public events; the mediator hears about every event; the
    mediators and supervisors of the tier above hear that a case was escalated to them."""

    case = event.case
    people = []
    if event.is_public:
        people += [p.user for p in case.parties.select_related("user") if p.user_id]
    if case.mediator_id:
        people.append(case.mediator)
    if event.kind == CaseEvent.Kind.ESCALATED:
        people += list(staff_for_tier(case))
    seen, result = set(), []
    for person in people:
        if person.pk not in seen and person.pk != event.actor_id and person.is_active:
            seen.add(person.pk)
            result.append(person)
    return result


@dataclass(frozen=True)
class GridPlace:
    """What the grid rules' recipients read of a late grid or help request."""

    path: str  # the grid's area path
    keepers: list  # the grid's workers and heads (Person)
    helper: Person | None = None  # the volunteer an order was given to

    @property
    def community_path(self) -> str:
        return self.path[: self.path.rstrip("/").rfind("/") + 1]


def grid_keepers_recipients(place: GridPlace, staff: Staff) -> list[Person]:
    return place.keepers


def grid_tier_above_recipients(place: GridPlace, staff: Staff) -> list[Person]:
    """The tier above a grid: the staff serving its community (else the supervisors above it)."""
    return staff.community_staff(place.community_path)


def order_overdue_recipients(place: GridPlace, staff: Staff) -> list[Person]:
    """The volunteer who has the order, else the grid's workers, who dispatch it."""
    return [place.helper] if place.helper else place.keepers


# ---------------------------------------------------------------------------------------------
# The scan's view of the database


@dataclass
class Due:
    """One reminder to write, for each of its recipients."""

    case_id: int | None
    rule: str
    period: str
    recipients: list
    context: dict = field(default_factory=dict)
    sms: bool = False


@dataclass
class Scan:
    now: datetime
    since: datetime
    staff: Staff
    policies: deadlines.PolicyBook
    supervise: list = field(default_factory=list)  # overdue cases the supervision rule looks at
    events: list = field(default_factory=list)  # supervision events to write
    keepers: list | None = None  # grid workers and heads with their areas, read once (grid_keepers)


def _crossed(name: str, since: datetime, now: datetime, offsets) -> Q:
    """Rows where `name + offset` fell in (since, now] for one of the offsets: each is one
    indexed range on `name`."""
    q = Q(pk__in=[])
    for offset in offsets:
        q |= Q(**{f"{name}__gt": since - offset, f"{name}__lte": now - offset})
    return q


def _cases(q: Q, *statuses):
    """Cases with a running clock (not suspended) for a finder, with what rules and recipients read."""
    return (
        Case.objects.filter(q, status__in=statuses, suspended_at__isnull=True)
        .select_related("area", "mediator")
        .only(
            "pk", "number", "status", "tier", "risk", "category_id", "next_due_at", "due_soon_at", "legacy_at",
            "status_changed_at", "last_activity_at", "submitted_at", "area__path", "mediator__email",
            "mediator__phone", "mediator__is_active",
        )
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# How each rule is found


def find_deadlines(scan: Scan) -> list[Due]:
    """Due soon (from the stamped due_soon_at), overdue (every 3 days) and the follow-up visit;
    collects the candidates for supervision."""
    now = scan.now
    widest = timedelta(days=max(scan.policies.values("due_soon_days")))
    soon = deadlines.clock_q("due_soon", now) & Q(next_due_at__gt=now, next_due_at__lte=now + widest)
    late = _crossed("next_due_at", scan.since, now, [OVERDUE_EVERY * k for k in range(OVERDUE_REPEATS)])
    dues = []
    for case in _cases(soon | late, *Case.RUNNING_STATUSES):
        deadline = case.next_due_at
        ctx = {"status": case.status, "due": stamp(deadline), "due_at": _local(deadline)}
        follow_up = case.status == Case.Status.RESOLVED
        if deadline > now:
            rule = Rule.FOLLOW_UP_DUE if follow_up else Rule.DUE_SOON
            dues.append(Due(case.pk, rule, stamp(deadline), RULES[rule].recipients(case, scan.staff), ctx))
            continue
        n = (now - deadline) // OVERDUE_EVERY
        rule = Rule.FOLLOW_UP_OVERDUE if follow_up else Rule.OVERDUE
        ctx = {**ctx, "n": n + 1}
        dues.append(Due(case.pk, rule, f"{stamp(deadline)}#{n}", RULES[rule].recipients(case, scan.staff), ctx))
        # Two reminders went out and nothing was recorded since the first one: up a tier.
        if not follow_up and n >= SUPERVISE_AFTER and case.last_activity_at <= deadline:
            scan.supervise.append(case)
    return dues


def _find_in_status(scan: Scan, rule: str, status: str, after: timedelta) -> list[Due]:
    dues = []
    for case in _cases(_crossed("status_changed_at", scan.since, scan.now, [after]), status):
        since = stamp(case.status_changed_at)
        ctx = {"status": status, "since": since, "since_at": _local(case.status_changed_at)}
        dues.append(Due(case.pk, rule, since, RULES[rule].recipients(case, scan.staff), ctx))
    return dues


def find_unassigned(scan: Scan) -> list[Due]:
    """Submitted a day ago and not accepted."""
    return _find_in_status(scan, Rule.UNASSIGNED, Case.Status.SUBMITTED, UNASSIGNED_AFTER)


def find_unacknowledged(scan: Scan) -> list[Due]:
    """Assigned a day ago and not acknowledged."""
    return _find_in_status(scan, Rule.UNACKNOWLEDGED, Case.Status.ASSIGNED, UNACKNOWLEDGED_AFTER)


def find_stale(scan: Scan) -> list[Due]:
    """No activity for 7 days (again every further week of silence)."""
    dues = []
    offsets = [STALE_AFTER * k for k in range(1, STALE_REPEATS + 1)]
    for case in _cases(_crossed("last_activity_at", scan.since, scan.now, offsets), *OPEN):
        weeks = (scan.now - case.last_activity_at) // STALE_AFTER
        quiet = stamp(case.last_activity_at)
        ctx = {"quiet_since": quiet, "quiet_at": _local(case.last_activity_at), "days": weeks * 7}
        dues.append(Due(case.pk, Rule.STALE, f"{quiet}#{weeks}", RULES[Rule.STALE].recipients(case, scan.staff), ctx))
    return dues


def find_legacy(scan: Scan) -> list[Due]:
    """A case became legacy (历史积案): its stamped legacy_at passed within the catch-up window."""
    dues = []
    for case in _cases(_crossed("legacy_at", scan.since, scan.now, [timedelta(0)]), *OPEN):
        days = scan.policies.for_case(case).legacy_days
        ctx = {"open": True, "days": days, "legacy": stamp(case.legacy_at)}
        dues.append(Due(case.pk, Rule.LEGACY, "legacy", RULES[Rule.LEGACY].recipients(case, scan.staff), ctx))
    return dues


def find_resolutions(scan: Scan) -> list[Due]:
    """Meeting resolutions (议定事项) due within 3 days, then overdue every 3 days."""
    from disputes.models.meetings import Resolution

    today, first = timezone.localdate(scan.now), timezone.localdate(scan.since)
    rows = Resolution.objects.filter(
        Q(
            due_date__gt=first - timedelta(days=OVERDUE_EVERY.days * OVERDUE_REPEATS),
            due_date__lte=today + timedelta(days=RESOLUTION_DUE_SOON_DAYS),
        ),
        status__in=RESOLUTION_OPEN,
    ).select_related("owner", "case__area", "case__mediator", "meeting__community")
    dues = []
    for res in rows:
        late = (today - res.due_date).days  # 1 on the day after the due date
        if late <= 0:
            rule, period, n = Rule.RESOLUTION_DUE, f"{res.pk}/{res.due_date:%Y%m%d}", 0
        else:
            n = (late - 1) // OVERDUE_EVERY.days
            rule, period = Rule.RESOLUTION_OVERDUE, f"{res.pk}/{res.due_date:%Y%m%d}#{n}"
        ctx = {"resolution": res.pk, "due_date": res.due_date.isoformat(), "n": n + 1, "text": res.text[:200]}
        dues.append(Due(res.case_id, rule, period, RULES[rule].recipients(res, scan.staff), ctx))
    return dues


def find_confirmation_windows(scan: Scan) -> list[Due]:
    """CONFIRMATION_REMIND_BEFORE_DAYS before the judicial-confirmation window ends (人民调解法
    Art. 33), once per agreement and window end. The end is read from the agreement
    (Agreement.confirmation_window_ends_at, set where the agreement takes effect), nowhere else."""
    from disputes.models.closure import Agreement

    before = timedelta(days=CONFIRMATION_REMIND_BEFORE_DAYS)
    rows = list(
        Agreement.objects.filter(
            _crossed("confirmation_window_ends_at", scan.since, scan.now, [-before]),
            confirmation_wanted=True,
            confirmation_applied_at__isnull=True,
            confirmation_window_ends_at__gt=scan.now,
        ).select_related("case__area", "case__mediator")
    )
    party_users: dict[int, list[Person]] = {}
    parties = Party.objects.filter(case__in=[a.case_id for a in rows], user__isnull=False, user__is_active=True)
    for party in parties.select_related("user"):
        party_users.setdefault(party.case_id, []).append(_person(party.user))
    dues = []
    for agreement in rows:
        agreement.party_people = party_users.get(agreement.case_id, [])
        ends = agreement.confirmation_window_ends_at
        ctx = {
            "agreement": agreement.pk,
            "ends": stamp(ends),
            "ends_at": _local(ends),
            "days": CONFIRMATION_REMIND_BEFORE_DAYS,
        }
        recipients = RULES[Rule.CONFIRMATION_WINDOW].recipients(agreement, scan.staff)
        dues.append(Due(agreement.case_id, Rule.CONFIRMATION_WINDOW, stamp(ends), recipients, ctx))
    return dues


def find_supervision(scan: Scan) -> list[Due]:
    """督办: once per case and deadline, an internal SUPERVISION event and a reminder to the
    supervisors one tier above whose areas cover the case (by SMS too for a high-risk case).
    Runs after find_deadlines, which collects the cases."""
    cases = scan.supervise
    if not cases:
        return []
    done = set(
        Reminder.objects.filter(case__in=[c.pk for c in cases], rule=Rule.SUPERVISION).values_list("case_id", "period")
    )
    dues = []
    for case in cases:
        period = stamp(case.next_due_at)
        if (case.pk, period) in done:
            continue
        supervisors = RULES[Rule.SUPERVISION].recipients(case, scan.staff)
        ctx = {"status": case.status, "due": period, "due_at": _local(case.next_due_at), "tier": case.tier}
        dues.append(Due(case.pk, Rule.SUPERVISION, period, supervisors, ctx, sms=case.risk == Case.Risk.HIGH))
        scan.events.append(
            CaseEvent(
                case_id=case.pk,
                kind=CaseEvent.Kind.SUPERVISION,
                is_public=False,
                data={"deadline": ctx["due_at"], "supervisors": [p.pk for p in supervisors], "by": "reminders_scan"},
            )
        )
    return dues


def find_claims_overdue(scan: Scan) -> list[Due]:
    """Open collective claims past their own resolve-by deadline (CollectiveClaim.due_at), then
    every 3 days, as for cases: one indexed range query over the partial index claim_open_due."""
    from disputes.models import CollectiveClaim

    late = _crossed("due_at", scan.since, scan.now, [OVERDUE_EVERY * k for k in range(OVERDUE_REPEATS)])
    claims = CollectiveClaim.objects.filter(late, status=CollectiveClaim.Status.OPEN).select_related(
        "area", "mediator"
    )
    dues = []
    for claim in claims.order_by("pk"):
        n = (scan.now - claim.due_at) // OVERDUE_EVERY
        due = stamp(claim.due_at)
        ctx = {
            "claim_id": claim.pk,
            "claim": claim.number,
            "title": claim.title,
            "households": claim.households,
            "due": due,
            "due_at": _local(claim.due_at),
            "n": n + 1,
        }
        recipients = RULES[Rule.CLAIM_OVERDUE].recipients(claim, scan.staff)
        dues.append(Due(None, Rule.CLAIM_OVERDUE, f"claim-{claim.pk}/{due}#{n}", recipients, ctx))
    return dues


def find_digests(scan: Scan) -> list[Due]:
    """Monday from 08:00: each supervisor's overdue cases in their subtree, once per ISO week."""
    local = timezone.localtime(scan.now)
    if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
        return []
    year, week, _ = local.isocalendar()
    period = f"{year}-W{week:02d}"
    done = set(Reminder.objects.filter(rule=Rule.DIGEST, period=period).values_list("recipient_id", flat=True))
    dues = []
    for pk, (person, paths) in scan.staff.supervisors().items():
        if pk in done:
            continue
        area_q = Q(pk__in=[])
        for path in paths:
            area_q |= Q(area__path__startswith=path)
        overdue = Case.objects.filter(area_q, deadlines.clock_q("overdue", scan.now)).order_by("next_due_at")
        listed = list(overdue.values_list("number", "title", "next_due_at")[:50])
        cases = [[number, title, _local(due)] for number, title, due in listed]
        ctx = {"count": overdue.count() if len(listed) == 50 else len(listed), "cases": cases, "week": period}
        dues.append(Due(None, Rule.DIGEST, period, [person], ctx))
    return dues


def grid_keepers(scan: Scan, grid_path: str) -> list[Person]:
    """The grid workers and heads whose area covers the grid (a head may head a community's grids);
    the members are read once per scan."""
    if scan.keepers is None:
        from grid.models import GridMember

        rows = GridMember.objects.filter(role__in=GridMember.DIARY_ROLES, user__is_active=True).values_list(
            "user_id", "user__email", "user__phone", "area__path"
        )
        scan.keepers = [(path, Person(pk, email or "", phone or "")) for pk, email, phone, path in rows]
    return _unique(p for path, p in scan.keepers if grid_path.startswith(path))


def grid_report_period(campaign_id: int, grid_id: int) -> str:
    """The period of a grid's late-report reminders (grid.selectors.campaign_overview builds it in SQL)."""
    return f"c{campaign_id}/g{grid_id}"


def find_grid_reports(scan: Scan) -> list[Due]:
    """Screening campaigns whose due time (the first miss) or due time + GRID_REPORT_ESCALATE_AFTER
    (the second miss) passed in the window: each grid of the campaign without a report is reminded,
    then put before the tier above. One query for the campaigns, one per such campaign for its late grids."""
    from grid.models import Campaign, ScreeningReport

    offsets = {Rule.GRID_REPORT_LATE: timedelta(0), Rule.GRID_REPORT_ESCALATED: GRID_REPORT_ESCALATE_AFTER}
    campaigns = Campaign.objects.filter(_crossed("due_at", scan.since, scan.now, offsets.values()))
    dues = []
    for campaign in campaigns.select_related("area").order_by("pk"):
        late = (
            Area.objects.filter(kind=Area.Kind.GRID, path__startswith=campaign.area.path)
            .exclude(pk__in=ScreeningReport.objects.filter(campaign=campaign).values("grid_id"))
            .values_list("pk", "name", "path")
        )
        rules = [r for r, off in offsets.items() if scan.since < campaign.due_at + off <= scan.now]
        for grid_id, name, path in late:
            place = GridPlace(path, grid_keepers(scan, path))
            ctx = {
                "campaign": campaign.pk,
                "grid": grid_id,
                "title": campaign.title,
                "grid_name": name,
                "due_at": _local(campaign.due_at),
            }
            period = grid_report_period(campaign.pk, grid_id)
            dues += [Due(None, rule, period, RULES[rule].recipients(place, scan.staff), ctx) for rule in rules]
    return dues


def find_orders(scan: Scan) -> list[Due]:
    """Help requests (群众点单) not taken ORDER_UNACCEPTED_AFTER after they were posted, open past
    their "needed by", and still open ORDER_ESCALATE_AFTER after it: one indexed query."""
    from grid.models import ServiceOrder

    waiting = [ServiceOrder.Status.POSTED, ServiceOrder.Status.DISPATCHED]
    unaccepted = Q(_crossed("posted_at", scan.since, scan.now, [ORDER_UNACCEPTED_AFTER]), status__in=waiting)
    overdue = _crossed("needed_by", scan.since, scan.now, [timedelta(0), ORDER_ESCALATE_AFTER])
    orders = (
        ServiceOrder.objects.filter(unaccepted | Q(overdue, status__in=ServiceOrder.OPEN_STATUSES))
        .select_related("grid", "helper")
        .order_by("pk")
    )
    dues = []
    for order in orders:
        place = GridPlace(order.grid.path, grid_keepers(scan, order.grid.path), _person(order.helper))
        ctx = {
            "order": order.pk,
            "what": order.what[:60],
            "grid_name": order.grid.name,
            "needed_by": stamp(order.needed_by),
            "needed_by_at": _local(order.needed_by),
        }
        found = []
        if order.status in waiting and scan.since < order.posted_at + ORDER_UNACCEPTED_AFTER <= scan.now:
            found.append((Rule.ORDER_UNACCEPTED, f"o{order.pk}"))
        if scan.since < order.needed_by <= scan.now:
            found.append((Rule.ORDER_OVERDUE, f"o{order.pk}/{stamp(order.needed_by)}"))
        if scan.since < order.needed_by + ORDER_ESCALATE_AFTER <= scan.now:
            found.append((Rule.ORDER_ESCALATED, f"o{order.pk}/{stamp(order.needed_by)}"))
        dues += [Due(None, rule, period, RULES[rule].recipients(place, scan.staff), ctx) for rule, period in found]
    return dues


# ---------------------------------------------------------------------------------------------
# Whether a reminder is still true when it is sent (the case may have moved since the scan)


def _case_running(row: Reminder) -> bool:
    case = row.case
    return case is not None and case.suspended_at is None and case.status == row.context.get("status")


def deadline_still_due(row: Reminder, related: dict) -> bool:
    return _case_running(row) and stamp(row.case.next_due_at) == row.context.get("due")


def status_still_due(row: Reminder, related: dict) -> bool:
    return _case_running(row) and stamp(row.case.status_changed_at) == row.context.get("since")


def _case_open_running(row: Reminder) -> bool:
    # Open and its clock not stopped: the status and stamp the row was written for aside.
    case = row.case
    return case is not None and case.status in OPEN and case.suspended_at is None


def stale_still_due(row: Reminder, related: dict) -> bool:
    return _case_open_running(row) and stamp(row.case.last_activity_at) == row.context.get("quiet_since")


def legacy_still_due(row: Reminder, related: dict) -> bool:
    return _case_open_running(row) and stamp(row.case.legacy_at) == row.context.get("legacy")


def supervision_still_due(row: Reminder, related: dict) -> bool:
    # A supervision a supervisor ordered (services.supervision) has its text and no context.
    return not row.context or deadline_still_due(row, related)


def resolution_still_due(row: Reminder, related: dict) -> bool:
    resolution = related["resolutions"].get(row.context.get("resolution"))
    return (
        resolution is not None
        and resolution.status in RESOLUTION_OPEN
        and resolution.due_date.isoformat() == row.context.get("due_date")
    )


def confirmation_still_due(row: Reminder, related: dict) -> bool:
    agreement = related["agreements"].get(row.context.get("agreement"))
    return (
        agreement is not None
        and agreement.confirmation_wanted
        and agreement.confirmation_applied_at is None
        and stamp(agreement.confirmation_window_ends_at) == row.context.get("ends")
    )


def event_still_due(row: Reminder, related: dict) -> bool:
    return int(row.period) in related["events"]


def grid_report_still_due(row: Reminder, related: dict) -> bool:
    """The grid has still not filed its report."""
    return (row.context.get("campaign"), row.context.get("grid")) not in related["reports_filed"]


def order_still_due(row: Reminder, related: dict) -> bool:
    """The order is still open (and not taken, for the "not taken" rule; with the same "needed by"
    for the others)."""
    from grid.models import ServiceOrder

    order = related["orders"].get(row.context.get("order"))
    if order is None or order.status not in ServiceOrder.OPEN_STATUSES:
        return False
    if row.rule == Rule.ORDER_UNACCEPTED:
        return order.status != ServiceOrder.Status.ACCEPTED
    return stamp(order.needed_by) == row.context.get("needed_by")


def claim_overdue_still_due(row: Reminder, related: dict) -> bool:
    """The claim is still open and its deadline is the one the reminder names."""
    claim = related["claims"].get(row.context.get("claim_id"))
    return claim is not None and claim.is_open and stamp(claim.due_at) == row.context.get("due")


def always(row: Reminder, related: dict) -> bool:
    return True


# ---------------------------------------------------------------------------------------------
# The registry


@dataclass(frozen=True)
class RuleSpec:
    find: Callable[[Scan], list[Due]] | None  # None: written by its cause (a case event)
    still_due: Callable[[Reminder, dict], bool]
    recipients: Callable  # (the case, resolution, agreement or event found, Staff) -> people
    template: str  # templates/reminders/<rule>.txt: the subject on the first line, then the text
    wrapped: bool = True  # the text goes into the staff email (a link to the workbench) and HTML


def _spec(rule: str, find, still_due, recipients, **options) -> RuleSpec:
    return RuleSpec(find, still_due, recipients, f"reminders/{rule}.txt", **options)


RULES: dict[str, RuleSpec] = {
    Rule.EVENT: _spec(Rule.EVENT, None, event_still_due, lambda event, staff: event_recipients(event), wrapped=False),
    Rule.DUE_SOON: _spec(Rule.DUE_SOON, find_deadlines, deadline_still_due, handlers),
    Rule.OVERDUE: _spec(Rule.OVERDUE, find_deadlines, deadline_still_due, handlers),
    Rule.FOLLOW_UP_DUE: _spec(Rule.FOLLOW_UP_DUE, find_deadlines, deadline_still_due, handlers),
    Rule.FOLLOW_UP_OVERDUE: _spec(Rule.FOLLOW_UP_OVERDUE, find_deadlines, deadline_still_due, handlers),
    Rule.UNASSIGNED: _spec(Rule.UNASSIGNED, find_unassigned, status_still_due, unassigned_recipients),
    Rule.UNACKNOWLEDGED: _spec(Rule.UNACKNOWLEDGED, find_unacknowledged, status_still_due, handlers),
    Rule.STALE: _spec(Rule.STALE, find_stale, stale_still_due, handlers),
    Rule.LEGACY: _spec(Rule.LEGACY, find_legacy, legacy_still_due, legacy_recipients),
    Rule.RESOLUTION_DUE: _spec(Rule.RESOLUTION_DUE, find_resolutions, resolution_still_due, resolution_recipients),
    Rule.RESOLUTION_OVERDUE: _spec(
        Rule.RESOLUTION_OVERDUE, find_resolutions, resolution_still_due, resolution_recipients
    ),
    Rule.CONFIRMATION_WINDOW: _spec(
        Rule.CONFIRMATION_WINDOW, find_confirmation_windows, confirmation_still_due, confirmation_recipients
    ),
    # After the deadline finder: it supervises the cases that one collected.
    Rule.SUPERVISION: _spec(Rule.SUPERVISION, find_supervision, supervision_still_due, supervision_recipients),
    Rule.DIGEST: _spec(Rule.DIGEST, find_digests, always, lambda person, staff: [person]),
    # Written by its cause (services.steps.case_set_risk), like a case event.
    Rule.HIGH_RISK: _spec(Rule.HIGH_RISK, None, always, high_risk_recipients),
    # Grid work: one finder each for the campaigns and the help requests.
    Rule.GRID_REPORT_LATE: _spec(
        Rule.GRID_REPORT_LATE, find_grid_reports, grid_report_still_due, grid_keepers_recipients
    ),
    Rule.GRID_REPORT_ESCALATED: _spec(
        Rule.GRID_REPORT_ESCALATED, find_grid_reports, grid_report_still_due, grid_tier_above_recipients
    ),
    Rule.ORDER_UNACCEPTED: _spec(Rule.ORDER_UNACCEPTED, find_orders, order_still_due, grid_keepers_recipients),
    Rule.ORDER_OVERDUE: _spec(Rule.ORDER_OVERDUE, find_orders, order_still_due, order_overdue_recipients),
    Rule.ORDER_ESCALATED: _spec(Rule.ORDER_ESCALATED, find_orders, order_still_due, grid_tier_above_recipients),
    # Written by its cause (services.collective.claim_create): a new high-risk collective claim,
    # to the supervisors of the claim's subdistrict (the same recipients, found from its area).
    Rule.CLAIM_HIGH_RISK: _spec(Rule.CLAIM_HIGH_RISK, None, always, high_risk_recipients),
    # Written by its cause (services.collective: a public claim event): to the claim's representatives.
    Rule.CLAIM_NOTICE: _spec(
        Rule.CLAIM_NOTICE, None, always, lambda claim, staff=None: claim_representative_users(claim), wrapped=False
    ),
    # A collective claim's own deadline (CollectiveClaim.due_at): its mediator and subdistrict.
    Rule.CLAIM_OVERDUE: _spec(
        Rule.CLAIM_OVERDUE, find_claims_overdue, claim_overdue_still_due, claim_overdue_recipients
    ),
    # Written by its cause (services.supervision.claim_supervision_order), with its text.
    Rule.CLAIM_SUPERVISION: _spec(Rule.CLAIM_SUPERVISION, None, always, claim_mediator_recipients),
}
assert set(RULES) == set(Rule.values), "every Rule has its entry"


def _finders() -> list[Callable[[Scan], list[Due]]]:
    """Each finder once, in the registry's order (supervision after the deadlines). One finder
    serves several rules: due soon, overdue and the follow-up visit are one range query over
    next_due_at, resolutions due and overdue one query."""
    found = []
    for spec in RULES.values():
        if spec.find is not None and spec.find not in found:
            found.append(spec.find)
    return found


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
    staff and policies once; one indexed query per finder; supervision events for cases overdue
    twice without progress; bulk insert ignoring rows that exist. The rows are sent by
    `reminders_dispatch_due` (the scan task runs it right after)."""
    now = now or timezone.now()
    _scan_lock()
    scan = Scan(
        now=now,
        since=now - timedelta(hours=settings.REMINDER_CATCH_UP_HOURS),
        staff=Staff(),
        policies=deadlines.PolicyBook(),
    )
    dues: list[Due] = []
    for find in _finders():
        dues += find(scan)
    CaseEvent.objects.bulk_create(scan.events)
    rows = _rows(dues, now)
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    counts: dict[str, int] = {"rows": len(rows), "supervision": len(scan.events)}
    for due in dues:
        counts[due.rule] = counts.get(due.rule, 0) + 1
    return counts
