"""Mediation session records (调解笔录)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from disputes.models import Case, CaseEvent, MediationSession
from disputes.services.cases import case_event_record


@transaction.atomic
def mediation_session_record(
    *,
    case: Case,
    actor: User,
    held_at,
    attendees: str,
    content: str,
    place: str = "",
    agreed: str = "",
    scan=None,
) -> MediationSession:
    """Store the record and write an internal SESSION event on the case's timeline (which also
    refuses the write if the case changed since it was loaded, and notifies the mediator)."""
    session = MediationSession.objects.create(
        case=case,
        held_at=held_at,
        place=place,
        attendees=attendees,
        content=content,
        agreed=agreed,
        scan=scan or "",
        recorded_by=actor,
    )
    case_event_record(
        case=case,
        actor=actor,
        kind=CaseEvent.Kind.SESSION,
        note=_("Mediation session held on %(date)s.") % {"date": f"{timezone.localtime(held_at):%Y-%m-%d}"},
        is_public=False,
        data={"session": session.pk},
    )
    return session
