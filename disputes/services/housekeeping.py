"""Nightly housekeeping: delete personal-data files that nobody needs any more.

1. Pending uploads (disputes/pending_uploads.py) that were never filed: only the resident's session
   points at them, so they go once that session must have expired.
2. The files of ledger exports finished more than LEDGER_EXPORT_KEEP_DAYS ago. The row stays with
   an empty `file`, and the progress page says that the file has expired.
3. Files under exports/ that no row names, once they are as old as that.

Everything goes through default_storage (listdir, get_modified_time, delete), so an object store
works too. Each step accepts a file that another run has already deleted, so the task is safe to run
twice and on several workers at once. Not atomic: a deleted file can't be rolled back, so each
row is cleared by its own conditional UPDATE before its file is deleted.
"""

import contextlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from disputes.models import LedgerExport

logger = logging.getLogger(__name__)

PENDING_DIR = "pending"
EXPORTS_DIR = "exports"
# A session is saved in the same request as the files it lists, so its expiry is at most
# SESSION_COOKIE_AGE after the newest of them. The margin allows for a slow request or clock skew.
PENDING_MARGIN = timedelta(days=1)


def housekeeping_run(*, now: datetime | None = None) -> dict[str, int]:
    """Run the three clean-ups and return their counts, which the worker logs."""
    now = now or timezone.now()
    counts = {
        "pending_files_deleted": pending_uploads_purge(now=now),
        "exports_expired": ledger_exports_expire(now=now),
        "export_orphans_deleted": ledger_export_orphans_purge(now=now),
    }
    logger.info("housekeeping: %s", counts)
    return counts


def pending_uploads_purge(*, now: datetime) -> int:
    """Delete every pending/<key>/ directory whose newest file is older than a session can live.

    A key is one filing form. Each failed attempt adds files to its directory and saves the session
    again, so the newest file, not each file on its own, decides when the session has expired.
    Empty directories (pending_clear leaves one behind after a successful filing) go as well."""
    cutoff = now - timedelta(seconds=settings.SESSION_COOKIE_AGE) - PENDING_MARGIN
    deleted = 0
    for key in _listdir(PENDING_DIR)[0]:
        folder = f"{PENDING_DIR}/{key}"
        names = [f"{folder}/{name}" for name in _listdir(folder)[1]]
        times = [t for t in map(_modified, names) if t is not None]
        if times and max(times) >= cutoff:
            continue
        for name in names:
            default_storage.delete(name)
        deleted += len(names)
        # FileSystemStorage removes an empty directory; an object store has no directories.
        # OSError: a new upload arrived in the meantime, so the directory stays until the next night.
        with contextlib.suppress(OSError):
            default_storage.delete(folder)
    return deleted


def ledger_exports_expire(*, now: datetime) -> int:
    """Delete the files of exports that finished before the keep period and clear their rows.

    The row is cleared first, by a conditional UPDATE, so only one run deletes each file. A crash
    between the two steps leaves an orphan file, which the next step removes. The reverse order
    would leave a row that points at a missing file."""
    cutoff = now - timedelta(days=settings.LEDGER_EXPORT_KEEP_DAYS)
    due = LedgerExport.objects.filter(state=LedgerExport.State.DONE, finished_at__lt=cutoff).exclude(file="")
    expired = 0
    for pk, name in due.values_list("pk", "file"):
        if LedgerExport.objects.filter(pk=pk, file=name).update(file=""):
            default_storage.delete(name)
            expired += 1
    return expired


def ledger_export_orphans_purge(*, now: datetime) -> int:
    """Delete files under exports/ that no row names: the row was deleted along with its user, or a
    worker died between writing the file and recording it. Only files older than the keep period
    go, so a file that a running export has just written but not yet recorded is safe."""
    cutoff = now - timedelta(days=settings.LEDGER_EXPORT_KEEP_DAYS)
    known = set(LedgerExport.objects.exclude(file="").values_list("file", flat=True))
    deleted = 0
    for name in (f"{EXPORTS_DIR}/{n}" for n in _listdir(EXPORTS_DIR)[1]):
        modified = _modified(name)
        if name not in known and modified is not None and modified < cutoff:
            default_storage.delete(name)
            deleted += 1
    return deleted


def _listdir(path: str) -> tuple[list[str], list[str]]:
    try:
        return default_storage.listdir(path)
    except FileNotFoundError:  # nothing was ever stored there, or another run removed it
        return [], []


def _modified(name: str) -> datetime | None:
    try:
        return default_storage.get_modified_time(name)
    except FileNotFoundError:  # deleted by another run since the listing
        return None
