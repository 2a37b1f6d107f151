"""The steps that were missing (issue 11): set the risk level, report to the police, close as
reconciled or referred; each through the lifecycle with an event, its "allowed now?" predicate,
an admin step, and the lost race."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from disputes import services
from disputes.models import Case, CaseEvent, PoliceReport, Reminder
from disputes.services import steps
from tests.factories import make_case
from tests.mail_files import RecordingSmsBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    """The SMS gateway, the one edge mocked."""
    settings.SMS_BACKEND = "tests.mail_files.RecordingSmsBackend"
    RecordingSmsBackend.sent.clear()
    return RecordingSmsBackend.sent


@pytest.fixture
def case(alice, bob, areas, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


def step_url(case: Case, step: str) -> str:
    return reverse("admin:disputes_case_step", args=[case.pk, step])


class RiskTests:
    def test_high_risk_is_recorded_and_texts_the_subdistrict(
        self, case, mia, sue, sam, sms, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            event = steps.case_set_risk(case=case, actor=mia, risk=Case.Risk.HIGH, reason="Threats were made.")
        case.refresh_from_db()
        assert case.risk == Case.Risk.HIGH
        assert event.kind == CaseEvent.Kind.RISK and not event.is_public and event.note == "Threats were made."
        assert event.data == {"from": "low", "to": "high"}
        rows = set(Reminder.objects.filter(rule="high_risk").values_list("recipient__username", "channel"))
        assert rows == {("sue", "sms"), ("sue", "inbox")}  # the subdistrict, not the district
        assert [phone for phone, _text in sms] == [sue.phone]
        assert case.number in sms[0][1] and "Alice" not in sms[0][1]

    def test_medium_risk_texts_nobody(self, case, mia, sue, sms):
        steps.case_set_risk(case=case, actor=mia, risk=Case.Risk.MEDIUM, reason="Raised voices.")
        assert not Reminder.objects.filter(rule="high_risk").exists()

    def test_it_needs_a_reason_and_a_change(self, case, mia):
        with pytest.raises(services.CaseError):
            steps.case_set_risk(case=case, actor=mia, risk=Case.Risk.HIGH, reason=" ")
        with pytest.raises(services.CaseError):
            steps.case_set_risk(case=case, actor=mia, risk=Case.Risk.LOW, reason="Same.")
        assert not case.events.filter(kind=CaseEvent.Kind.RISK).exists()

    def test_a_finished_case_is_not_reassessed(self, alice, areas, mia):
        closed = make_case(applicant=alice, area=areas["G1"], status=Case.Status.CLOSED, actor=mia)
        assert not steps.risk_set_allowed(closed)
        with pytest.raises(services.CaseError):
            steps.case_set_risk(case=closed, actor=mia, risk=Case.Risk.HIGH, reason="Late.")

    def test_a_stale_page_loses_the_race(self, case, mia, sue):
        stale = Case.objects.get(pk=case.pk)
        services.case_event_record(case=case, actor=mia, kind=CaseEvent.Kind.NOTE, note="Called both.")
        events = case.events.count()
        with pytest.raises(services.StaleCase):
            steps.case_set_risk(case=stale, actor=mia, risk=Case.Risk.HIGH, reason="Threats.")
        case.refresh_from_db()
        assert case.risk == Case.Risk.LOW and case.events.count() == events
        assert not Reminder.objects.filter(rule="high_risk").exists()

    def test_the_admin_step_sets_it(self, client, case, mia):
        client.force_login(mia)
        response = client.post(
            step_url(case, "set_risk"), {"version": case.version, "risk": "medium", "reason": "Raised voices."}
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.risk == Case.Risk.MEDIUM


class PoliceReportTests:
    def test_it_records_who_when_and_the_receipt(self, case, mia):
        when = timezone.now() - timedelta(hours=2)
        report = steps.case_report_to_police(
            case=case,
            actor=mia,
            reported_by="Mia Chen",
            reported_at=when,
            police_station="Donghu police station",
            receipt_number="JJ-2026-0042",
        )
        assert PoliceReport.objects.get() == report
        assert (report.reported_by, report.reported_at, report.receipt_number) == ("Mia Chen", when, "JJ-2026-0042")
        event = case.events.get(kind=CaseEvent.Kind.POLICE_REPORT)
        assert not event.is_public and "JJ-2026-0042" in event.note and event.data == {"police_report": report.pk}

    def test_a_missing_receipt_or_a_future_time_is_refused(self, case, mia):
        base = {"case": case, "actor": mia, "reported_by": "Mia", "police_station": "Donghu"}
        with pytest.raises(services.CaseError) as exc:
            steps.case_report_to_police(**base, reported_at=timezone.now(), receipt_number=" ")
        assert gettext("receipt number") in str(exc.value)
        with pytest.raises(services.CaseError):
            steps.case_report_to_police(**base, reported_at=timezone.now() + timedelta(days=1), receipt_number="1")
        assert not PoliceReport.objects.exists()

    def test_a_stale_page_loses_the_race(self, case, mia):
        stale = Case.objects.get(pk=case.pk)
        services.case_event_record(case=case, actor=mia, kind=CaseEvent.Kind.NOTE, note="Called both.")
        with pytest.raises(services.StaleCase):
            steps.case_report_to_police(
                case=stale,
                actor=mia,
                reported_by="Mia",
                reported_at=timezone.now(),
                police_station="Donghu",
                receipt_number="1",
            )
        assert not PoliceReport.objects.exists()
        assert not case.events.filter(kind=CaseEvent.Kind.POLICE_REPORT).exists()

    def test_the_admin_step_records_it_and_keeps_bad_input(self, client, case, mia):
        client.force_login(mia)
        data = {
            "version": case.version,
            "reported_by": "Mia",
            "reported_at": "not a time",
            "police_station": "Donghu",
            "receipt_number": "JJ-1",
        }
        response = client.post(step_url(case, "report_police"), data)
        assert response.status_code == 200 and "JJ-1" in response.content.decode()
        response = client.post(step_url(case, "report_police"), {**data, "reported_at": "2026-01-05 10:00"})
        assert response.status_code == 302
        assert PoliceReport.objects.get().receipt_number == "JJ-1"


class CloseAsTests:
    def test_the_admin_step_closes_as_reconciled(self, client, case, mia):
        client.force_login(mia)
        page = client.get(reverse("admin:disputes_case_change", args=[case.pk]))
        names = {s["name"] for s in page.context["steps"]}
        assert {"set_risk", "report_police", "reconcile", "refer"} <= names
        response = client.post(step_url(case, "reconcile"), {"version": case.version, "summary": "Shook hands."})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED and case.outcome == Case.Outcome.RECONCILED
        assert case.events.filter(new_status=Case.Status.RESOLVED).exists()

    def test_the_admin_step_refers_and_closes(self, client, case, mia):
        client.force_login(mia)
        response = client.post(
            step_url(case, "refer"), {"version": case.version, "target": "District court", "note": ""}
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == Case.Status.CLOSED and case.outcome == Case.Outcome.REFERRED
        assert case.referral_target == "District court"

    def test_a_resolved_case_is_not_referred(self, alice, areas, mia):
        resolved = make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)
        assert not services.refer_allowed(resolved) and not services.reconcile_allowed(resolved)
        with pytest.raises(services.CaseError):
            services.case_refer(case=resolved, actor=mia, target="Court")

    def test_a_stale_reconcile_loses_the_race(self, case, mia):
        stale = Case.objects.get(pk=case.pk)
        services.case_refer(case=case, actor=mia, target="District court")
        with pytest.raises(services.StaleCase):
            services.case_resolve(case=stale, actor=mia, outcome=Case.Outcome.RECONCILED, summary="Late.")
        case.refresh_from_db()
        assert case.outcome == Case.Outcome.REFERRED
        assert not case.events.filter(new_status=Case.Status.RESOLVED).exists()
