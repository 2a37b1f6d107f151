"""Suspend and resume (DESIGN §4, issue 11 item 6): the clocks stop (grey badge, no reminders, in no
clock figure but "suspended") and resume with the suspended days added; through the lifecycle
service with an event; the lost race refused; the admin step asks the service's predicate."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes import dashboard as dash
from disputes import services
from disputes.models import Case, CaseEvent, Reminder
from disputes.services.reminders import reminders_scan
from tests.factories import make_case

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def case(areas, alice, bob, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


def _suspend_days_ago(case: Case, mia, days: int) -> Case:
    services.case_suspend(case=case, actor=mia, reason="Awaiting the appraisal of the water damage.")
    Case.objects.filter(pk=case.pk).update(suspended_at=timezone.now() - days * DAY)
    case.refresh_from_db()
    return case


class SuspendTests:
    def test_suspending_stops_the_clocks_with_an_event(self, case, mia, sam):
        event = services.case_suspend(case=case, actor=mia, reason="Awaiting the appraisal.")
        case.refresh_from_db()

        assert event.kind == CaseEvent.Kind.SUSPENDED and event.note == "Awaiting the appraisal."
        assert case.suspended_at is not None and case.status == Case.Status.IN_MEDIATION
        assert case.deadline_colour == "grey"
        # Past its deadline now, yet not overdue: its clock stopped.
        Case.objects.filter(pk=case.pk).update(next_due_at=timezone.now() - DAY)
        case.refresh_from_db()
        assert not case.is_overdue and case.is_suspended
        board = dash.dashboard_build(user=sam, period=dash.period_from("month"))
        assert (board.stock.totals["overdue"], board.stock.totals["suspended"]) == (0, 1)
        reminders_scan(now=timezone.now())
        assert not Reminder.objects.filter(case=case).exclude(rule="event").exists()

    def test_resuming_adds_the_suspended_days_to_every_clock(self, case, mia):
        before = Case.objects.get(pk=case.pk)
        case = _suspend_days_ago(case, mia, 5)

        event = services.case_resume(case=case, actor=mia, note="The appraisal came in.")
        case.refresh_from_db()

        assert event.kind == CaseEvent.Kind.RESUMED and event.data["suspended_days"] == 5
        assert case.suspended_at is None and case.deadline_colour == "blue"
        for name in ("resolve_due_at", "next_due_at", "due_soon_at", "legacy_at"):
            moved = getattr(case, name) - getattr(before, name)
            assert abs(moved - 5 * DAY) < timedelta(seconds=5), name
        assert abs(case.suspended_total - 5 * DAY) < timedelta(seconds=5)

    def test_a_status_change_ends_the_suspension_with_the_days_added(self, case, mia, areas):
        before = Case.objects.get(pk=case.pk)
        case = _suspend_days_ago(case, mia, 3)
        services.case_escalate(case=case, actor=mia, reason="Needs the subdistrict.")
        case.refresh_from_db()
        assert case.suspended_at is None and case.status == Case.Status.ASSIGNED
        assert abs(case.resolve_due_at - before.resolve_due_at - 3 * DAY) < timedelta(seconds=5)

    def test_it_is_refused_when_not_allowed_now(self, case, mia, areas, alice):
        submitted = make_case(applicant=alice, area=areas["G1"])
        assert not services.case_can_suspend(submitted)
        with pytest.raises(services.CaseError):
            services.case_suspend(case=submitted, actor=mia, reason="Why not.")
        with pytest.raises(services.CaseError):
            services.case_suspend(case=case, actor=mia, reason="  ")
        assert not services.case_can_resume(case)
        with pytest.raises(services.CaseError):
            services.case_resume(case=case, actor=mia)
        services.case_suspend(case=case, actor=mia, reason="Appraisal.")
        assert not services.case_can_suspend(case) and services.case_can_resume(case)
        with pytest.raises(services.CaseError):
            services.case_suspend(case=case, actor=mia, reason="Twice.")

    def test_the_lost_race_writes_nothing(self, case, mia, sam):
        stale = Case.objects.get(pk=case.pk)
        services.case_suspend(case=case, actor=mia, reason="Appraisal.")
        with pytest.raises(services.StaleCase):
            services.case_suspend(case=stale, actor=sam, reason="A party is in hospital.")
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SUSPENDED).count() == 1
        fresh = Case.objects.get(pk=case.pk)
        services.case_resume(case=fresh, actor=mia)
        with pytest.raises(services.StaleCase):
            services.case_resume(case=case, actor=sam)
        assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.RESUMED).count() == 1


class SuspendStepTests:
    def test_the_admin_step_suspends_and_resumes(self, case, mia, sam, client):
        client.force_login(mia)
        change = reverse("admin:disputes_case_change", args=[case.pk])
        suspend = reverse("admin:disputes_case_step", args=[case.pk, "suspend"])
        assert suspend in client.get(change).content.decode()

        response = client.post(suspend, {"version": case.version, "reason": "Awaiting the appraisal."})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.is_suspended
        listed = client.get(reverse("admin:disputes_case_changelist"), {"deadline": "suspended"})
        assert [c.number for c in listed.context["cl"].result_list] == [case.number]
        page = client.get(change).content.decode()
        resume = reverse("admin:disputes_case_step", args=[case.pk, "resume"])
        assert resume in page and suspend not in page

        client.post(resume, {"version": case.version, "note": ""})
        case.refresh_from_db()
        assert not case.is_suspended
        assert list(case.events.filter(kind__in=["suspended", "resumed"]).values_list("kind", flat=True)) == [
            "suspended",
            "resumed",
        ]

    def test_the_step_refuses_an_empty_reason_and_keeps_the_case(self, case, mia, client):
        client.force_login(mia)
        suspend = reverse("admin:disputes_case_step", args=[case.pk, "suspend"])
        response = client.post(suspend, {"version": case.version, "reason": ""})
        assert response.status_code == 200 and response.context["form"].errors
        case.refresh_from_db()
        assert not case.is_suspended
