"""Thin Celery entry points. Tasks take ids; the database decides whether work is left, so every
task is safe to run twice (a message only says "go and check")."""

from celery import shared_task

from disputes.services import clocks, housekeeping, ledger_exports, reminders


@shared_task(acks_late=True)
def reminders_send_task(reminder_ids: list[int]) -> dict:
    """Claim and send a batch. Failures back off in the database (no Celery retry: the row
    records its attempts, and the dispatch republishes it)."""
    return reminders.reminders_send(reminder_ids=reminder_ids)


@shared_task(acks_late=True)
def reminders_scan_task() -> dict:
    """Beat, every REMINDER_SCAN_MINUTES: create the reminder rows that have come due, then
    publish their sends."""
    counts = reminders.reminders_scan()
    counts.update(reminders.reminders_dispatch_due())
    return counts


@shared_task(acks_late=True)
def reminders_dispatch_due_task() -> dict:
    """Beat, every minute: publish sends for pending rows, return stuck rows to pending."""
    return reminders.reminders_dispatch_due()


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def ledger_export_task(export_id: int) -> bool:
    """Write one XLSX ledger (disputes/services/ledger_exports.py); the row's claim makes a
    second message a no-op. Longer limits than the default: a ledger of a district is large."""
    return ledger_exports.ledger_export_run(export_id)


@shared_task(acks_late=True)
def ledger_exports_dispatch_task() -> dict:
    """Beat, every minute: publish pending exports again, fail the ones stuck running."""
    return ledger_exports.ledger_exports_dispatch()


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def clocks_restamp_task(job_id: int) -> bool:
    """Re-stamp the cases a changed deadline policy governs (disputes/services/clocks.py); the
    row's claim makes a second message a no-op."""
    return clocks.clocks_restamp_run(job_id)


@shared_task(acks_late=True)
def clocks_restamp_dispatch_task() -> dict:
    """Beat, every minute: publish pending re-stampings again, hand back the ones whose worker died."""
    return clocks.clocks_restamp_dispatch()


@shared_task(acks_late=True)
def housekeeping_run_task() -> dict:
    """Beat, nightly: delete pending uploads and ledger export files that are no longer needed."""
    return housekeeping.housekeeping_run()
