"""The to-do queue, the admin's landing page for staff (disputes/admin/todo.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disputes.models import Case, CaseEvent
from disputes.services import meetings
from disputes.services.supervision import case_supervision_order
from tests.factories import make_case

pytestmark = pytest.mark.django_db
S = Case.Status
TODO = reverse("admin:index")


def todo_numbers(response, key) -> list[str]:
    return [c.number for c in response.context["todo"][key]]


class TodoTests:
    def test_it_is_where_the_admin_starts(self):
        assert TODO == "/admin/"

    def test_it_lists_what_waits_for_the_mediator(self, client, alice, bob, areas, mia, sam, otto):
        now = timezone.now()
        overdue = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=S.IN_MEDIATION, actor=mia)
        Case.objects.filter(pk=overdue.pk).update(next_due_at=now - timedelta(hours=3))
        this_week = make_case(applicant=alice, area=areas["G1"], status=S.IN_MEDIATION, actor=mia)
        Case.objects.filter(pk=this_week.pk).update(next_due_at=now + timedelta(days=3))
        later = make_case(applicant=alice, area=areas["G1"], status=S.IN_MEDIATION, actor=mia)
        Case.objects.filter(pk=later.pk).update(next_due_at=now + timedelta(days=20))
        to_ack = make_case(applicant=alice, area=areas["G1"], status=S.ASSIGNED, actor=sam, mediator=mia)
        resolved = make_case(applicant=alice, area=areas["G1"], status=S.RESOLVED, actor=mia)
        new = make_case(applicant=alice, area=areas["G1"])
        elsewhere = make_case(applicant=alice, area=areas["G2"])
        overdue.refresh_from_db()
        case_supervision_order(case=overdue, actor=sam, note="Hurry")
        meeting = meetings.meeting_create(
            community=areas["C1"], topic="Noise", scheduled_at=now + timedelta(days=1), place="Hall", actor=mia
        )
        resolution = meetings.resolution_add(
            meeting=meeting, text="Fix the pipe", due_date=timezone.localdate(), actor=mia, owner=mia, case=overdue
        )
        client.force_login(mia)
        response = client.get(TODO)
        assert response.status_code == 200
        assert todo_numbers(response, "overdue") == [overdue.number]
        assert this_week.number in todo_numbers(response, "due_this_week")
        assert later.number not in str(response.context["todo"])
        assert todo_numbers(response, "to_acknowledge") == [to_ack.number]
        assert todo_numbers(response, "follow_ups") == [resolved.number]
        assert todo_numbers(response, "unassigned") == [new.number]
        assert elsewhere.number not in response.content.decode()
        assert [m.pk for m in response.context["todo"]["meetings"]] == [meeting.pk]
        assert [r.pk for r in response.context["todo"]["resolutions"]] == [resolution.pk]
        assert [r.case_id for r in response.context["todo"]["supervision"]] == [overdue.pk]
        # One click to the case.
        assert reverse("admin:disputes_case_change", args=[overdue.pk]) in response.content.decode()

    def test_a_resident_cannot_open_it(self, client, alice):
        client.force_login(alice)
        response = client.get(TODO)
        assert response.status_code == 302 and "login" in response.url

    def test_login_takes_staff_to_it_and_residents_home(self, client, mia, alice):
        login = reverse("accounts:login")
        response = client.post(login, {"username": "mia", "password": "pw-Linli-2026"})
        assert response.status_code == 302 and response.url == TODO
        client.logout()
        response = client.post(login, {"username": "alice", "password": "pw-Linli-2026"})
        assert response.status_code == 302 and response.url == reverse("home")

    def test_the_header_greets_with_the_full_name(self, client, mia):
        client.force_login(mia)
        assert "Mia Chen" in client.get(TODO).content.decode()

    def test_a_supervisor_reaches_the_dashboard_from_it_and_a_mediator_does_not_get_the_link(self, client, mia, sam):
        dashboard = reverse("disputes:dashboard")
        client.force_login(sam)
        assert f'href="{dashboard}"' in client.get(TODO).content.decode().split('id="content"')[-1]
        client.force_login(mia)
        assert f'href="{dashboard}"' not in client.get(TODO).content.decode()

    @pytest.mark.parametrize("count", [10, 100])
    def test_it_runs_a_constant_number_of_queries(self, client, alice, areas, mia, count, django_assert_num_queries):
        now = timezone.now()
        for i in range(count):
            case = make_case(
                applicant=alice, area=areas["G1"], status=S.IN_MEDIATION if i % 2 else S.SUBMITTED, actor=mia
            )
            Case.objects.filter(pk=case.pk).update(next_due_at=now + timedelta(hours=i))
            meeting = meetings.meeting_create(
                community=areas["C1"], topic=f"T{i}", scheduled_at=now + timedelta(hours=i + 1), place="Hall",
                actor=mia, cases=[case],
            )  # fmt: skip
            meetings.resolution_add(meeting=meeting, text="x", due_date=timezone.localdate(), actor=mia, owner=mia)
        client.force_login(mia)
        client.get(TODO)  # warm the session and content types
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TODO).status_code == 200
        TodoQueryCounts.seen[count] = len(queries)
        if len(TodoQueryCounts.seen) == 2:
            assert TodoQueryCounts.seen[10] == TodoQueryCounts.seen[100], TodoQueryCounts.seen


class TodoQueryCounts:
    seen: dict[int, int] = {}


class CasePageQueryTests:
    @pytest.mark.parametrize("count", [10, 100])
    def test_the_case_page_runs_a_constant_number_of_queries(self, client, alice, bob, areas, mia, count):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=S.IN_MEDIATION, actor=mia)
        from disputes import services

        for i in range(count):
            case.refresh_from_db()
            services.case_event_record(case=case, actor=mia, kind=CaseEvent.Kind.NOTE, note=f"note {i}")
            meetings.meeting_create(
                community=areas["C1"],
                topic=f"T{i}",
                scheduled_at=timezone.now(),
                place="Hall",
                actor=mia,
                cases=[case],
            )
        client.force_login(mia)
        url = reverse("admin:disputes_case_change", args=[case.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        CasePageQueryCounts.seen[count] = len(queries)
        if len(CasePageQueryCounts.seen) == 2:
            assert CasePageQueryCounts.seen[10] == CasePageQueryCounts.seen[100], CasePageQueryCounts.seen


class CasePageQueryCounts:
    seen: dict[int, int] = {}
