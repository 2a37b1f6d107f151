"""The SMS outbox: every SMS is a row, written with its cause and sent once (STYLE §5).

1. `sms_queue` inserts the row (its `key` is unique: the same purpose twice is one row) in the
   caller's transaction and publishes the send task after commit.
2. `sms_send` claims the row with a conditional UPDATE (PENDING → SENDING, a fresh claim token)
   and commits the claim before calling the gateway, so only one worker ever hands it over.
3. Sent: SENT by one conditional UPDATE on the token. Failed: back to PENDING with a back-off
   doubling from SMS_RETRY_SECONDS, or FAILED after SMS_MAX_ATTEMPTS, with the error kept.
4. `sms_dispatch_due` (beat, every minute) publishes pending rows whose back-off has passed and
   returns rows stuck in SENDING past the task time limit (a killed worker) to PENDING.

A worker killed between the gateway's acceptance and the SENT mark sends again after the reset:
that window cannot be closed at an HTTP edge; the row's key goes to the gateway as the client
reference so the gateway can drop the duplicate. Code messages lose their parameters once they
are finished: the code does not stay readable in the database.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from accounts import sms
from accounts.models import OutboundSms

logger = logging.getLogger(__name__)
SECRET_TEMPLATES = {"code"}


def sms_queue(*, key: str, phone: str, template: str, params: dict, available_at=None) -> OutboundSms:
    """Queue one SMS (once per key); the send task is published after the caller's commit."""
    if template not in sms.TEMPLATES:
        raise ValueError(f"Unknown SMS template {template!r}.")
    row, created = OutboundSms.objects.get_or_create(
        key=key,
        defaults={
            "phone": phone,
            "template": template,
            "params": params,
            "available_at": available_at or timezone.now(),
        },
    )
    if created and row.available_at <= timezone.now():
        transaction.on_commit(lambda: _publish(row.pk), robust=True)
    return row


def _publish(sms_id: int, *, countdown: float = 0) -> bool:
    from accounts.tasks import sms_send_task  # tasks imports this module

    OutboundSms.objects.filter(pk=sms_id).update(queued_at=timezone.now() + timedelta(seconds=countdown))
    try:
        sms_send_task.apply_async(args=[sms_id], countdown=countdown, retry=False)
    except Exception as exc:  # broker down: the row waits for the dispatch
        logger.warning("broker unavailable, SMS %s left for the dispatch: %s", sms_id, exc)
        OutboundSms.objects.filter(pk=sms_id).update(queued_at=None)
        return False
    return True


def sms_send(*, sms_id: int) -> bool:
    """Claim, send, mark (see the module docstring). True if this call sent the message."""
    token = uuid.uuid4()
    now = timezone.now()
    claimed = OutboundSms.objects.filter(pk=sms_id, state=OutboundSms.State.PENDING, available_at__lte=now).update(
        state=OutboundSms.State.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return False  # sent, failed, waiting for its back-off, or another worker has it
    row = OutboundSms.objects.get(pk=sms_id)
    with translation.override(settings.LANGUAGE_CODE):
        text = sms.render_text(row.template, row.params)
    try:
        sms.send_sms(phone=row.phone, text=text, reference=row.key, template=row.template, params=row.params)
    except Exception as exc:
        _failed(row, token, exc)
        return False
    done = {"state": OutboundSms.State.SENT, "sent_at": timezone.now(), "last_error": ""}
    if row.template in SECRET_TEMPLATES:
        done["params"] = {}
    OutboundSms.objects.filter(pk=sms_id, claim_token=token).update(**done)
    return True


def _failed(row: OutboundSms, token, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    if row.attempts >= settings.SMS_MAX_ATTEMPTS:
        fields = {"state": OutboundSms.State.FAILED, "last_error": error}
        if row.template in SECRET_TEMPLATES:
            fields["params"] = {}
        OutboundSms.objects.filter(pk=row.pk, claim_token=token).update(**fields)
        logger.error("SMS %s failed for good after %s tries: %s", row.key, row.attempts, error)
        return
    delay = settings.SMS_RETRY_SECONDS * 2 ** (row.attempts - 1)
    moved = OutboundSms.objects.filter(pk=row.pk, claim_token=token).update(
        state=OutboundSms.State.PENDING,
        available_at=timezone.now() + timedelta(seconds=delay),
        claim_token=None,
        last_error=error,
    )
    logger.warning("SMS %s not sent (try %s), again in %s s: %s", row.key, row.attempts, delay, error)
    if moved:
        _publish(row.pk, countdown=delay)


def sms_dispatch_due(
    *, stuck_after: timedelta | None = None, requeue_after: timedelta | None = None, limit=500
) -> dict:
    """Return rows stuck in SENDING past the task time limit (a killed worker) to PENDING, and
    publish pending rows that are due and whose message may have been lost."""
    now = timezone.now()
    limit_after = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    reset = OutboundSms.objects.filter(
        state=OutboundSms.State.SENDING, claimed_at__lt=now - (stuck_after or limit_after)
    ).update(state=OutboundSms.State.PENDING, claim_token=None, queued_at=None)
    due = list(
        OutboundSms.objects.filter(state=OutboundSms.State.PENDING, available_at__lte=now)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - (requeue_after or limit_after)))
        .order_by("available_at")
        .values_list("pk", flat=True)[:limit]
    )
    published = sum(_publish(pk) for pk in due)
    return {"reset": reset, "published": published}
