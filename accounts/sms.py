"""SMS: the templates, the backend interface and its two backends.

- ConsoleSmsBackend (the default, `make run`): writes the message to the log with the number
  masked, and keeps the last messages in memory for tests and local use (`ConsoleSmsBackend.outbox`).
- HttpGatewaySmsBackend: an HTTP SMS gateway configured from the environment. Chinese gateways send
  only registered templates with a registered signature, so a message is a template id and its
  parameters (SMS_GATEWAY_TEMPLATES maps our template names to the gateway's ids).

A backend raises on failure (a timeout, a refused request, an error answer): the outbox row goes
back to pending with a back-off and ends FAILED (accounts.sms_outbox). `reference` is the row's
key: gateways accept a client reference, so a retried message can be recognised as the same one.
SMS carry a case number, a link or a code, never case contents or other people's data.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections import deque
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.validators import mask_phone

logger = logging.getLogger(__name__)

# Our template names and their texts (the console backend renders them; a gateway has its own
# registered copy under the id SMS_GATEWAY_TEMPLATES gives).
TEMPLATES = {
    "code": _("Your Linli code is %(code)s. It is valid for 10 minutes. Never tell anyone this code."),
    "phone_taken": _(
        "Someone tried to register a Linli account with this number. If it was you, sign in or reset "
        "your password at %(link)s"
    ),
    "case_link": _("Case %(number)s was registered for you. Follow it here: %(link)s"),
    "case_receipt": _("We received your case %(number)s. Follow it here: %(link)s"),
    "case_accepted": _("Case %(number)s was accepted. Your mediator is %(mediator)s. %(link)s"),
    "meeting": _("Case %(number)s: you are invited to a meeting on %(when)s at %(place)s. %(link)s"),
    "agreement_ready": _("Case %(number)s: the agreement is ready to sign. %(link)s"),
    "case_closed": _("Case %(number)s was closed. %(link)s"),
    "satisfaction": _("Case %(number)s: how satisfied are you with the result? One click: %(link)s"),
    "text": "%(text)s",
}


class SmsError(Exception):
    """The gateway did not take the message."""


class SmsBackend(Protocol):
    """What a gateway adapter implements."""

    def send(self, *, phone: str, text: str, reference: str = "", template: str = "", params=None) -> None: ...


def render_text(template: str, params: dict) -> str:
    return str(TEMPLATES[template]) % params


class ConsoleSmsBackend:
    # The last messages "sent": what a developer or a test reads the code from.
    outbox: deque = deque(maxlen=200)

    def send(self, *, phone: str, text: str, reference: str = "", template: str = "", params=None) -> None:
        self.outbox.append({"phone": phone, "text": text, "reference": reference, "template": template})
        logger.info("SMS %s to %s: %s", reference, mask_phone(phone), text)


class HttpGatewaySmsBackend:
    """POSTs JSON {phone, sign_name, template_id, params, reference} to SMS_GATEWAY_URL, signed with
    HMAC-SHA256 of timestamp + body under SMS_GATEWAY_SECRET; the gateway answers {"code": "OK"}."""

    def __init__(self):
        self.url = settings.SMS_GATEWAY_URL
        if not self.url:
            raise ImproperlyConfigured("SMS_GATEWAY_URL is not set.")
        self.key_id = settings.SMS_GATEWAY_KEY_ID
        self.secret = settings.SMS_GATEWAY_SECRET
        self.sign_name = settings.SMS_GATEWAY_SIGNATURE
        self.templates = settings.SMS_GATEWAY_TEMPLATES
        self.timeout = settings.SMS_GATEWAY_TIMEOUT

    def send(self, *, phone: str, text: str, reference: str = "", template: str = "", params=None) -> None:
        template = template or "text"
        template_id = self.templates.get(template)
        if not template_id:
            raise SmsError(f"No gateway template id for {template!r} (SMS_GATEWAY_TEMPLATES).")
        body = json.dumps(
            {
                "phone": phone,
                "sign_name": self.sign_name,
                "template_id": template_id,
                "params": params if params is not None else {"text": text},
                "reference": reference,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        signature = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Sms-Key": self.key_id,
                "X-Sms-Timestamp": timestamp,
                "X-Sms-Signature": signature,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - URL from settings
                answer = json.loads(response.read() or b"{}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SmsError(f"gateway unreachable or unreadable: {exc}") from exc
        if answer.get("code") != "OK":
            raise SmsError(f"gateway refused: {answer.get('code')} {answer.get('message', '')}"[:300])


def get_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, phone: str, text: str, reference: str = "", template: str = "", params=None) -> None:
    if not phone:
        raise ValueError("The recipient has no mobile number.")
    extra = {"template": template, "params": params} if template else {}  # plain-text backends keep working
    get_backend().send(phone=phone, text=text, reference=reference, **extra)
