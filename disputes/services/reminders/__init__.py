"""The reminder service (DESIGN §7): the rules and the scan that finds what is due (rules.py), and
the dispatch and the claim-then-send of the rows (sending.py). Callers import from here."""

from disputes.services.reminders.rules import RULES, Rule, RuleSpec, reminders_scan, stamp
from disputes.services.reminders.sending import (
    MAX_ATTEMPTS,
    enqueue_send,
    event_notify,
    message_id,
    reminder_create,
    reminder_send,
    reminders_dispatch_due,
    reminders_retry,
    reminders_send,
)

__all__ = [
    "MAX_ATTEMPTS",
    "RULES",
    "Rule",
    "RuleSpec",
    "enqueue_send",
    "event_notify",
    "message_id",
    "reminder_create",
    "reminder_send",
    "reminders_dispatch_due",
    "reminders_retry",
    "reminders_scan",
    "reminders_send",
    "stamp",
]
