"""Reading the mail a worker process wrote with Django's file-based email backend, and a slow
variant of that backend for the fault test (it stands in for an SMTP server's latency)."""

import email
import os
import time
from collections import Counter
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def read_mail_dir(path: Path | None) -> list[email.message.Message]:
    """Every message in the directory, in no particular order."""
    if path is None or not Path(path).exists():
        return []
    messages = []
    for file in Path(path).iterdir():
        for chunk in file.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk))
    return messages


def reminder_ids(messages) -> Counter:
    """How many times each reminder was handed to the mail backend, by its Message-ID."""
    counts: Counter = Counter()
    for message in messages:
        value = message.get("Message-ID", "")
        if value.startswith("<linli-reminder-"):
            counts[int(value.split("-")[2].split("@")[0])] += 1
    return counts


class SlowFileBackend(FileBackend):
    """Waits LINLI_TEST_EMAIL_DELAY_MS before writing each message, as an SMTP server takes time
    before it accepts one: a worker killed in that time has handed nothing over."""

    def write_message(self, message):
        time.sleep(int(os.environ.get("LINLI_TEST_EMAIL_DELAY_MS", "10")) / 1000)
        super().write_message(message)
        self.stream.flush()


class FailingBackend(FileBackend):
    """A mail server that refuses every message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("file_path", "/tmp")
        super().__init__(*args, **kwargs)

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


class RecordingSmsBackend:
    sent: list = []

    def send(self, *, phone: str, text: str, reference: str = "") -> None:
        RecordingSmsBackend.sent.append((phone, text))
