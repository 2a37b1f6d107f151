"""The XLSX ledger as a Celery job: request, progress page, download by the requester only,
a claim that makes a second run a no-op, and the beat that republishes rows the broker lost."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from disputes.exports import ledger_columns
from disputes.models import Case, LedgerExport
from disputes.services import ledger_exports
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _request(client, capture, **params) -> LedgerExport:
    with capture(execute=True):
        response = client.post("/dashboard/exports/", {"period": "month", **params})
    assert response.status_code == 302
    export = LedgerExport.objects.latest("pk")
    assert response["Location"] == f"/dashboard/exports/{export.pk}/"
    return export


def _rows(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(r) for r in book.active.iter_rows(values_only=True)]


class LedgerExportJobTests:
    def test_a_request_writes_the_masked_ledger_and_the_page_links_it(
        self, cases, sam, client, django_capture_on_commit_callbacks, media
    ):
        client.force_login(sam)
        export = _request(client, django_capture_on_commit_callbacks)
        export.refresh_from_db()
        assert export.requested_by == sam
        assert export.state == LedgerExport.State.DONE
        assert (export.rows_done, export.rows_total) == (2, 2)
        assert export.finished_at is not None
        assert export.file.name.startswith("exports/") and (media / export.file.name).exists()
        today = timezone.localdate()
        assert export.params["period"] == "month"
        assert export.params["from"] == today.replace(day=1).isoformat()
        page = client.get(f"/dashboard/exports/{export.pk}/")
        assert f"/dashboard/exports/{export.pk}/download/" in page.content.decode()
        assert b'http-equiv="refresh"' not in page.content
        rows = _rows(client.get(f"/dashboard/exports/{export.pk}/download/"))
        assert rows[0] == ledger_columns()
        by_number = {r[0]: r for r in rows[1:]}
        assert set(by_number) == {cases["c1"].number, cases["c2"].number}
        row = by_number[cases["c1"].number]
        assert row[3] == "Grid 1"
        assert row[9] == "Mia Chen"
        assert "Alice Zhang" in row[4] and "Bob Wang" in row[4]
        assert "138****8001" in row[4] and "110101********1234" in row[4]
        assert "13800138001" not in row[4] and "110101199001011234" not in row[4]
        assert row[11] == str(Case.Status.IN_MEDIATION.label)

    def test_administrators_get_full_numbers(self, cases, areas, client, django_capture_on_commit_callbacks):
        admin = make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])
        client.force_login(admin)
        export = _request(client, django_capture_on_commit_callbacks)
        rows = _rows(client.get(f"/dashboard/exports/{export.pk}/download/"))
        parties = {r[0]: r[4] for r in rows[1:]}[cases["c1"].number]
        assert "13800138001" in parties and "110101199001011234" in parties

    def test_a_community_supervisor_exports_only_their_community(
        self, cases, areas, client, django_capture_on_commit_callbacks
    ):
        cathy = make_user("cathy", role=User.Role.SUPERVISOR, areas=[areas["C1"]])
        client.force_login(cathy)
        export = _request(client, django_capture_on_commit_callbacks)
        rows = _rows(client.get(f"/dashboard/exports/{export.pk}/download/"))
        assert [r[0] for r in rows[1:]] == [cases["c1"].number]
        assert client.post("/dashboard/exports/", {"area": areas["C2"].pk}).status_code == 403
        assert LedgerExport.objects.count() == 1

    def test_another_user_gets_404(self, cases, areas, sam, sue, client, django_capture_on_commit_callbacks):
        client.force_login(sam)
        export = _request(client, django_capture_on_commit_callbacks)
        client.force_login(sue)
        assert client.get(f"/dashboard/exports/{export.pk}/").status_code == 404
        assert client.get(f"/dashboard/exports/{export.pk}/download/").status_code == 404

    def test_residents_and_mediators_are_refused(self, alice, mia, client):
        for user in (alice, mia):
            client.force_login(user)
            assert client.post("/dashboard/exports/", {"period": "month"}).status_code == 403
        assert not LedgerExport.objects.exists()

    def test_a_pending_export_shows_progress_and_refreshes(self, cases, sam, client):
        client.force_login(sam)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ledger_exports, "ledger_export_enqueue", lambda pk: False)  # the broker is down
            response = client.post("/dashboard/exports/", {"period": "month"})
        export = LedgerExport.objects.get()
        assert export.state == LedgerExport.State.PENDING
        page = client.get(response["Location"])
        assert b'http-equiv="refresh" content="2"' in page.content
        assert b"/download/" not in page.content
        assert client.get(f"/dashboard/exports/{export.pk}/download/").status_code == 404

    def test_running_twice_does_not_redo(self, cases, sam):
        export = LedgerExport.objects.create(requested_by=sam, params={"from": "2000-01-01", "to": "2100-01-01"})
        assert ledger_exports.ledger_export_run(export.pk) is True
        export.refresh_from_db()
        first = export.file.name
        assert export.state == LedgerExport.State.DONE and export.rows_done == 2
        assert ledger_exports.ledger_export_run(export.pk) is False
        export.refresh_from_db()
        assert export.file.name == first and export.state == LedgerExport.State.DONE

    def test_a_failure_is_recorded(self, cases, sam, monkeypatch):
        export = LedgerExport.objects.create(requested_by=sam, params={"from": "2000-01-01", "to": "2100-01-01"})

        def boom(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(ledger_exports.exports, "ledger_xlsx_write", boom)
        assert ledger_exports.ledger_export_run(export.pk) is False
        export.refresh_from_db()
        assert export.state == LedgerExport.State.FAILED and export.error == "disk full"
        assert not export.file

    def test_progress_is_noted_every_page(self, cases, sam, monkeypatch):
        monkeypatch.setattr(ledger_exports.exports, "PAGE", 1)
        export = LedgerExport.objects.create(requested_by=sam, params={"from": "2000-01-01", "to": "2100-01-01"})
        seen = []
        real = ledger_exports.exports.ledger_xlsx_write

        def spy(cases, out, *, progress, **kwargs):
            def note(done):
                progress(done)
                seen.append(LedgerExport.objects.values_list("rows_done", "rows_total").get(pk=export.pk))

            return real(cases, out, progress=note, **kwargs)

        monkeypatch.setattr(ledger_exports.exports, "ledger_xlsx_write", spy)
        assert ledger_exports.ledger_export_run(export.pk)
        assert seen == [(1, 2), (2, 2)]

    def test_the_beat_publishes_pending_exports_older_than_a_minute(self, sam, monkeypatch):
        published = []
        monkeypatch.setattr(ledger_exports, "ledger_export_enqueue", published.append)
        old = LedgerExport.objects.create(requested_by=sam, params={})
        LedgerExport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=2))
        LedgerExport.objects.create(requested_by=sam, params={})  # just requested: its message is on its way
        stuck = LedgerExport.objects.create(requested_by=sam, params={}, state=LedgerExport.State.RUNNING)
        LedgerExport.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=3))
        ledger_exports.ledger_exports_dispatch()
        assert published == [old.pk]
        stuck.refresh_from_db()
        assert stuck.state == LedgerExport.State.FAILED
