"""Supervision (督办): a supervisor orders the mediator of a late case to act."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from disputes.models import Case, CaseEvent, Reminder, Rule
from disputes.services.cases import CaseError, case_event_record
from disputes.services.reminders import reminder_create


@transaction.atomic
def case_supervision_order(*, case: Case, actor: User, note: str = "") -> CaseEvent:
    """Order supervision of a case:

    1. claim today's supervision of the case (one Reminder row per case and day: a double click or
       a second supervisor the same day is refused);
    2. record an internal SUPERVISION event (its notification gives the mediator an inbox message
       and an email);
    3. the claimed row is an SMS to the mediator, sent after commit.
    """
    if case.status in Case.TERMINAL_STATUSES:
        raise CaseError(_("Case %(number)s is already finished.") % {"number": case.number})
    if case.mediator_id is None:
        raise CaseError(_("Case %(number)s has no mediator yet: assign one first.") % {"number": case.number})
    mediator = case.mediator
    subject = _("Supervision ordered: case %(number)s") % {"number": case.number}
    body = _("%(supervisor)s has ordered supervision of case %(number)s (%(title)s). Deal with it now.") % {
        "supervisor": actor,
        "number": case.number,
        "title": case.title,
    }
    if note:
        body = f"{body}\n{note}"
    reminder = reminder_create(
        case=case,
        recipient=mediator,
        rule=Rule.SUPERVISION,
        period=timezone.localdate().isoformat(),
        channel=Reminder.Channel.SMS,
        subject=subject,
        body=body,
    )
    if reminder is None:
        raise CaseError(_("Supervision of case %(number)s was already ordered today.") % {"number": case.number})
    return case_event_record(
        case=case,
        actor=actor,
        kind=CaseEvent.Kind.SUPERVISION,
        note=note or subject,
        is_public=False,
        data={"mediator": mediator.pk, "overdue": case.is_overdue},
    )
