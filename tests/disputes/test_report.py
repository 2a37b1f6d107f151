"""The printable period report."""

import pytest

from accounts.models import User
from disputes.models import Case, Category
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(areas, alice, bob, mia, otto, sam):
    make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=sam, mediator=mia)
    make_case(applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=sam, mediator=mia)
    make_case(applicant=bob, area=areas["G1"])
    make_case(applicant=bob, area=areas["C2"], status=Case.Status.RESOLVED, actor=sam, mediator=otto)


class PeriodReportTests:
    def test_it_summarises_the_period_in_one_sentence(self, cases, sam, client):
        client.force_login(sam)
        page = client.get("/dashboard/report/", {"period": "month"})
        assert page.status_code == 200
        report = page.context["report"]
        assert (report.flows.totals["received"], report.flows.totals["accepted"]) == (4, 3)
        html = page.content.decode()
        summary = html.split('id="report-summary">')[1].split("</p>")[0]
        # Mediation ended in two cases, both resolved; the sentence quotes the one resolved count.
        assert report.flows.totals["resolved"] == report.flows.totals["concluded"] == 2
        assert "4" in summary and "100.0%" in summary and "化解 2 件" in summary
        assert 'id="report-categories"' in html
        assert Category.objects.get(code="neighbours").name in html.split('id="report-categories"')[1]

    def test_the_category_table_has_the_received_counts(self, cases, sam, client):
        client.force_login(sam)
        report = client.get("/dashboard/report/", {"period": "month"}).context["report"]
        rows = {str(r["label"]): [c["value"] for c in r["cells"]] for r in report.category_rows()}
        assert sum(v[0] for v in rows.values()) == 4
        assert max(rows.values())[:3] == [4, 3, 2]

    def test_a_community_supervisor_reports_only_their_community(self, cases, areas, client):
        cathy = make_user("cathy", role=User.Role.SUPERVISOR, areas=[areas["C1"]])
        client.force_login(cathy)
        report = client.get("/dashboard/report/", {"period": "month"}).context["report"]
        assert report.flows.totals["received"] == 3
        assert report.scope.area == areas["C1"]

    def test_residents_are_refused(self, alice, client):
        client.force_login(alice)
        assert client.get("/dashboard/report/").status_code == 403
