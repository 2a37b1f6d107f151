"""Closure (DESIGN §6): the mediation agreement and its signatures, judicial confirmation, the
closing outcome (through the lifecycle service) and follow-up visits and ratings."""

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import User
from disputes import deadlines
from disputes.models import Agreement, AgreementSignature, Case, CaseEvent, FollowUp, Party
from disputes.models.closure import confirmation_window_end, start_of_day
from disputes.services.cases import (
    CaseError,
    case_can_resolve,
    case_close,
    case_event_record,
    case_refer,
    case_reopen,
    case_resolve,
    case_terminate,
)

# What can be edited until the agreement takes effect: its dates, the Art. 34 answers, the Art. 35
# contents (Agreement.REQUIRED_CONTENTS), the oral content and the scan.
AGREEMENT_TEXT_FIELDS = (
    "drafted_on",
    "reached_on",
    "written_requested",
    "settles_rights",
    *Agreement.REQUIRED_CONTENTS,
    "oral_content",
    "scan",
)
CONFIRMATION_FIELDS = (
    "confirms",
    "confirmation_wanted",
    "confirmation_applied_at",
    "court",
    "court_case_number",
    "confirmation_result",
)


# --- The agreement ----------------------------------------------------------------------------


def parties_details_for(case: Case) -> str:
    """The parties' basic details as the agreement prints them, drafted from the case's parties."""
    lines = []
    for party in case.parties.all():
        parts = [f"{party.get_role_display()}: {party.name}"]
        if party.address:
            parts.append(party.address)
        lines.append(_("; ").join(parts))
    return "\n".join(lines)


def _check(agreement: Agreement, *, only: tuple[str, ...] = ()) -> None:
    # The rules live on the model (Agreement.problems), where the admin form reads them too.
    problems = agreement.problems()
    if only:
        problems = {k: v for k, v in problems.items() if k in only}
    if problems:
        raise CaseError(" ".join(str(p) for p in problems.values()))


# What can be done now (the workbench's buttons ask the same predicates as the services below).
# They read `case.agreement`: load the case with select_related("agreement") to ask without a query.


def case_agreement(case: Case) -> Agreement | None:
    try:
        return case.agreement
    except Agreement.DoesNotExist:
        return None


def agreement_can_draft(case: Case) -> bool:
    return case.status == Case.Status.IN_MEDIATION and case_agreement(case) is None


def agreement_can_sign(case: Case) -> bool:
    agreement = case_agreement(case)
    return agreement is not None and agreement.kind == Agreement.Kind.WRITTEN and not agreement.is_effective


def agreement_can_print(case: Case) -> bool:
    agreement = case_agreement(case)
    return agreement is not None and agreement.kind == Agreement.Kind.WRITTEN


def case_can_resolve_by_agreement(case: Case) -> bool:
    """Resolved by its agreement once that has taken effect (a reconciliation is its own step)."""
    agreement = case_agreement(case)
    return case_can_resolve(case) and agreement is not None and agreement.is_effective


def follow_up_can_record(case: Case) -> bool:
    return case.status in (Case.Status.RESOLVED, Case.Status.CLOSED)


@transaction.atomic
def agreement_create(*, case: Case, actor: User, kind: str = Agreement.Kind.WRITTEN, **fields) -> Agreement:
    """Draft the agreement of a case in mediation; an oral one is recorded and takes effect on the
    day it was reached (People's Mediation Law Art. 30)."""
    if case.status != Case.Status.IN_MEDIATION:
        raise CaseError(_("An agreement is drafted while the case is in mediation."))
    if Agreement.objects.filter(case=case).exists():
        raise CaseError(_("This case already has an agreement."))
    fields.setdefault("parties_details", parties_details_for(case))
    agreement = Agreement(case=case, kind=kind, created_by=actor, **fields)
    _check(agreement)
    agreement.save()
    if kind == Agreement.Kind.ORAL:
        _agreement_take_effect(agreement=agreement, actor=actor, effective_on=agreement.reached_on)
    return agreement


@transaction.atomic
def agreement_update(*, agreement: Agreement, actor: User, **fields) -> Agreement:
    """Edit the text (only before it takes effect) or the judicial confirmation details."""
    text = {k: v for k, v in fields.items() if k in AGREEMENT_TEXT_FIELDS}
    confirmation = {k: v for k, v in fields.items() if k in CONFIRMATION_FIELDS}
    unknown = set(fields) - set(text) - set(confirmation)
    if unknown:
        raise TypeError(f"agreement_update: unknown fields {sorted(unknown)}")
    changed_text = {k: v for k, v in text.items() if getattr(agreement, k) != v}
    if changed_text and agreement.is_effective and set(changed_text) != {"scan"}:
        raise CaseError(_("The agreement has taken effect: its text can no longer be changed."))
    for name, value in {**changed_text, **confirmation}.items():
        setattr(agreement, name, value)
    # Recording the court application on an older agreement does not re-judge its text.
    _check(agreement, only=() if changed_text else ("confirms", "confirmation_wanted"))
    agreement.save(update_fields=[*changed_text, *confirmation] or None)
    return agreement


def agreement_missing_signers(agreement: Agreement) -> list[str]:
    """Who still has to sign: every party of the case, the mediator and the committee seal."""
    signed = list(agreement.signatures.all())
    signed_parties = {s.party_id for s in signed if s.signer == AgreementSignature.Signer.PARTY}
    signed_kinds = {s.signer for s in signed}
    missing = [p.name for p in agreement.case.parties.all() if p.pk not in signed_parties]
    for kind in (AgreementSignature.Signer.MEDIATOR, AgreementSignature.Signer.COMMITTEE_SEAL):
        if kind not in signed_kinds:
            missing.append(str(kind.label))
    return missing


@transaction.atomic
def agreement_sign(
    *,
    agreement: Agreement,
    signer: str,
    actor: User,
    signed_on: date,
    party: Party | None = None,
) -> AgreementSignature:
    """Record one signature (or the seal) with the date written beside it: not in the future, not
    before the agreement. When the last one is in, the agreement takes effect on the latest date."""
    agreement = Agreement.objects.select_for_update().select_related("case").get(pk=agreement.pk)
    if agreement.kind != Agreement.Kind.WRITTEN:
        raise CaseError(_("An oral agreement is not signed."))
    if agreement.is_effective:
        raise CaseError(_("The agreement has already taken effect."))
    if signer == AgreementSignature.Signer.PARTY:
        if party is None or party.case_id != agreement.case_id:
            raise CaseError(_("This person is not a party of the case."))
    else:
        party = None
    signature = AgreementSignature(
        agreement=agreement, signer=signer, party=party, signed_on=signed_on, recorded_by=actor
    )
    if problem := signature.date_problem(agreement):
        raise CaseError(problem)
    try:
        with transaction.atomic():
            signature.save()
    except IntegrityError:
        raise CaseError(_("This signature has already been recorded.")) from None
    if not agreement_missing_signers(agreement):
        last = max(agreement.signatures.values_list("signed_on", flat=True))
        _agreement_take_effect(agreement=agreement, actor=actor, effective_on=last)
    return signature


def _check_date(when: datetime, *, not_before: datetime | None, what: str) -> None:
    """A date entered for something that happened: not in the future, not before the case allows."""
    if when > timezone.now() + timedelta(minutes=5):
        raise CaseError(_("%(what)s cannot be dated in the future.") % {"what": what})
    if not_before is not None and timezone.localdate(when) < timezone.localdate(not_before):
        raise CaseError(
            _("%(what)s cannot be dated before %(date)s.")
            % {"what": what, "date": formats.date_format(timezone.localtime(not_before), "DATE_FORMAT")}
        )


def _agreement_take_effect(*, agreement: Agreement, actor: User, effective_on: date) -> None:
    """A written agreement takes effect on the date of its last signature or seal, an oral one on
    the day it was reached (Art. 29 ¶2, Art. 30); the confirmation window runs from that day."""
    agreement.effective_at = start_of_day(effective_on)
    fields = ["effective_at"]
    if agreement.kind == Agreement.Kind.WRITTEN:
        # Art. 33: the parties may apply for judicial confirmation within 30 days of effect.
        policy = deadlines.policy_for(category_id=agreement.case.category_id, tier=agreement.case.tier)
        agreement.confirmation_window_ends_at = confirmation_window_end(
            effective_on=effective_on, days=policy.confirmation_days
        )
        fields.append("confirmation_window_ends_at")
    agreement.save(update_fields=fields)
    case = agreement.case
    case.refresh_from_db()
    note = _("The %(kind)s took effect on %(date)s.") % {
        "kind": agreement.get_kind_display(),
        "date": formats.date_format(effective_on, "DATE_FORMAT"),
    }
    case_event_record(
        case=case, actor=actor, kind=CaseEvent.Kind.AGREEMENT, note=note, data={"agreement": agreement.pk}
    )


# --- The closing outcome ----------------------------------------------------------------------


def case_close_with_outcome(
    *, case: Case, actor: User, outcome: str, summary: str = "", routes_advised: str = "", referral_target: str = ""
) -> CaseEvent:
    """One entry point for every closing outcome of DESIGN §6, each through its lifecycle step.

    - written/oral agreement: the case's agreement of that kind must have taken effect;
    - reconciled: a closing summary;
    - terminated: the routes advised; referred: where to.
    """
    Out = Case.Outcome
    if outcome in (Out.WRITTEN_AGREEMENT, Out.ORAL_AGREEMENT):
        kind = Agreement.Kind.WRITTEN if outcome == Out.WRITTEN_AGREEMENT else Agreement.Kind.ORAL
        agreement = Agreement.objects.filter(case=case, kind=kind).first()
        if agreement is None or not agreement.is_effective:
            raise CaseError(_("Record the agreement and let it take effect before closing with it."))
        return case_resolve(case=case, actor=actor, outcome=outcome, summary=summary)
    if outcome == Out.RECONCILED:
        return case_resolve(case=case, actor=actor, outcome=outcome, summary=summary)
    if outcome == Out.TERMINATED:
        return case_terminate(case=case, actor=actor, routes_advised=routes_advised, note=summary)
    if outcome == Out.REFERRED:
        return case_refer(case=case, actor=actor, target=referral_target, note=summary)
    raise CaseError(_("Choose how the case ends."))


# --- Follow-up visits and ratings ---------------------------------------------------------------


def _suggests_reopening(*, satisfaction: str, performing: str) -> bool:
    return satisfaction == FollowUp.Satisfaction.DISSATISFIED or performing == FollowUp.Performing.NO


@transaction.atomic
def follow_up_record(
    *,
    case: Case,
    actor: User,
    method: str,
    satisfaction: str,
    performing: str = "",
    visited_at: datetime | None = None,
    new_risk: str = "",
    comment: str = "",
    close_case: bool = False,
) -> FollowUp:
    """A staff follow-up visit of a resolved or closed case: an internal FOLLOW_UP event (the new
    risk is for staff), and the case closes if asked and still resolved."""
    if not follow_up_can_record(case):
        raise CaseError(_("A follow-up visit is made after the case is resolved."))
    visited_at = visited_at or timezone.now()
    _check_date(visited_at, not_before=case.resolved_at, what=_("The visit"))
    follow_up = FollowUp.objects.create(
        case=case,
        source=FollowUp.Source.STAFF,
        visited_at=visited_at,
        method=method,
        performing=performing,
        satisfaction=satisfaction,
        new_risk=new_risk,
        comment=comment,
        by=actor,
        reopen_suggested=_suggests_reopening(satisfaction=satisfaction, performing=performing),
    )
    case_event_record(
        case=case,
        actor=actor,
        kind=CaseEvent.Kind.FOLLOW_UP,
        note=_("Follow-up (%(method)s): %(satisfaction)s")
        % {"method": follow_up.get_method_display(), "satisfaction": follow_up.get_satisfaction_display()},
        is_public=False,
        data={"follow_up": follow_up.pk, "reopen_suggested": follow_up.reopen_suggested},
    )
    if close_case and case.status == Case.Status.RESOLVED and not follow_up.reopen_suggested:
        case_close(case=case, actor=actor, note=_("Closed after the follow-up visit."))
    return follow_up


@transaction.atomic
def follow_up_rate_by_resident(
    *, case: Case, user: User, satisfaction: str, performing: str = "", comment: str = ""
) -> FollowUp:
    """A party rates the outcome online: once per party and case, after resolution."""
    party = Party.objects.filter(case=case, user=user).order_by("pk").first()
    if party is None:
        raise CaseError(_("Only a party of the case can rate it."))
    if case.status not in (Case.Status.RESOLVED, Case.Status.CLOSED):
        raise CaseError(_("The case can be rated once it is resolved."))
    if satisfaction not in FollowUp.Satisfaction.values:
        raise CaseError(_("Choose how satisfied you are."))
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(
                case=case,
                source=FollowUp.Source.RESIDENT,
                party=party,
                method=FollowUp.Method.ONLINE,
                satisfaction=satisfaction,
                performing=performing,
                comment=comment,
                by=user,
                reopen_suggested=_suggests_reopening(satisfaction=satisfaction, performing=performing),
            )
    except IntegrityError:
        raise CaseError(_("You have already rated this case.")) from None
    case_event_record(
        case=case,
        actor=user,
        kind=CaseEvent.Kind.RATING,
        note=_("Rated by a party: %(satisfaction)s") % {"satisfaction": follow_up.get_satisfaction_display()},
        data={"follow_up": follow_up.pk, "reopen_suggested": follow_up.reopen_suggested},
    )
    return follow_up


@transaction.atomic
def follow_up_reopen(*, follow_up: FollowUp, actor: User, reason: str = "") -> CaseEvent:
    """Reopen the case a follow-up found wanting: the same case, back in mediation, as an event."""
    claimed = FollowUp.objects.filter(pk=follow_up.pk, reopened_at__isnull=True).update(reopened_at=timezone.now())
    if claimed != 1:
        raise CaseError(_("The case was already reopened after this follow-up."))
    case = Case.objects.get(pk=follow_up.case_id)
    reason = reason or _("Reopened after a follow-up: %(satisfaction)s, %(performing)s.") % {
        "satisfaction": follow_up.get_satisfaction_display(),
        "performing": follow_up.get_performing_display() or "-",
    }
    return case_reopen(case=case, actor=actor, reason=reason)
