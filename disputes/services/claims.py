"""Claims shared by many households (群体性诉求, DESIGN §9a): a resident joins an open case as a
co-applicant instead of filing anew, and staff correct the number of households. Both write
through the lifecycle (_case_write: refused if the case changed since it was loaded, an event,
the dashboard's counters in the same transaction), and both recompute the collective flag with
the one rule, services.cases.households_collective; a flip is an event of its own."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from disputes.models import Case, CaseEvent, Party
from disputes.services.cases import CaseError, _case_write, case_event_record, households_collective


class NotVerified(CaseError):
    """The account's phone is not verified yet (accounts:phone_verify)."""


def case_can_join(case: Case) -> bool:
    """An open case takes co-applicants until the mediation is over."""
    return case.status in Case.OPEN_STATUSES


def case_can_correct_households(case: Case) -> bool:
    """Until the case is finished, like its risk level."""
    return case.status not in Case.TERMINAL_STATUSES


def _applicant_count(case: Case) -> int:
    return Party.objects.filter(case=case, role=Party.Role.APPLICANT).count()


def _write_households(
    *, case: Case, households: int, actor: User | None, kind: str, note: str, is_public: bool, data: dict
) -> CaseEvent:
    """Write the households and the flag they give; record a COLLECTIVE event when it flips. A
    member of a collective claim takes its flag from the claim's total (services.collective)."""
    data = {**data, "from": case.households, "to": households}
    if case.collective_claim_id:
        event = _case_write(
            case=case,
            fields={"households": households},
            actor=actor,
            kind=kind,
            note=note,
            is_public=is_public,
            data=data,
        )
        from disputes.services.collective import claim_households_changed  # collective builds on this module

        claim_households_changed(case=case, actor=actor)
        return event
    was = case.is_collective
    now_collective = households_collective(households)
    fields = {"households": households, "is_collective": now_collective}
    event = _case_write(case=case, fields=fields, actor=actor, kind=kind, note=note, is_public=is_public, data=data)
    if was != now_collective:
        collective_flag_event(case=case, collective=now_collective, households=households, actor=actor)
    return event


def collective_flag_event(*, case: Case, collective: bool, households: int, actor: User | None) -> None:
    """The event of a case's collective flag flipping (by its own households or its claim's)."""
    case_event_record(
        case=case,
        actor=actor,
        kind=CaseEvent.Kind.COLLECTIVE,
        note=_("Now a collective claim: %(n)s households.") % {"n": households}
        if collective
        else _("No longer a collective claim: %(n)s households.") % {"n": households},
        is_public=False,
        data={"collective": collective, "households": households},
    )


@transaction.atomic
def case_join(*, case: Case, user: User, name: str) -> Party:
    """A resident joins an open case as a co-applicant ("我也遇到这个问题"):

    1. refuse an account without a verified phone (a party is linked to an account only through
       a phone it verified, DESIGN §3), a case that is no longer open, or one the resident is
       already a party to;
    2. add them as an applicant with that phone, linked to their account (they then see the case
       as a party), with their consent to mediation, as a filer gives it;
    3. recount the households (at least one per applicant) and the collective flag, with a public
       JOINED event; refused, with nothing written, if the case changed since it was loaded.
    """
    if not user.has_verified_phone:
        raise NotVerified(_("Verify your mobile number first, then join the case."))
    if not case_can_join(case):
        raise CaseError(_("Case %(number)s no longer takes co-applicants.") % {"number": case.number})
    if Party.objects.filter(case=case, user=user).exists():
        raise CaseError(_("You are already a party to case %(number)s.") % {"number": case.number})
    now = timezone.now()
    party = Party.objects.create(
        case=case,
        role=Party.Role.APPLICANT,
        name=name,
        phone=user.phone,
        user=user,
        consents_to_mediation=True,
        consent_recorded_at=now,
        linked_at=now,
    )
    households = max(case.households, _applicant_count(case))
    _write_households(
        case=case,
        households=households,
        actor=user,
        kind=CaseEvent.Kind.JOINED,
        note=_("A neighbour joined as a co-applicant."),
        is_public=True,
        data={"party": party.pk},
    )
    return party


def households_recount(*, case: Case, actor: User | None) -> CaseEvent | None:
    """After staff add an applicant (services.cases.party_add): at least one household per
    applicant, the flag following; nothing written when the count already covers them."""
    households = max(case.households, _applicant_count(case))
    if households == case.households:
        return None
    return _write_households(
        case=case,
        households=households,
        actor=actor,
        kind=CaseEvent.Kind.HOUSEHOLDS,
        note=_("Recounted: one household per applicant."),
        is_public=False,
        data={},
    )


@transaction.atomic
def case_correct_households(*, case: Case, actor: User, households: int, reason: str) -> CaseEvent:
    """Staff correct the number of households with a reason; the flag follows (an internal event)."""
    if not case_can_correct_households(case):
        raise CaseError(_("Case %(number)s is already finished.") % {"number": case.number})
    if households < 1:
        raise CaseError(_("A case concerns at least one household."))
    if households == case.households:
        raise CaseError(_("The case already counts %(n)s households.") % {"n": households})
    if not reason.strip():
        raise CaseError(_("Say why the number of households changes."))
    return _write_households(
        case=case,
        households=households,
        actor=actor,
        kind=CaseEvent.Kind.HOUSEHOLDS,
        note=reason,
        is_public=False,
        data={},
    )
