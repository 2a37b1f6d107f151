"""The nightly housekeeping: pending uploads outlive no session, finished ledger exports lose their
file after LEDGER_EXPORT_KEEP_DAYS (and the page says so), orphan export files go, and a second
run (or a file already gone) is harmless."""

import os
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext

from config.celery import app as celery_app
from disputes import pending_uploads
from disputes.models import LedgerExport
from disputes.services import housekeeping, ledger_exports
from disputes.tasks import housekeeping_run_task

pytestmark = pytest.mark.django_db

EXPIRED = (
    "This file has expired and was deleted to protect personal data. You can request a new export from the dashboard."
)
NOTHING = {"pending_files_deleted": 0, "exports_expired": 0, "export_orphans_deleted": 0}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _age(name: str, delta: timedelta) -> None:
    """Make a stored file look as if it was written `delta` ago."""
    stamp = (timezone.now() - delta).timestamp()
    os.utime(default_storage.path(name), (stamp, stamp))


def _pending(request, key: uuid.UUID, *names: str) -> list[str]:
    """Store uploads the way a failed filing attempt does; return their storage names."""
    uploads = [SimpleUploadedFile(n, b"\xff\xd8 evidence", content_type="image/jpeg") for n in names]
    entries = pending_uploads.pending_add(request, key, uploads)
    return [e["path"] for e in entries[-len(names) :]]


def _export(user, *, finished_ago: timedelta) -> LedgerExport:
    export = LedgerExport.objects.create(requested_by=user, params={"from": "2000-01-01", "to": "2100-01-01"})
    assert ledger_exports.ledger_export_run(export.pk)
    LedgerExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - finished_ago)
    export.refresh_from_db()
    _age(export.file.name, finished_ago)
    return export


class HousekeepingTests:
    def test_it_deletes_pending_uploads_older_than_a_session(self, media):
        session_age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
        request = SimpleNamespace(session={})
        old_key, fresh_key, mixed_key, done_key = (uuid.uuid4() for _ in range(4))
        old = _pending(request, old_key, "a.jpg", "b.jpg")
        fresh = _pending(request, fresh_key, "c.jpg")
        mixed_old = _pending(request, mixed_key, "d.jpg")
        mixed_new = _pending(request, mixed_key, "e.jpg")  # a later attempt saved the session again
        _pending(request, done_key, "f.jpg")
        pending_uploads.pending_clear(request, done_key)  # filed: leaves an empty directory
        for name in old + mixed_old:
            _age(name, session_age + timedelta(days=2))
        _age(fresh[0], session_age - timedelta(hours=1))

        counts = housekeeping.housekeeping_run()

        assert counts["pending_files_deleted"] == 2
        assert not any(default_storage.exists(n) for n in old)
        assert not (media / f"pending/{old_key}").exists() and not (media / f"pending/{done_key}").exists()
        assert all(default_storage.exists(n) for n in fresh + mixed_old + mixed_new)

    def test_it_expires_old_export_files_and_the_page_says_so(self, sam, client):
        old = _export(sam, finished_ago=timedelta(days=settings.LEDGER_EXPORT_KEEP_DAYS, hours=1))
        recent = _export(sam, finished_ago=timedelta(days=settings.LEDGER_EXPORT_KEEP_DAYS - 1))
        old_name = old.file.name

        assert housekeeping.housekeeping_run()["exports_expired"] == 1

        old.refresh_from_db()
        recent.refresh_from_db()
        assert not default_storage.exists(old_name)
        assert old.state == LedgerExport.State.DONE and not old.file
        assert default_storage.exists(recent.file.name)
        client.force_login(sam)
        page = client.get(f"/dashboard/exports/{old.pk}/").content.decode()
        with translation.override("zh-hans"):
            assert gettext(EXPIRED) in page
        assert "/download/" not in page and 'id="export-expired"' in page
        assert client.get(f"/dashboard/exports/{old.pk}/download/").status_code == 404
        recent_page = client.get(f"/dashboard/exports/{recent.pk}/").content.decode()
        assert f"/dashboard/exports/{recent.pk}/download/" in recent_page

    def test_the_keep_period_is_a_setting(self, sam, settings):
        settings.LEDGER_EXPORT_KEEP_DAYS = 30
        export = _export(sam, finished_ago=timedelta(days=10))

        housekeeping.housekeeping_run()

        export.refresh_from_db()
        assert export.file and default_storage.exists(export.file.name)

    def test_it_deletes_old_export_files_that_no_row_names(self):
        orphan = default_storage.save("exports/gone.xlsx", ContentFile(b"ledger"))
        _age(orphan, timedelta(days=settings.LEDGER_EXPORT_KEEP_DAYS + 1))
        just_written = default_storage.save("exports/new.xlsx", ContentFile(b"ledger"))  # not recorded yet

        assert housekeeping.housekeeping_run()["export_orphans_deleted"] == 1

        assert not default_storage.exists(orphan)
        assert default_storage.exists(just_written)

    def test_running_twice_or_after_another_worker_is_harmless(self, sam):
        request = SimpleNamespace(session={})
        names = _pending(request, uuid.uuid4(), "a.jpg")
        _age(names[0], timedelta(seconds=settings.SESSION_COOKIE_AGE, days=2))
        export = _export(sam, finished_ago=timedelta(days=settings.LEDGER_EXPORT_KEEP_DAYS + 1))
        default_storage.delete(export.file.name)  # another worker got there first

        first = housekeeping.housekeeping_run()

        assert first == {"pending_files_deleted": 1, "exports_expired": 1, "export_orphans_deleted": 0}
        export.refresh_from_db()
        assert not export.file
        assert housekeeping.housekeeping_run() == NOTHING

    def test_an_empty_media_root_is_fine(self):
        assert housekeeping.housekeeping_run() == NOTHING

    def test_the_beat_runs_the_task_every_night(self):
        entry = settings.CELERY_BEAT_SCHEDULE["housekeeping"]
        assert entry["task"] == housekeeping_run_task.name
        assert entry["task"] in celery_app.tasks
        assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {30})
        assert housekeeping_run_task.delay().get() == NOTHING
