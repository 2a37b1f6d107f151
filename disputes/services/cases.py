"""The case lifecycle: only `case_transition` writes
`Case.status`, and every change of a case goes through `_case_write`, which refuses when another
request changed the case first and records an append-only event."""

import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from disputes import deadlines, sms_notices, stats, uploads
from disputes.models import CASE_TRANSITIONS, Case, CaseEvent, CaseNumberCounter, Evidence, Party
from disputes.services.reminders import event_notify


class CaseError(Exception):
    """A lifecycle step that cannot be done; the message is shown to the user."""


class InvalidTransition(CaseError):
    def __init__(self, old: str, to: str):
        super().__init__(
            _("A case that is “%(old)s” cannot become “%(new)s”.")
            % {"old": Case.Status(old).label, "new": Case.Status(to).label}
        )
        self.old, self.to = old, to


class StaleCase(CaseError):
    def __init__(self, number: str):
        super().__init__(
            _("Case %(number)s was changed by someone else a moment ago. Reload it and try again.")
            % {"number": number}
        )


@dataclass
class PartyData:
    role: str
    name: str
    phone: str = ""
    id_number: str = ""
    address: str = ""
    kind: str = Party.Kind.PERSON
    user: User | None = None


# ---------------------------------------------------------------------------------------------
# The core


@transaction.atomic
def case_transition(
    *,
    case: Case,
    to: str,
    actor: User | None,
    note: str = "",
    is_public: bool = True,
    kind: str = CaseEvent.Kind.STATUS,
    changes: dict | None = None,
    data: dict | None = None,
) -> CaseEvent:
    """Move a case to status `to`: check the move is allowed, stamp the clocks the policy in
    force gives the new status, write the change only if nobody changed the case since it was
    loaded, record the event and notify the people concerned (after commit)."""
    if to not in CASE_TRANSITIONS.get(case.status, ()):
        raise InvalidTransition(case.status, to)
    now = timezone.now()
    S = Case.Status
    fields = {"status": to, "status_changed_at": now}
    if to == S.ASSIGNED and case.resolve_started_at is None:
        fields["resolve_started_at"] = now  # accepted: the resolution clock starts
    elif to == S.IN_MEDIATION and case.status in (S.RESOLVED, S.CLOSED):
        # Reopened: a fresh resolution clock (and its one extension).
        fields.update(resolve_started_at=now, extended=False, follow_up_due_at=None, resolved_as_legacy=False)
    elif to == S.RESOLVED:
        # Read before the stamps below clear legacy_at: "resolved, of which legacy" (the figures).
        fields["resolved_as_legacy"] = deadlines.legacy_on(case, now)
    if case.suspended_at is not None:
        fields.update(_resume_fields(case, now))  # a status change ends a suspension
    fields.update(changes or {})
    fields.update(_stamps(case, fields))
    event = _case_write(case=case, fields=fields, actor=actor, kind=kind, note=note, is_public=is_public, data=data)
    if case.collective_claim_id:
        # A member moved (from the claim or from its own page): the claim's status follows.
        from disputes.services.collective import claim_follow_member  # collective builds on this module

        claim_follow_member(case=case, actor=actor)
    return event


def _stamps(case: Case, fields: dict) -> dict:
    """The clocks (disputes.deadlines.stamps) of the case as `fields` will leave it."""
    after = copy.copy(case)
    for name, value in fields.items():
        if isinstance(value, models.Model) or (value is None and name in ("mediator", "category", "area")):
            setattr(after, f"{name}_id", getattr(value, "pk", None))
        else:
            setattr(after, name, value)
    policy = deadlines.policy_for(category_id=after.category_id, tier=after.tier)
    return deadlines.stamps(after, policy)


@transaction.atomic
def _case_write(
    *, case: Case, fields: dict, actor: User | None, kind: str, note: str, is_public: bool, data: dict | None
) -> CaseEvent:
    now = timezone.now()
    old_status = case.status
    # Conditional UPDATE on the version read with the case: if another request changed the
    # case after we loaded it, no row matches and we refuse rather than overwrite its change.
    moved = Case.objects.filter(pk=case.pk, version=case.version).update(
        **fields, version=F("version") + 1, last_activity_at=now
    )
    if moved != 1:
        raise StaleCase(case.number)
    stats.stats_apply(case=case, changes=fields, kind=kind, data=data)  # dashboard figures, same transaction
    for name, value in fields.items():
        setattr(case, name, value)
    case.version += 1
    case.last_activity_at = now
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        created_at=now,
        old_status=old_status if "status" in fields else "",
        new_status=case.status if "status" in fields else "",
        note=note,
        is_public=is_public,
        data=data or {},
    )
    event_notify(event=event)
    sms_notices.event_sms(event=event)
    return event


def case_event_record(
    *, case: Case, actor: User | None, kind: str, note: str = "", is_public: bool = True, data: dict | None = None
) -> CaseEvent:
    """An event that changes no status (a note, a session, a meeting): still bumps the version and
    the activity clock, so a stale form elsewhere is refused."""
    return _case_write(case=case, fields={}, actor=actor, kind=kind, note=note, is_public=is_public, data=data)


# ---------------------------------------------------------------------------------------------
# Filing


def households_collective(households: int) -> bool:
    """A collective claim (群体性诉求) from settings.COLLECTIVE_HOUSEHOLDS households on: the one rule,
    applied at filing and whenever the households change (disputes.services.claims)."""
    return households >= settings.COLLECTIVE_HOUSEHOLDS


def next_number(counter: type[models.Model], prefix: str, now: datetime) -> str:
    """The next number of the year from a per-year counter table: "<prefix>-<year>-<6 digits>"
    (cases LL, collective claims JT). The counter row is locked by the UPDATE until the
    transaction ends, so concurrent writers get consecutive, distinct numbers (SQLite: the
    IMMEDIATE transaction serialises them)."""
    year = timezone.localtime(now).year
    counter.objects.get_or_create(year=year)
    counter.objects.filter(year=year).update(last=F("last") + 1)
    last = counter.objects.get(year=year).last
    return f"{prefix}-{year}-{last:06d}"


def _next_case_number(now: datetime) -> str:
    return next_number(CaseNumberCounter, "LL", now)


@transaction.atomic
def case_submit(
    *,
    filed_by: User,
    parties: list[PartyData],
    category_id: int,
    area_id: int,
    title: str,
    summary: str,
    request: str,
    estate_id: int | None = None,
    building: str = "",
    address: str = "",
    households: int = 1,
    source: str = Case.Source.ONLINE,
    public_mediation: bool = False,
    consent_sensitive: bool = True,
    idempotency_key=None,
    files: list | None = None,
) -> tuple[Case, bool]:
    """File a case: number it, record the parties and evidence, start the accept clock, write
    the "submitted" event and notify. Returns (case, created).

    The idempotency key of the form makes a double click, a retry or a resubmitted page return
    the case the first request made instead of a second one.
    """
    if idempotency_key is not None:
        existing = Case.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    now = timezone.now()
    policy = deadlines.policy_for(category_id=category_id, tier=Case.Tier.GRID)
    case = Case(
        category_id=category_id,
        area_id=area_id,
        estate_id=estate_id,
        building=building,
        address=address,
        title=title,
        summary=summary,
        request=request,
        households=households,
        is_collective=households_collective(households),
        source=source,
        filed_by=filed_by,
        public_mediation=public_mediation,
        consent_sensitive_at=now if consent_sensitive else None,
        idempotency_key=idempotency_key,
        submitted_at=now,
        status_changed_at=now,
        last_activity_at=now,
    )
    for name, value in deadlines.stamps(case, policy).items():
        setattr(case, name, value)
    case.number = _next_case_number(now)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # The same key committed by a concurrent request between our check and our insert.
        if idempotency_key is None:
            raise
        return Case.objects.get(idempotency_key=idempotency_key), False
    stats.stats_apply(case=case, created=True)  # dashboard figures, same transaction
    Party.objects.bulk_create(
        Party(
            case=case,
            role=p.role,
            kind=p.kind,
            name=p.name,
            phone=p.phone,
            id_number=p.id_number,
            address=p.address,
            user=p.user,
            consents_to_mediation=True if p.role == Party.Role.APPLICANT and p.user == filed_by else None,
            consent_recorded_at=now if p.role == Party.Role.APPLICANT and p.user == filed_by else None,
        )
        for p in parties
    )
    for upload in files or ():
        evidence_attach(case=case, upload=upload, uploaded_by=filed_by)
    event = CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.SUBMITTED, actor=filed_by, created_at=now, new_status=case.status
    )
    event_notify(event=event)
    sms_notices.event_sms(event=event)
    return case, True


def evidence_attach(*, case: Case, upload, uploaded_by: User | None, description: str = "") -> Evidence:
    """Store an upload that disputes.uploads.check_upload has already accepted: a photo without
    its location, with the hashes of the file as uploaded and as stored."""
    upload.seek(0)
    original = upload.read()
    stored = uploads.strip_location(original, upload.content_type)
    return Evidence.objects.create(
        case=case,
        file=ContentFile(stored, name=upload.name) if stored is not original else upload,
        original_name=upload.name[:200],
        content_type=upload.content_type,
        size=len(stored),
        original_sha256=hashlib.sha256(original).hexdigest(),
        stored_sha256=hashlib.sha256(stored).hexdigest(),
        location_removed=stored is not original,
        description=description,
        uploaded_by=uploaded_by,
    )


@transaction.atomic
def case_add_information(*, case: Case, actor: User, text: str, files: list | None = None) -> CaseEvent:
    names = [evidence_attach(case=case, upload=f, uploaded_by=actor).original_name for f in files or ()]
    kind = CaseEvent.Kind.INFO_ADDED if text else CaseEvent.Kind.EVIDENCE_ADDED
    return case_event_record(case=case, actor=actor, kind=kind, note=text, data={"files": names})


# ---------------------------------------------------------------------------------------------
# What can be done to a case now. The lifecycle steps below refuse what these refuse, and the
# workbench (disputes/admin/workbench.py) shows a step's button exactly when its predicate holds:
# each is the move of CASE_TRANSITIONS the step makes, narrowed to the statuses it starts from.

S = Case.Status


def case_can_accept(case: Case) -> bool:
    return case.status == S.SUBMITTED and case.can_move_to(S.ASSIGNED)


def case_can_reject(case: Case) -> bool:
    return case.status == S.SUBMITTED and case.can_move_to(S.REJECTED)


def case_can_acknowledge(case: Case) -> bool:
    return case.status == S.ASSIGNED and case.can_move_to(S.IN_MEDIATION)


def case_can_work(case: Case) -> bool:
    """Sessions, meetings and the like: while the case is accepted and not yet resolved."""
    return case.status in (S.ASSIGNED, S.IN_MEDIATION)


def case_can_note(case: Case) -> bool:
    return case.status not in (S.REJECTED, S.WITHDRAWN)


def case_can_escalate(case: Case) -> bool:
    return case_can_work(case) and case.can_move_to(S.ASSIGNED) and case.tier < Case.Tier.DISTRICT


def case_can_extend(case: Case) -> bool:
    return case_can_work(case) and not case.extended


def case_can_resolve(case: Case) -> bool:
    return case.can_move_to(S.RESOLVED)


def case_can_terminate(case: Case) -> bool:
    return case_can_work(case) and case.can_move_to(S.CLOSED)


def case_can_close(case: Case) -> bool:
    return case.status == S.RESOLVED and case.can_move_to(S.CLOSED)


def case_can_reopen(case: Case) -> bool:
    return case.status in (S.RESOLVED, S.CLOSED) and case.can_move_to(S.IN_MEDIATION)


def _require(allowed: bool, case: Case, to: str) -> None:
    if not allowed:
        raise InvalidTransition(case.status, to)


# ---------------------------------------------------------------------------------------------
# Lifecycle steps: each checks its own inputs and calls case_transition.


def case_accept(*, case: Case, actor: User, mediator: User, note: str = "") -> CaseEvent:
    _require(case_can_accept(case), case, S.ASSIGNED)
    return case_transition(
        case=case,
        to=Case.Status.ASSIGNED,
        actor=actor,
        note=note,
        kind=CaseEvent.Kind.ASSIGNED,
        changes={"mediator": mediator, "accepted_at": timezone.now()},
        data={"mediator": str(mediator)},
    )


def case_reject(*, case: Case, actor: User, reason: str, advice: str) -> CaseEvent:
    if not reason.strip() or not advice.strip():
        raise CaseError(_("Give the reason and advise the applicant of other routes."))
    _require(case_can_reject(case), case, S.REJECTED)
    return case_transition(
        case=case,
        to=Case.Status.REJECTED,
        actor=actor,
        note=reason,
        changes={
            "rejection_reason": reason,
            "rejection_advice": advice,
            "outcome": Case.Outcome.REJECTED,
            "closed_at": timezone.now(),
        },
    )


def case_acknowledge(*, case: Case, actor: User) -> CaseEvent:
    if case.mediator_id and case.mediator_id != actor.pk and not actor.is_supervisor:
        raise CaseError(_("Only the assigned mediator can acknowledge this case."))
    _require(case_can_acknowledge(case), case, S.IN_MEDIATION)
    return case_transition(
        case=case,
        to=Case.Status.IN_MEDIATION,
        actor=actor,
        changes={"acknowledged_at": timezone.now(), "mediator": case.mediator or actor},
    )


def case_reassign(*, case: Case, actor: User, mediator: User, note: str = "") -> CaseEvent:
    """A new mediator at the same tier; they acknowledge again."""
    return case_transition(
        case=case,
        to=Case.Status.ASSIGNED,
        actor=actor,
        note=note,
        kind=CaseEvent.Kind.ASSIGNED,
        is_public=True,
        changes={"mediator": mediator},
        data={"mediator": str(mediator)},
    )


def case_escalate(*, case: Case, actor: User, reason: str, mediator: User | None = None) -> CaseEvent:
    """Up one tier; the case keeps its number and lands in the queue of the tier above."""
    if not reason.strip():
        raise CaseError(_("Say why the case is escalated."))
    if case.tier >= Case.Tier.DISTRICT:
        raise CaseError(_("The case is already handled at the highest tier."))
    _require(case_can_escalate(case), case, S.ASSIGNED)
    tier = case.tier + 1
    return case_transition(
        case=case,
        to=Case.Status.ASSIGNED,
        actor=actor,
        note=reason,
        kind=CaseEvent.Kind.ESCALATED,
        changes={"tier": tier, "mediator": mediator},
        data={"tier": tier},
    )


def case_extend(*, case: Case, actor: User, consent_note: str) -> CaseEvent:
    """The one extension of the resolution deadline, with both parties' recorded consent."""
    if not case_can_work(case):
        raise CaseError(_("Only a case in mediation can have its deadline extended."))
    if case.extended:
        raise CaseError(_("The deadline of this case has already been extended once."))
    if not consent_note.strip():
        raise CaseError(_("Record how both parties consented to the extension."))
    fields = {"extended": True}
    fields.update(_stamps(case, fields))
    resolve_due_at = fields["resolve_due_at"]
    return _case_write(
        case=case,
        fields=fields,
        actor=actor,
        kind=CaseEvent.Kind.EXTENDED,
        note=consent_note,
        is_public=True,
        data={"resolve_due_at": resolve_due_at.isoformat()},
    )


RESOLVING_OUTCOMES = (Case.Outcome.WRITTEN_AGREEMENT, Case.Outcome.ORAL_AGREEMENT, Case.Outcome.RECONCILED)


def reconcile_allowed(case: Case) -> bool:
    """The parties settled it between themselves (和解) while in mediation: case_resolve, reconciled."""
    return case.status == Case.Status.IN_MEDIATION


def case_resolve(*, case: Case, actor: User, outcome: str, summary: str) -> CaseEvent:
    if outcome not in RESOLVING_OUTCOMES:
        raise CaseError(_("A case is resolved by an agreement or by reconciliation."))
    if not summary.strip():
        raise CaseError(_("Write a closing summary."))
    return case_transition(
        case=case,
        to=Case.Status.RESOLVED,
        actor=actor,
        note=summary,
        changes={"outcome": outcome, "outcome_summary": summary, "resolved_at": timezone.now()},
    )


def case_terminate(*, case: Case, actor: User | None, routes_advised: str, note: str = "") -> CaseEvent:
    """Mediation ends without agreement (or a party refuses it); the routes advised are recorded."""
    if not routes_advised.strip():
        raise CaseError(_("Record which other routes (arbitration, administrative, court) the parties were told of."))
    _require(case_can_terminate(case), case, S.CLOSED)
    now = timezone.now()
    return case_transition(
        case=case,
        to=Case.Status.CLOSED,
        actor=actor,
        note=note or routes_advised,
        changes={
            "outcome": Case.Outcome.TERMINATED,
            "routes_advised": routes_advised,
            "outcome_summary": note,
            "closed_at": now,
        },
    )


def refer_allowed(case: Case) -> bool:
    """A case being handled can be referred (court, arbitration, a department, the police): as
    it can be terminated."""
    return case_can_terminate(case)


def case_refer(*, case: Case, actor: User, target: str, note: str = "") -> CaseEvent:
    _require(refer_allowed(case), case, S.CLOSED)
    if not target.strip():
        raise CaseError(_("Say where the case is referred to."))
    return case_transition(
        case=case,
        to=Case.Status.CLOSED,
        actor=actor,
        note=note or target,
        changes={
            "outcome": Case.Outcome.REFERRED,
            "referral_target": target,
            "outcome_summary": note,
            "closed_at": timezone.now(),
        },
    )


def case_close(*, case: Case, actor: User, note: str = "") -> CaseEvent:
    """Close a resolved case after its follow-up."""
    _require(case_can_close(case), case, S.CLOSED)
    return case_transition(
        case=case, to=Case.Status.CLOSED, actor=actor, note=note, changes={"closed_at": timezone.now()}
    )


def case_withdraw(*, case: Case, actor: User, reason: str = "") -> CaseEvent:
    return case_transition(
        case=case,
        to=Case.Status.WITHDRAWN,
        actor=actor,
        note=reason,
        changes={"outcome": Case.Outcome.WITHDRAWN, "closed_at": timezone.now()},
    )


# ---------------------------------------------------------------------------------------------
# Suspension (DESIGN §4): the clocks stop, and resuming adds the suspended time to them.


def case_can_suspend(case: Case) -> bool:
    """Whether the "suspend" step is open now (the workbench and the admin ask this)."""
    return case.status in Case.SUSPENDABLE_STATUSES and case.suspended_at is None


def case_can_resume(case: Case) -> bool:
    return case.suspended_at is not None and case.status in Case.RUNNING_STATUSES


def case_suspend(*, case: Case, actor: User, reason: str) -> CaseEvent:
    """Stop the clocks of a case in mediation (awaiting an appraisal, a party in hospital): its
    deadlines are neither due soon nor overdue nor legacy while suspended (grey badge)."""
    if not case_can_suspend(case):
        raise CaseError(_("Only a case in mediation that is not already suspended can be suspended."))
    if not reason.strip():
        raise CaseError(_("Say why the case is suspended."))
    now = timezone.now()
    return _case_write(
        case=case,
        fields={"suspended_at": now},
        actor=actor,
        kind=CaseEvent.Kind.SUSPENDED,
        note=reason,
        is_public=True,
        data={"suspended_at": now.isoformat()},
    )


def case_resume(*, case: Case, actor: User, note: str = "") -> CaseEvent:
    """Restart the clocks: every deadline and the legacy date move on by the time suspended."""
    if not case_can_resume(case):
        raise CaseError(_("The case is not suspended."))
    now = timezone.now()
    fields = _resume_fields(case, now)
    fields.update(_stamps(case, fields))
    days = (now - case.suspended_at).days
    return _case_write(
        case=case,
        fields=fields,
        actor=actor,
        kind=CaseEvent.Kind.RESUMED,
        note=note,
        is_public=True,
        data={
            "suspended_days": days,
            "next_due_at": fields["next_due_at"].isoformat() if fields["next_due_at"] else "",
        },
    )


def _resume_fields(case: Case, now: datetime) -> dict:
    paused = now - case.suspended_at
    return {
        "suspended_at": None,
        "suspended_total": case.suspended_total + paused,
        "resolve_started_at": case.resolve_started_at + paused if case.resolve_started_at else None,
    }


def case_reopen(*, case: Case, actor: User, reason: str) -> CaseEvent:
    if not reason.strip():
        raise CaseError(_("Say why the case is reopened."))
    _require(case_can_reopen(case), case, S.IN_MEDIATION)
    return case_transition(
        case=case,
        to=Case.Status.IN_MEDIATION,
        actor=actor,
        note=reason,
        changes={"outcome": "", "resolved_at": None, "closed_at": None},
    )


@transaction.atomic
def party_record_consent(*, party: Party, consents: bool, actor: User, note: str = "") -> CaseEvent:
    """Record whether a party agrees to mediation. A clear refusal ends it (People's Mediation
    Law Art. 17): a submitted case is not accepted, an accepted one is terminated."""
    case = party.case
    Party.objects.filter(pk=party.pk).update(consents_to_mediation=consents, consent_recorded_at=timezone.now())
    if consents:
        return case_event_record(
            case=case, actor=actor, kind=CaseEvent.Kind.CONSENT, note=note, data={"party": party.pk, "consents": True}
        )
    routes = _(
        "Mediation is voluntary and a party declined it. The parties may apply for arbitration, ask the "
        "competent department to handle the matter, or bring a lawsuit in court."
    )
    if case.status == Case.Status.SUBMITTED:
        return case_reject(case=case, actor=actor, reason=note or _("A party declined mediation."), advice=routes)
    if case.status in (Case.Status.ASSIGNED, Case.Status.IN_MEDIATION):
        return case_terminate(
            case=case, actor=actor, routes_advised=routes, note=note or _("A party declined mediation.")
        )
    raise CaseError(_("Mediation of this case has already ended."))


PARTY_DETAIL_FIELDS = ("name", "phone", "id_number", "address")


@transaction.atomic
def party_correct(*, party: Party, actor: User, **details) -> Party:
    """Correct a party's name or details (the applicant may have typed "楼上502住户" for the
    respondent): an internal event records what was before, and the print uses the new name."""
    unknown = set(details) - set(PARTY_DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"party_correct: unknown fields {sorted(unknown)}")
    if "name" in details and not details["name"].strip():
        raise CaseError(_("A party needs a name."))
    changed = {k: v for k, v in details.items() if getattr(party, k) != v}
    if not changed:
        return party
    before = {k: getattr(party, k) for k in changed}
    Party.objects.filter(pk=party.pk).update(**changed)
    for name, value in changed.items():
        setattr(party, name, value)
    case_event_record(
        case=party.case,
        actor=actor,
        kind=CaseEvent.Kind.NOTE,
        note=_("Party details corrected: %(name)s") % {"name": party.name},
        is_public=False,
        data={"party": party.pk, "before": before, "fields": sorted(changed)},
    )
    return party


@transaction.atomic
def party_add(*, case: Case, actor: User, data: PartyData) -> Party:
    """Add a party staff found out about (a third party, a second respondent), with an event."""
    if not case_can_note(case):
        raise CaseError(_("Case %(number)s is already finished.") % {"number": case.number})
    if not data.name.strip():
        raise CaseError(_("A party needs a name."))
    party = Party.objects.create(
        case=case,
        role=data.role,
        kind=data.kind,
        name=data.name,
        phone=data.phone,
        id_number=data.id_number,
        address=data.address,
    )
    case_event_record(
        case=case,
        actor=actor,
        kind=CaseEvent.Kind.NOTE,
        note=_("Party added: %(role)s %(name)s") % {"role": party.get_role_display(), "name": party.name},
        is_public=True,
        data={"party": party.pk},
    )
    if party.role == Party.Role.APPLICANT:
        from disputes.services.claims import households_recount  # claims builds on this module

        households_recount(case=case, actor=actor)
    return party
