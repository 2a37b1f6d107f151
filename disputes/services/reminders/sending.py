"""How a reminder is sent (the rules — what, to whom, whether still due, which template — are in
rules.py).

Messages are rows (Reminder) written in the same transaction as their cause; the send task is
enqueued only after commit. If the broker is down the row waits and the periodic dispatch sends
it, so nothing is lost and the request never waits on Redis.

Sending is claim-then-send (STYLE §5), in batches:

1. one conditional UPDATE claims the pending rows of the batch and stamps them with a fresh
   claim token; the rows this task owns are read back by that token;
2. each row is checked again (a case resolved since the scan cancels its overdue reminder);
3. each row is handed to the mail server (or SMS gateway) and then marked SENT by one
   conditional UPDATE that commits on its own (one round trip; per-row, not per-batch, so a
   crash loses at most the message in hand). A crash *before* the hand-off leaves the row in
   SENDING: the dispatch returns it to PENDING after the task time limit and it is sent then.
   The only way to send twice is a crash in the one round trip between the server accepting
   the message and the mark. That window cannot be closed at an SMTP edge (no two-phase commit
   with a mail server): email is at-least-once there, and every message carries a stable
   Message-ID (<linli-reminder-<id>@...>) so a duplicate is recognisable downstream. Inbox
   messages are written in the same transaction as the mark: exactly once. A dispatch reset
   comes only after the hard time limit has killed the task, so no live task loses its rows.
   The fault test (tests/test_reminders_fault.py) counts duplicates.
4. a failed delivery returns the row to PENDING with a back-off, or FAILED after MAX_ATTEMPTS
   tries.
"""

import json
import logging
import threading
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.policy import Compat32

from celery import signature
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from disputes import broker
from disputes.models import Case, CaseEvent, InboxMessage, Reminder, Rule
from disputes.services.reminders.rules import RULES, event_recipients

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# Back-off after a failed send: 30 s, then 2 min (then FAILED).
RETRY_BACKOFF = timedelta(seconds=30)


def event_notify(*, event: CaseEvent) -> None:
    """Inbox message now, email row for the task (both once per event and recipient). The text
    depends on the recipient's language only: rendered once per language, as _render_cached does
    for the sender (this runs inside every case write's request)."""
    texts: dict[str, tuple[str, str]] = {}
    context = {"event": event, "case": event.case, "site_url": settings.SITE_URL}
    for person in event_recipients(event):
        language = person.language or settings.LANGUAGE_CODE
        if language not in texts:
            with translation.override(language):
                texts[language] = _render_text(RULES[Rule.EVENT].template, context)
        subject, body = texts[language]
        InboxMessage.objects.get_or_create(
            recipient=person,
            source_key=f"event:{event.pk}",
            defaults={"case": event.case, "subject": subject, "body": body},
        )
        if person.email and person.notify_email:
            reminder_create(
                case=event.case,
                recipient=person,
                rule=Rule.EVENT,
                period=str(event.pk),
                channel=Reminder.Channel.EMAIL,
            )


def _render_text(template: str, context: dict) -> tuple[str, str]:
    """A rule's template: its first line is the subject, the rest the text."""
    subject, _, text = render_to_string(template, context).strip().partition("\n")
    return " ".join(subject.split()), text.strip()


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
    _enqueue_on_commit(reminder.pk)
    return reminder


# Rows created in one transaction are published as one message after it commits: a request
# that notifies five people waits on the broker once, not five times.
_pending = threading.local()


class _Batch:
    def __init__(self):
        self.ids: list[int] = []
        self.done = False


class _Publish:
    """The on_commit callback of one row (Django's public hook). The rows created on a thread join
    its open batch in order; the first of the batch's callbacks to run after a commit publishes the
    rows from its own position on, and the others then do nothing. Django runs a commit's callbacks
    in order and drops those of a rolled-back transaction or savepoint, so the first one to run is
    the commit's first surviving row: rows before it belong to a transaction that never committed.
    Rows after it from a rolled-back savepoint are gone from the table and are left out."""

    def __init__(self, batch: _Batch, position: int):
        self.batch, self.position = batch, position

    def __call__(self) -> None:
        batch = self.batch
        if batch.done:
            return
        batch.done = True
        if getattr(_pending, "batch", None) is batch:
            _pending.batch = None
        ids = list(Reminder.objects.filter(pk__in=batch.ids[self.position :]).values_list("pk", flat=True))
        if ids:
            enqueue_send(ids)


def _enqueue_on_commit(reminder_id: int) -> None:
    batch = getattr(_pending, "batch", None)
    if batch is None or batch.done:
        batch = _pending.batch = _Batch()
    batch.ids.append(reminder_id)
    transaction.on_commit(_Publish(batch, len(batch.ids) - 1))


# Published by name: the tasks module imports this one, not the other way round.
SEND_TASK = signature("disputes.tasks.reminders_send_task")


def enqueue_send(reminder_ids: Iterable[int] | int, *, countdown: float | None = None) -> bool:
    """Publish send messages (in batches) for rows and note when; a broker failure is logged,
    not raised (disputes.broker): the rows stay pending and the periodic dispatch sends them.
    Call it after commit."""
    ids = [reminder_ids] if isinstance(reminder_ids, int) else list(reminder_ids)
    size = max(settings.REMINDER_BATCH_SIZE, 1)
    for start in range(0, len(ids), size):
        batch = ids[start : start + size]
        what = f"{len(ids) - start} reminder(s)"
        if not broker.publish(SEND_TASK, args=[batch], what=what, countdown=countdown):
            return False
        Reminder.objects.filter(pk__in=batch, state=Reminder.State.PENDING).update(queued_at=timezone.now())
    return True


def reminder_send(*, reminder_id: int) -> bool:
    """Claim one row, send it, mark it sent. Safe to run twice: only one claim succeeds."""
    return reminders_send(reminder_ids=[reminder_id]).get("sent", 0) == 1


def reminders_send(*, reminder_ids: list[int]) -> dict[str, int]:
    """Claim a batch with one UPDATE, then check, mark and deliver each claimed row (see the
    module docstring). Returns counts per outcome; rows for a retry are re-published with their
    back-off."""
    token = uuid.uuid4()
    now = timezone.now()
    Reminder.objects.filter(pk__in=reminder_ids, state=Reminder.State.PENDING, available_at__lte=now).update(
        state=Reminder.State.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
    )
    rows = list(
        Reminder.objects.filter(pk__in=reminder_ids, claim_token=token, state=Reminder.State.SENDING)
        .select_related("case", "recipient")
        .order_by("pk")
    )
    counts = {"sent": 0, "cancelled": 0, "retry": 0, "failed": 0, "lost": 0}
    if not rows:
        return counts
    related = _load_related(rows)
    rendered: dict = {}  # the inbox and email rows of one reminder share their text
    connection = None
    retries: dict[float, list[int]] = {}
    try:
        for row in rows:
            if row.channel == Reminder.Channel.EMAIL and connection is None:
                connection = get_connection()
                connection.open()
            outcome = _send_claimed(row, token=token, related=related, connection=connection, rendered=rendered)
            counts[outcome] += 1
            if outcome == "retry":
                retries.setdefault(_backoff(row.attempts).total_seconds(), []).append(row.pk)
    finally:
        if connection is not None:
            connection.close()
    for delay, ids in retries.items():
        enqueue_send(ids, countdown=delay)
    return counts


def _mark_sent(row: Reminder, token: uuid.UUID, subject: str, body: str) -> int:
    """The conditional "sent" mark: only while the row is still this task's claim. Plain SQL:
    it runs once per message, and the ORM's query building was a fifth of a send's time."""
    table = Reminder._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, sent_at = %s, subject = %s, body = %s "  # noqa: S608 (no input in it)
            "WHERE id = %s AND claim_token = %s AND state = %s",
            [
                Reminder.State.SENT,
                timezone.now(),
                subject[:200],
                body,
                row.pk,
                token.hex if db_connection.vendor == "sqlite" else token,
                Reminder.State.SENDING,
            ],
        )
        return cursor.rowcount


def _backoff(attempts: int) -> timedelta:
    return RETRY_BACKOFF * 4 ** max(attempts - 1, 0)


def _send_claimed(row: Reminder, *, token: uuid.UUID, related: dict, connection, rendered: dict | None = None) -> str:
    def mine():
        return Reminder.objects.filter(pk=row.pk, claim_token=token, state=Reminder.State.SENDING)

    if row.rule not in RULES:
        # A rule that a later release removed while its rows waited: never sent, and visible as
        # failed with the reason, not left claimed (a KeyError here once stranded a whole batch).
        logger.warning("reminder %s: no rule %r in the registry", row.pk, row.rule)
        mine().update(state=Reminder.State.FAILED, last_error=f"unknown rule {row.rule!r}", claim_token=None)
        return "failed"
    if not _still_due(row, related):
        mine().update(state=Reminder.State.CANCELLED, last_error="")
        return "cancelled"
    try:
        subject, body, html = _render_cached(row, related, {} if rendered is None else rendered)
        if row.channel == Reminder.Channel.INBOX:
            # All in the database: the message and the mark commit together, exactly once.
            with transaction.atomic():
                if _mark_sent(row, token, subject, body) != 1:
                    return "lost"
                _deliver(row, subject=subject, body=body, html=html, connection=connection)
        else:
            # The hand-off, then the mark in one statement of its own (see the module docstring).
            _deliver(row, subject=subject, body=body, html=html, connection=connection)
            if _mark_sent(row, token, subject, body) != 1:
                logger.warning("reminder %s was sent after its claim was reset: it may go out twice", row.pk)
    except Exception as exc:
        logger.warning("reminder %s: send failed (attempt %s): %s", row.pk, row.attempts, exc)
        final = row.attempts >= MAX_ATTEMPTS
        mine().update(
            state=Reminder.State.FAILED if final else Reminder.State.PENDING,
            last_error=str(exc)[:2000] or exc.__class__.__name__,
            available_at=timezone.now() + _backoff(row.attempts),
            claim_token=None,
        )
        return "failed" if final else "retry"
    return "sent"


# ---------------------------------------------------------------------------------------------
# Is the reminder still true? (checked at send time: the case may have moved since the scan)


def _load_related(rows: list[Reminder]) -> dict:
    """The events, resolutions, agreements and collective claims a batch refers to, one query per kind."""
    from disputes.models.claims import CollectiveClaim
    from disputes.models.closure import Agreement
    from disputes.models.meetings import Resolution

    def ids(key: str) -> set[int]:
        return {r.context[key] for r in rows if key in r.context}

    event_ids = {int(r.period) for r in rows if r.rule == Rule.EVENT}
    return {
        "events": CaseEvent.objects.select_related("case", "actor").in_bulk(event_ids) if event_ids else {},
        "resolutions": Resolution.objects.in_bulk(ids("resolution")) if ids("resolution") else {},
        "agreements": Agreement.objects.in_bulk(ids("agreement")) if ids("agreement") else {},
        "claims": CollectiveClaim.objects.in_bulk(ids("claim_id")) if ids("claim_id") else {},
        **_load_grid_related(rows, ids),
    }


def _load_grid_related(rows: list[Reminder], ids) -> dict:
    """The grid reminders' reports filed since (as (campaign, grid) pairs) and help requests."""
    from grid.models import ScreeningReport, ServiceOrder

    reports = set()
    if ids("campaign"):
        filed = ScreeningReport.objects.filter(campaign__in=ids("campaign"), grid__in=ids("grid"))
        reports = set(filed.values_list("campaign_id", "grid_id"))
    return {
        "reports_filed": reports,
        "orders": ServiceOrder.objects.in_bulk(ids("order")) if ids("order") else {},
    }


def _still_due(row: Reminder, related: dict) -> bool:
    return RULES[row.rule].still_due(row, related)


# ---------------------------------------------------------------------------------------------
# Rendering and delivery


def _render_cached(row: Reminder, related: dict, rendered: dict) -> tuple[str, str, str]:
    """The text does not depend on the recipient, only on their language: render it once per
    rule, case, period, context and language within a batch."""
    if row.subject and not row.context:
        return row.subject, row.body, ""  # written by its cause (e.g. services.supervision)
    language = row.recipient.language or settings.LANGUAGE_CODE
    key = (row.rule, row.case_id, row.period, language, json.dumps(row.context, sort_keys=True))
    if key not in rendered:
        with translation.override(language):
            rendered[key] = _render(row, related)
    return rendered[key]


def _render(row: Reminder, related: dict) -> tuple[str, str, str]:
    """Subject, text and HTML in the active language, from the rule's one template. Nothing of the
    recipient but their language goes in: the result is shared by every recipient of the reminder
    (see _render_cached)."""
    spec = RULES[row.rule]
    context = {
        "case": row.case,
        "ctx": row.context,
        "event": related["events"].get(int(row.period)) if row.rule == Rule.EVENT else None,
        "resolution": related["resolutions"].get(row.context.get("resolution")),
        "agreement": related["agreements"].get(row.context.get("agreement")),
        "site_url": settings.SITE_URL,
    }
    if context["event"] is not None:
        context["case"] = context["event"].case
    subject, text = _render_text(spec.template, context)
    if not spec.wrapped:
        return subject, text, ""
    # The text once; the plain and HTML bodies wrap it (a plain str: escaped in HTML).
    wrapper = {"text": text, "case": row.case, "site_url": settings.SITE_URL}
    body = render_to_string("emails/reminder_body.txt", wrapper).strip()
    html = render_to_string("emails/reminder_body.html", wrapper)
    return subject, body, html


def message_id(reminder_id: int) -> str:
    return f"<linli-reminder-{reminder_id}@{DNS_NAME}>"


class _Headers(Compat32):
    """Django's header policy (compat32) with a short cut for the usual header, short printable
    ASCII, which compat32 writes unchanged anyway after building a Header object for it."""

    def _plain(self, name: str, value) -> str | None:
        if isinstance(value, str) and value.isascii() and value.isprintable():
            line = f"{name}: {value}"
            if len(line) <= (self.max_line_length or 78):
                return line + self.linesep
        return None

    def fold(self, name, value):
        return self._plain(name, value) or super().fold(name, value)

    def fold_binary(self, name, value):
        plain = self._plain(name, value)
        return plain.encode("ascii") if plain else super().fold_binary(name, value)


_HEADERS = _Headers()


class _Email(EmailMultiAlternatives):
    """Serialised in half the time (it was the largest cost of a send): the MIME boundary is
    chosen here (the generator's own way compiles a regular expression per message to check the
    body does not contain it; a random UUID cannot occur in text written before it), and the
    headers are written by _Headers."""

    def message(self):
        msg = super().message()
        if msg.is_multipart():
            msg.set_boundary(f"=_linli_{uuid.uuid4().hex}")
        msg.policy = _HEADERS
        return msg


def _deliver(row: Reminder, *, subject: str, body: str, html: str, connection) -> None:
    if row.channel == Reminder.Channel.EMAIL:
        message = _Email(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [row.recipient.email],
            connection=connection,
            headers={"Message-ID": message_id(row.pk)},
        )
        if html:
            message.attach_alternative(html, "text/html")
        message.send()
    elif row.channel == Reminder.Channel.INBOX:
        InboxMessage.objects.get_or_create(
            recipient=row.recipient,
            source_key=f"reminder:{row.pk}",
            defaults={"case": row.case, "subject": subject, "body": body},
        )
    else:
        from disputes.sms import send_sms

        send_sms(phone=row.recipient.phone or "", text=f"{subject}\n{body}"[:300], reference=f"reminder-{row.pk}")


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
    given_up = stuck.filter(attempts__gte=MAX_ATTEMPTS * 3).update(
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
    published = len(ids) if enqueue_send(ids) else 0
    return {"reset": reset, "failed": given_up, "pending": len(ids), "published": published}


@transaction.atomic
def reminders_retry(*, reminder_ids: list[int]) -> int:
    """Give FAILED rows a fresh set of tries (the admin's "retry" action); sent after commit."""
    ids = list(Reminder.objects.filter(pk__in=reminder_ids, state=Reminder.State.FAILED).values_list("pk", flat=True))
    Reminder.objects.filter(pk__in=ids).update(
        state=Reminder.State.PENDING, attempts=0, available_at=timezone.now(), queued_at=None, claim_token=None
    )
    transaction.on_commit(lambda: enqueue_send(ids))
    return len(ids)
