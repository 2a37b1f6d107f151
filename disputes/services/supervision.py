"""Supervision (督办): a supervisor orders the mediator of a late case, or of a collective claim, to act."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from disputes.models import Case, CaseEvent, ClaimEvent, CollectiveClaim, Reminder, Rule
from disputes.services.cases import CaseError, case_event_record
from disputes.services.reminders import RULES, reminder_create


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


@transaction.atomic
def claim_supervision_order(*, claim: CollectiveClaim, actor: User, note: str = "") -> ClaimEvent:
    """Order supervision of a collective claim, as of a case (case_supervision_order):

    1. refuse a claim no longer open or without a mediator;
    2. claim today's supervision of the claim: the mediator's inbox row of Rule.CLAIM_SUPERVISION,
       unique per claim and local day (period "claim-<pk>/<date>"), so a double click or a second
       supervisor the same day is refused; email and SMS rows go with it when the mediator has them;
    3. record an internal SUPERVISION event on the claim's timeline.
    The rows are sent after commit (templates/reminders/claim_supervision.txt).
    """
    if not claim.is_open:
        raise CaseError(_("Collective claim %(claim)s is no longer open.") % {"claim": claim.number})
    recipients = RULES[Rule.CLAIM_SUPERVISION].recipients(claim)
    if not recipients:
        raise CaseError(
            _("Collective claim %(claim)s has no mediator yet: assign one first.") % {"claim": claim.number}
        )
    mediator = recipients[0]
    period = f"claim-{claim.pk}/{timezone.localdate().isoformat()}"
    context = {
        "claim_id": claim.pk,
        "claim": claim.number,
        "title": claim.title,
        "supervisor": str(actor),
        "note": note[:500],
    }
    channels = [Reminder.Channel.INBOX]
    channels += [Reminder.Channel.EMAIL] if mediator.email else []
    channels += [Reminder.Channel.SMS] if mediator.phone else []
    for channel in channels:
        row = reminder_create(
            case=None, recipient=mediator, rule=Rule.CLAIM_SUPERVISION, period=period, channel=channel, context=context
        )
        if row is None and channel == Reminder.Channel.INBOX:
            raise CaseError(
                _("Supervision of collective claim %(claim)s was already ordered today.") % {"claim": claim.number}
            )
    return ClaimEvent.objects.create(
        claim=claim,
        kind=ClaimEvent.Kind.SUPERVISION,
        actor=actor,
        note=note or _("Supervision ordered"),
        is_public=False,
        data={"mediator": mediator.pk, "overdue": claim.is_overdue},
    )
