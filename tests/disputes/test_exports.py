"""The ledger export: columns, scoping, masking, both formats."""

import csv
import io

import pytest
from openpyxl import load_workbook

from accounts.models import User
from disputes.exports import ledger_columns
from disputes.models import Case
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _csv(client, **params) -> list[list[str]]:
    response = client.get("/dashboard/ledger.csv", {"period": "month", **params})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


class LedgerExportTests:
    def test_it_writes_the_usual_columns_with_masked_personal_data(self, cases, sam, client):
        client.force_login(sam)
        rows = _csv(client)
        assert rows[0] == ledger_columns()
        assert len(rows) == 3
        by_number = {r[0]: r for r in rows[1:]}
        row = by_number[cases["c1"].number]
        assert row[3] == "Grid 1"
        assert row[9] == "Mia Chen"
        assert "Alice Zhang" in row[4] and "Bob Wang" in row[4]
        assert "138****8001" in row[4] and "110101********1234" in row[4]
        assert "13800138001" not in row[4] and "110101199001011234" not in row[4]
        assert row[11] == str(Case.Status.IN_MEDIATION.label)

    def test_administrators_see_full_numbers(self, cases, areas, client):
        admin = make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])
        client.force_login(admin)
        rows = _csv(client)
        parties = {r[0]: r[4] for r in rows[1:]}[cases["c1"].number]
        assert "13800138001" in parties and "110101199001011234" in parties

    def test_a_community_supervisor_exports_only_their_community(self, cases, areas, client):
        cathy = make_user("cathy", role=User.Role.SUPERVISOR, areas=[areas["C1"]])
        client.force_login(cathy)
        numbers = [r[0] for r in _csv(client)[1:]]
        assert numbers == [cases["c1"].number]
        assert client.get("/dashboard/ledger.csv", {"area": areas["C2"].pk}).status_code == 403

    def test_it_filters_by_period(self, cases, sam, client):
        client.force_login(sam)
        rows = _csv(client, period="custom", **{"from": "2020-01-01", "to": "2020-12-31"})
        assert rows == [ledger_columns()]

    def test_xlsx_has_the_same_rows(self, cases, sam, client, settings, tmp_path, django_capture_on_commit_callbacks):
        settings.MEDIA_ROOT = tmp_path
        client.force_login(sam)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/dashboard/exports/", {"period": "month"})
        assert response.status_code == 302
        download = client.get(response["Location"] + "download/")
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")
        book = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
        rows = [list(r) for r in book.active.iter_rows(values_only=True)]
        assert rows[0] == ledger_columns()
        assert sorted(r[0] for r in rows[1:]) == sorted(c.number for c in cases.values())
        assert all("****" in r[4] for r in rows[1:])
        assert client.get("/dashboard/ledger.xlsx").status_code == 404  # the XLSX is a job now

    def test_residents_and_mediators_are_refused(self, cases, alice, mia, client):
        for user in (alice, mia):
            client.force_login(user)
            assert client.get("/dashboard/ledger.csv").status_code == 403
