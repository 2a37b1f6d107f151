"""The SMS backend interface. Production plugs a gateway in with SMS_BACKEND; the default prints."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleSmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def send_sms(*, phone: str, text: str) -> None:
    backend = import_string(getattr(settings, "SMS_BACKEND", "disputes.sms.ConsoleSmsBackend"))()
    backend.send(phone=phone, text=text)
