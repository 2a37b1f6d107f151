"""Who hears about what, and how a message is sent.

Messages are rows (Reminder) written in the same transaction as their cause; the send task is
enqueued only after commit. If the broker is down the row waits and the periodic dispatch sends
it, so nothing is lost and the request never waits on Redis.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from disputes.models import Case, CaseEvent, InboxMessage, Reminder

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def event_recipients(event: CaseEvent) -> list:
    """Parties with an account hear about public events; the mediator hears about every event."""
    case = event.case
    people = []
    if event.is_public:
        people += [p.user for p in case.parties.select_related("user") if p.user_id]
    if case.mediator_id:
        people.append(case.mediator)
    seen, result = set(), []
    for person in people:
        if person.pk not in seen and person.pk != event.actor_id and person.is_active:
            seen.add(person.pk)
            result.append(person)
    return result


def event_notify(*, event: CaseEvent) -> None:
    """Inbox message now, email row for the task (both once per event and recipient)."""
    for person in event_recipients(event):
        with translation.override(person.language or settings.LANGUAGE_CODE):
            subject, body = _render_event(event)
        InboxMessage.objects.get_or_create(
            recipient=person,
            source_key=f"event:{event.pk}",
            defaults={"case": event.case, "subject": subject, "body": body},
        )
        if person.email:
            reminder_create(
                case=event.case, recipient=person, rule="event", period=str(event.pk), channel=Reminder.Channel.EMAIL
            )


def _render_event(event: CaseEvent) -> tuple[str, str]:
    context = {"event": event, "case": event.case}
    subject = render_to_string("emails/case_event_subject.txt", context).strip()
    body = render_to_string("emails/case_event_body.txt", context).strip()
    return subject, body


def reminder_create(*, case: Case | None, recipient, rule: str, period: str, channel: str, **extra) -> Reminder | None:
    """Create the row unless it exists (unique per case, rule, period, recipient, channel) and
    enqueue its send after commit. Returns None when it already existed."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                case=case, recipient=recipient, rule=rule, period=period, channel=channel, **extra
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: enqueue_send(reminder.pk))
    return reminder


def enqueue_send(reminder_id: int) -> None:
    """Publish a send message; a broker failure is logged, not raised: the row stays pending
    and the periodic dispatch sends it."""
    from disputes.tasks import reminder_send_task

    try:
        reminder_send_task.apply_async(args=[reminder_id], retry=False)
    except Exception as exc:  # kombu raises several types for a broker that is down or hangs
        logger.warning("broker unavailable, reminder %s left for the dispatch: %s", reminder_id, exc)


def reminder_send(*, reminder_id: int) -> bool:
    """Claim the row, send it, mark it sent. Safe to run twice: only one claim succeeds."""
    claimed = Reminder.objects.filter(pk=reminder_id, state=Reminder.State.PENDING).update(
        state=Reminder.State.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if claimed != 1:
        return False  # sent, cancelled, or another worker has it
    reminder = Reminder.objects.select_related("case", "recipient").get(pk=reminder_id)
    try:
        with translation.override(reminder.recipient.language or settings.LANGUAGE_CODE):
            _deliver(reminder)
    except Exception as exc:
        state = Reminder.State.FAILED if reminder.attempts >= MAX_ATTEMPTS else Reminder.State.PENDING
        Reminder.objects.filter(pk=reminder_id).update(state=state, last_error=str(exc)[:2000])
        raise
    Reminder.objects.filter(pk=reminder_id).update(state=Reminder.State.SENT, sent_at=timezone.now())
    return True


def _deliver(reminder: Reminder) -> None:
    if reminder.rule == "event":
        event = CaseEvent.objects.select_related("case", "actor").get(pk=int(reminder.period))
        subject, body = _render_event(event)
    else:
        subject, body = reminder.subject, reminder.body
    if reminder.channel == Reminder.Channel.EMAIL:
        message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [reminder.recipient.email])
        message.send()
    elif reminder.channel == Reminder.Channel.INBOX:
        InboxMessage.objects.get_or_create(
            recipient=reminder.recipient,
            source_key=f"reminder:{reminder.pk}",
            defaults={"case": reminder.case, "subject": subject, "body": body},
        )
    else:
        from disputes.sms import send_sms

        send_sms(phone=reminder.recipient.phone or "", text=f"{subject}\n{body}")
