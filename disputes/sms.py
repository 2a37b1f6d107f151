"""The SMS backend interface. Production plugs a gateway in with SMS_BACKEND (a dotted path to a
class with `send(*, phone, text)`); the default writes to the log, with the number masked.

A backend raises on failure: the reminder row goes back to pending with a back-off and ends as
FAILED after three tries (disputes.services.reminders). Gateways usually accept a client reference:
pass `reference` on, so a retried message can be recognised as the same one.
"""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from accounts.validators import mask_phone

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    """What a gateway adapter implements."""

    def send(self, *, phone: str, text: str, reference: str = "") -> None: ...


class ConsoleSmsBackend:
    def send(self, *, phone: str, text: str, reference: str = "") -> None:
        logger.info("SMS %s to %s: %s", reference, mask_phone(phone), text)


def send_sms(*, phone: str, text: str, reference: str = "") -> None:
    if not phone:
        raise ValueError("The recipient has no mobile number.")
    backend = import_string(getattr(settings, "SMS_BACKEND", "disputes.sms.ConsoleSmsBackend"))()
    backend.send(phone=phone, text=text, reference=reference)
