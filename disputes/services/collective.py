"""Collective claims handled as one (群体性诉求, DESIGN §9a, issue 17).

Staff group related cases into a claim (claim_create), add and remove cases, elect representatives
with their consent, schedule the claim's one four-party meeting, and apply a step to every member
case at once (claim_step). Every change of a member case goes through the lifecycle service
(services.cases: `_case_write` and the step functions), so each case gets its own event and a case
that changed under us is refused, never overwritten; claim_step reports those cases back. The
claim's own timeline is ClaimEvent; its households are the sum of its members', and their
collective flag follows that sum through the one rule, services.cases.households_collective.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Area, User
from disputes import deadlines
from disputes.models import (
    Case,
    CaseEvent,
    ClaimEvent,
    ClaimNumberCounter,
    ClaimRepresentative,
    CollectiveClaim,
    Meeting,
    Party,
    Reminder,
    Rule,
)
from disputes.services import cases as lifecycle
from disputes.services.cases import CaseError, StaleCase, _case_write, households_collective, next_number
from disputes.services.claims import collective_flag_event
from disputes.services.closure import case_close_with_outcome
from disputes.services.meetings import meeting_create
from disputes.services.reminders import RULES, reminder_create


def _claim_event(*, claim: CollectiveClaim, kind: str, actor: User | None, note: str = "", is_public=True, **extra):
    """A claim event; a public one is a notice to the claim's representatives (Rule.CLAIM_NOTICE,
    rows of the reminder pipeline sent after commit, each linked to the representative's own case)."""
    event = ClaimEvent.objects.create(claim=claim, kind=kind, actor=actor, note=note, is_public=is_public, **extra)
    if is_public:
        for user in RULES[Rule.CLAIM_NOTICE].recipients(claim):
            if user.pk == getattr(actor, "pk", None):
                continue
            channels = [Reminder.Channel.INBOX] + ([Reminder.Channel.EMAIL] if user.email else [])
            for channel in channels:
                reminder_create(
                    case=user.represented_case,
                    recipient=user,
                    rule=Rule.CLAIM_NOTICE,
                    period=f"claimevent-{event.pk}",
                    channel=channel,
                    context={"claim": claim.number, "kind": kind, "note": note[:200]},
                )
    return event


# --- Membership and the households ------------------------------------------------------------


def case_can_join_claim(case: Case) -> bool:
    """A case still being handled (not finished) and not in another claim."""
    return case.collective_claim_id is None and case.status not in Case.TERMINAL_STATUSES


def claim_common_area(areas: list[Area]) -> Area:
    """The deepest area above (or at) all of `areas`: the claim's handling area, by path prefix."""
    paths = [a.path.strip("/").split("/") for a in areas]
    common = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return Area.objects.get(pk=int(common[-1]))


def _member_write(
    *, case: Case, claim: CollectiveClaim | None, households: int, actor: User | None, note: str
) -> CaseEvent:
    """Join (claim) or leave (None) a claim through the lifecycle, with a public CLAIM event on the
    case; the collective flag is written with it and a flip is an event of its own."""
    was, collective = case.is_collective, households_collective(households)
    number = claim.number if claim else case.collective_claim.number
    event = _case_write(
        case=case,
        fields={"collective_claim": claim, "is_collective": collective},
        actor=actor,
        kind=CaseEvent.Kind.CLAIM,
        note=note,
        is_public=True,
        data={"claim": number, "joined": claim is not None},
    )
    if was != collective:
        collective_flag_event(case=case, collective=collective, households=households, actor=actor)
    return event


def claim_sync(*, claim: CollectiveClaim, actor: User | None) -> CollectiveClaim:
    """Recount the claim's households from its members and let each member's flag follow the
    total (through the lifecycle, an event on each flip); then the claim's status (claim_status_sync)."""
    # The mediator: each flag flip is a case event whose notice goes to them.
    members = list(claim.cases.select_related("mediator").order_by("pk"))
    claim.households = sum(c.households for c in members)
    CollectiveClaim.objects.filter(pk=claim.pk).update(households=claim.households)
    collective = households_collective(claim.households)
    for case in members:
        if case.is_collective != collective:
            _case_write(
                case=case,
                fields={"is_collective": collective},
                actor=actor,
                kind=CaseEvent.Kind.COLLECTIVE,
                note=_("The collective claim %(claim)s now counts %(n)s households.")
                % {"claim": claim.number, "n": claim.households},
                is_public=False,
                data={"collective": collective, "households": claim.households, "claim": claim.number},
            )
    claim_status_sync(claim=claim, actor=actor, members=members)
    return claim


def claim_status_sync(*, claim: CollectiveClaim, actor: User | None, members: list[Case] | None = None) -> None:
    """The claim follows its members: open while one is still open; resolved once none is open
    and at least one was resolved (resolved_at: the day it counts as a resolved claim); closed
    once every member is finished. A reopened member reopens the claim."""
    members = members if members is not None else list(claim.cases.only("pk", "status", "resolved_at"))
    if not members:
        return
    # As it is now: a member's own transition may have moved it since the caller loaded it.
    claim.refresh_from_db(fields=["status", "resolved_at", "closed_at"])
    now = timezone.now()
    if any(c.status in Case.OPEN_STATUSES for c in members):
        status, resolved_at, closed_at = CollectiveClaim.Status.OPEN, None, None
    else:
        any_resolved = any(c.resolved_at for c in members)
        resolved_at = (claim.resolved_at or now) if any_resolved else None
        finished = all(c.status in Case.TERMINAL_STATUSES for c in members)
        status = CollectiveClaim.Status.CLOSED if finished else CollectiveClaim.Status.RESOLVED
        closed_at = (claim.closed_at or now) if finished else None
    if (status, resolved_at, closed_at) == (claim.status, claim.resolved_at, claim.closed_at):
        return
    old = claim.status
    CollectiveClaim.objects.filter(pk=claim.pk).update(status=status, resolved_at=resolved_at, closed_at=closed_at)
    claim.status, claim.resolved_at, claim.closed_at = status, resolved_at, closed_at
    if old != status:
        _claim_event(
            claim=claim,
            kind=ClaimEvent.Kind.STATUS,
            actor=actor,
            note=CollectiveClaim.Status(status).label,
            data={"from": old, "to": status},
        )


def _check_members(cases: list[Case]) -> None:
    for case in cases:
        if not case_can_join_claim(case):
            if case.collective_claim_id:
                raise CaseError(
                    _("Case %(number)s is already in collective claim %(claim)s.")
                    % {"number": case.number, "claim": case.collective_claim.number}
                )
            raise CaseError(_("Case %(number)s is already finished.") % {"number": case.number})


@transaction.atomic
def claim_create(
    *,
    cases: list[Case],
    actor: User,
    title: str,
    facts: str,
    demand: str,
    risk: str = Case.Risk.LOW,
    tier: int | None = None,
    mediator: User | None = None,
) -> CollectiveClaim:
    """Group related cases into a collective claim:

    1. refuse fewer than two cases, a finished case or one already in a claim, missing texts;
    2. number the claim (JT-<year>-<serial>); its area is the deepest area above all its cases,
       its tier the highest of theirs unless given;
    3. each case joins through the lifecycle (refused, with nothing written, if one changed since
       it was loaded), with a public CLAIM event; the households are summed and every member's
       flag follows the total;
    4. a claim at high risk notifies the supervisors of its subdistrict at once (Rule.CLAIM_HIGH_RISK);
    5. the claim's own resolve-by deadline is set (claim_due_at).
    """
    if len(cases) < 2:
        raise CaseError(_("A collective claim groups two or more related cases."))
    if not title.strip() or not facts.strip() or not demand.strip():
        raise CaseError(_("Give the claim a subject, the shared facts and the shared demand."))
    if risk not in Case.Risk.values:
        raise CaseError(_("Choose a risk level."))
    _check_members(cases)
    now = timezone.now()
    tier = tier or max(max(c.tier for c in cases), Case.Tier.COMMUNITY)
    claim = CollectiveClaim.objects.create(
        number=next_number(ClaimNumberCounter, "JT", now),
        title=title.strip(),
        facts=facts,
        demand=demand,
        risk=risk,
        area=claim_common_area([c.area for c in cases]),
        tier=tier,
        mediator=mediator,
        households=sum(c.households for c in cases),
        created_by=actor,
        created_at=now,
        due_at=claim_due_at(cases=cases, tier=tier, created_at=now),
    )
    note = _("Grouped into collective claim %(claim)s: %(title)s") % {"claim": claim.number, "title": claim.title}
    for case in sorted(cases, key=lambda c: c.pk):
        _member_write(case=case, claim=claim, households=claim.households, actor=actor, note=note)
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.CREATED,
        actor=actor,
        created_at=now,
        note=note,
        data={"cases": [c.number for c in sorted(cases, key=lambda c: c.pk)], "households": claim.households},
    )
    if risk == Case.Risk.HIGH:
        _notify_high_risk(claim)
    return claim


def claim_due_at(*, cases: list[Case], tier: int, created_at: datetime) -> datetime:
    """The claim's own resolve-by deadline: its creation plus the strictest (fewest) resolve days
    of the deadline policies of its member cases' categories at the claim's handling tier
    (disputes.deadlines.PolicyBook). Fixed at creation: adding or removing a case later does not
    move it, so the claim's clock is not reset by regrouping its cases."""
    book = deadlines.PolicyBook()
    days = min(book.get(category_id=c.category_id, tier=tier).resolve_days for c in cases)
    return created_at + days * deadlines.DAY


@transaction.atomic
def claim_add_cases(*, claim: CollectiveClaim, cases: list[Case], actor: User) -> CollectiveClaim:
    """Add related cases to an open claim, each with its event; households and flags follow."""
    if not claim.is_open:
        raise CaseError(_("Collective claim %(claim)s is no longer open.") % {"claim": claim.number})
    if not cases:
        raise CaseError(_("Choose the cases to add."))
    _check_members(cases)
    total = claim.households + sum(c.households for c in cases)
    note = _("Added to collective claim %(claim)s.") % {"claim": claim.number}
    for case in sorted(cases, key=lambda c: c.pk):
        _member_write(case=case, claim=claim, households=total, actor=actor, note=note)
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.ADDED,
        actor=actor,
        note=", ".join(c.number for c in cases),
        data={"cases": [c.number for c in cases]},
    )
    return claim_sync(claim=claim, actor=actor)


@transaction.atomic
def claim_remove_case(*, claim: CollectiveClaim, case: Case, actor: User, reason: str) -> CollectiveClaim:
    """Take a case out of the claim with a reason: its flag follows its own households again."""
    if case.collective_claim_id != claim.pk:
        raise CaseError(_("Case %(number)s is not in this claim.") % {"number": case.number})
    if not reason.strip():
        raise CaseError(_("Say why the case leaves the claim."))
    note = _("Removed from collective claim %(claim)s: %(reason)s") % {"claim": claim.number, "reason": reason}
    _member_write(case=case, claim=None, households=case.households, actor=actor, note=note)
    ClaimRepresentative.objects.filter(claim=claim, party__case=case).delete()
    ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.REMOVED,
        actor=actor,
        note=f"{case.number}: {reason}",
        is_public=False,
        data={"case": case.number},
    )
    return claim_sync(claim=claim, actor=actor)


def claim_follow_member(*, case: Case, actor: User | None) -> None:
    """A member case changed status (services.cases.case_transition): the claim's status follows."""
    claim = CollectiveClaim.objects.filter(pk=case.collective_claim_id).first()
    if claim is not None:
        claim_status_sync(claim=claim, actor=actor)


def claim_households_changed(*, case: Case, actor: User | None) -> None:
    """A member's households changed (a co-applicant joined, staff corrected them): the claim's
    total and every member's flag follow (services.claims calls this)."""
    claim = CollectiveClaim.objects.get(pk=case.collective_claim_id)
    claim_sync(claim=claim, actor=actor)


# --- Representatives ----------------------------------------------------------------------------


@transaction.atomic
def claim_elect_representative(
    *, claim: CollectiveClaim, party: Party, actor: User, consent_note: str, consented_at: datetime | None = None
) -> ClaimRepresentative:
    """Record a representative (代表) elected among the applicants of the member cases, with how
    they consented; an internal CLAIM event on their case and a claim event."""
    if party.case.collective_claim_id != claim.pk or party.role != Party.Role.APPLICANT:
        raise CaseError(_("A representative is an applicant of one of the claim's cases."))
    if not consent_note.strip():
        raise CaseError(_("Record how the representative consented."))
    if ClaimRepresentative.objects.filter(claim=claim, party=party).exists():
        raise CaseError(_("%(name)s is already a representative.") % {"name": party.name})
    row = ClaimRepresentative.objects.create(
        claim=claim,
        party=party,
        consented_at=consented_at or timezone.now(),
        consent_note=consent_note,
        recorded_by=actor,
    )
    ClaimEvent.objects.create(
        claim=claim, kind=ClaimEvent.Kind.REPRESENTATIVE, actor=actor, note=party.name, data={"party": party.pk}
    )
    return row


# --- Steps applied to every member ----------------------------------------------------------------


@dataclass(frozen=True)
class ClaimStep:
    name: str
    label: str
    allowed: object  # (case) -> bool: the lifecycle's own predicate
    run: object  # (case, actor, data) -> CaseEvent


def _conclude(case: Case, actor: User, d: dict):
    outcome = d.get("outcomes", {}).get(case.pk) or d.get("outcome", "")
    return case_close_with_outcome(
        case=case,
        actor=actor,
        outcome=outcome,
        summary=d.get("summary", ""),
        routes_advised=d.get("routes_advised", ""),
        referral_target=d.get("referral_target", ""),
    )


CLAIM_STEPS = {
    s.name: s
    for s in [
        ClaimStep(
            "accept",
            gettext_lazy("Accept and assign"),
            lifecycle.case_can_accept,
            lambda case, actor, d: lifecycle.case_accept(
                case=case, actor=actor, mediator=d["mediator"], note=d.get("note", "")
            ),
        ),
        ClaimStep(
            "acknowledge",
            gettext_lazy("Acknowledge"),
            lifecycle.case_can_acknowledge,
            lambda case, actor, d: lifecycle.case_acknowledge(case=case, actor=actor),
        ),
        ClaimStep(
            "suspend",
            gettext_lazy("Suspend"),
            lifecycle.case_can_suspend,
            lambda case, actor, d: lifecycle.case_suspend(case=case, actor=actor, reason=d.get("note", "")),
        ),
        ClaimStep(
            "resume",
            gettext_lazy("Resume"),
            lifecycle.case_can_resume,
            lambda case, actor, d: lifecycle.case_resume(case=case, actor=actor, note=d.get("note", "")),
        ),
        ClaimStep(
            "conclude",
            gettext_lazy("Conclude with an outcome per case"),
            lifecycle.case_can_work,
            _conclude,
        ),
        ClaimStep(
            "close",
            gettext_lazy("Close the cases"),
            lifecycle.case_can_close,
            lambda case, actor, d: lifecycle.case_close(case=case, actor=actor, note=d.get("note", "")),
        ),
    ]
}


@dataclass
class ClaimStepResult:
    """What a step did to the members: the cases done, and the cases refused with the reason
    (a lost race: changed by someone else; not possible in its status; or the service's refusal)."""

    step: str
    done: list[Case] = field(default_factory=list)
    refused: list[tuple[Case, str]] = field(default_factory=list)
    lost_races: list[Case] = field(default_factory=list)


@transaction.atomic
def claim_step(
    *, claim: CollectiveClaim, step: str, actor: User, versions: dict[int, int] | None = None, **data
) -> ClaimStepResult:
    """Apply a lifecycle step to every member case:

    1. each case in turn, in its own savepoint, through its lifecycle function (its own event);
       `versions` are the member versions the user saw: a case changed since is refused by the
       lifecycle's stale-write check (a lost race), like one changed between our read and write;
    2. a case whose status does not allow the step is skipped and reported, never hidden;
    3. one claim event lists what was done and refused; "accept" names the claim's mediator;
       the claim's status follows its members.
    """
    spec = CLAIM_STEPS.get(step)
    if spec is None:
        raise CaseError(_("Choose a step."))
    if step == "accept" and data.get("mediator") is None:
        raise CaseError(_("Choose the mediator."))
    if step == "suspend" and not data.get("note", "").strip():
        raise CaseError(_("Say why the case is suspended."))
    result = ClaimStepResult(step=step)
    for case in claim.cases.select_related("area", "mediator").order_by("pk"):
        if versions is not None and case.pk in versions:
            case.version = versions[case.pk]  # the write refuses if the case moved since the page was shown
        if not spec.allowed(case):
            result.refused.append(
                (case, _("not possible in its current state (%(status)s)") % {"status": case.get_status_display()})
            )
            continue
        try:
            with transaction.atomic():
                spec.run(case, actor, data)
        except StaleCase:
            result.lost_races.append(case)
            result.refused.append((case, _("changed by someone else a moment ago, left alone")))
        except CaseError as exc:
            result.refused.append((case, str(exc)))
        else:
            result.done.append(case)
    if step == "accept" and result.done:
        CollectiveClaim.objects.filter(pk=claim.pk).update(mediator=data["mediator"])
        claim.mediator = data["mediator"]
    _claim_event(
        claim=claim,
        kind=ClaimEvent.Kind.STEP,
        actor=actor,
        note=" ".join(filter(None, [str(spec.label), data.get("note", "") or data.get("summary", "")])),
        data={
            "step": step,
            "done": [c.number for c in result.done],
            "refused": [[c.number, reason] for c, reason in result.refused],
        },
    )
    claim_status_sync(claim=claim, actor=actor)
    return result


# --- The claim's meeting and its risk --------------------------------------------------------------


@transaction.atomic
def claim_meeting_create(
    *,
    claim: CollectiveClaim,
    community: Area,
    topic: str,
    scheduled_at: datetime,
    place: str,
    actor: User,
    estate=None,
) -> Meeting:
    """The claim's four-party meeting: every member case on its agenda, and the meeting pointing to
    the claim, so each member's page shows it (selectors.meeting_list_for_case)."""
    members = list(claim.cases.order_by("pk"))
    meeting = meeting_create(
        community=community,
        topic=topic,
        scheduled_at=scheduled_at,
        place=place,
        actor=actor,
        estate=estate,
        cases=members,
        claim=claim,
    )
    _claim_event(
        claim=claim,
        kind=ClaimEvent.Kind.MEETING,
        actor=actor,
        note=_("Four-party meeting on %(date)s at %(place)s")
        % {"date": timezone.localtime(scheduled_at).strftime("%Y-%m-%d %H:%M"), "place": place},
        data={"meeting": meeting.pk},
    )
    return meeting


@transaction.atomic
def claim_set_risk(*, claim: CollectiveClaim, actor: User, risk: str, reason: str) -> CollectiveClaim:
    """Reassess the claim's risk with a reason (an internal claim event); raised to high, the
    subdistrict hears of it at once, as for a new high-risk claim (once per claim: the rows are unique)."""
    if risk not in Case.Risk.values:
        raise CaseError(_("Choose a risk level."))
    if risk == claim.risk:
        raise CaseError(_("The risk level is already “%(risk)s”.") % {"risk": Case.Risk(risk).label})
    if not reason.strip():
        raise CaseError(_("Say why the risk level changes."))
    old = claim.risk
    CollectiveClaim.objects.filter(pk=claim.pk).update(risk=risk)
    claim.risk = risk
    _claim_event(
        claim=claim,
        kind=ClaimEvent.Kind.RISK,
        actor=actor,
        note=reason,
        is_public=False,
        data={"from": old, "to": risk},
    )
    if risk == Case.Risk.HIGH:
        _notify_high_risk(claim)
    return claim


def _notify_high_risk(claim: CollectiveClaim) -> None:
    """The supervisors of the claim's subdistrict hear of a high-risk collective claim at once
    (DESIGN §7): rows of the reminder pipeline, written in this transaction, sent after commit.
    The text (templates/reminders/claim_high_risk.txt) carries the number and the households only."""
    for supervisor in RULES[Rule.CLAIM_HIGH_RISK].recipients(claim):
        channels = [Reminder.Channel.INBOX] + ([Reminder.Channel.SMS] if supervisor.phone else [])
        for channel in channels:
            reminder_create(
                case=None,
                recipient=supervisor,
                rule=Rule.CLAIM_HIGH_RISK,
                period=f"claim-{claim.pk}",
                channel=channel,
                context={"claim": claim.number, "households": claim.households},
            )
