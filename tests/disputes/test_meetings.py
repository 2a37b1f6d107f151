"""Four-party meetings: seats, holding, resolutions, the admin and the parties' view."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from disputes import selectors
from disputes.models import Case, CaseEvent, Meeting, MeetingSeat, Resolution, SeatTemplate
from disputes.services import meetings as svc
from disputes.services.cases import CaseError
from tests.factories import make_case, make_estate

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(alice, bob, mia, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


@pytest.fixture
def other_case(carol, mia, areas):
    return make_case(
        applicant=carol, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia, title="Leaking pipe"
    )


@pytest.fixture
def meeting(case, other_case, mia, areas):
    estate = make_estate(areas["C1"], grid=areas["G1"])
    return svc.meeting_create(
        community=areas["C1"],
        estate=estate,
        topic="Noise and leaks in building 3",
        scheduled_at=timezone.now(),
        place="Community hall",
        actor=mia,
        cases=[case, other_case],
    )


def _attend_all(meeting, except_role=None):
    for seat in meeting.seats.all():
        if seat.role != except_role:
            svc.meeting_seat_record(seat=seat, attendance=MeetingSeat.Attendance.PRESENT, attendee_name="Someone")


class MeetingTests:
    def test_it_copies_the_default_seats_and_fills_in_the_estate_organisations(self, meeting):
        seats = list(meeting.seats.all())
        assert [s.role for s in seats] == list(SeatTemplate.objects.values_list("name", flat=True))
        assert len(seats) == 4 and all(s.required for s in seats)
        by_kind = {t.organisation_kind: t.name for t in SeatTemplate.objects.all()}
        property_seat = next(s for s in seats if s.role == by_kind["property_manager"])
        assert property_seat.organisation == meeting.estate.property_manager

    def test_it_refuses_to_hold_a_meeting_with_a_missing_required_seat(self, meeting, mia, case):
        missing = meeting.seats.first()
        _attend_all(meeting, except_role=missing.role)
        with pytest.raises(CaseError) as exc:
            svc.meeting_record_held(meeting=meeting, actor=mia)
        assert missing.role in str(exc.value)
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.SCHEDULED and meeting.held_at is None
        assert not case.events.filter(kind=CaseEvent.Kind.MEETING).exists()

    def test_it_refuses_an_absence_without_a_reason(self, meeting, mia):
        seat = meeting.seats.first()
        _attend_all(meeting, except_role=seat.role)
        with pytest.raises(CaseError):
            svc.meeting_seat_record(seat=seat, attendance=MeetingSeat.Attendance.EXCUSED, absence_reason=" ")
        MeetingSeat.objects.filter(pk=seat.pk).update(attendance=MeetingSeat.Attendance.ABSENT)
        with pytest.raises(CaseError):
            svc.meeting_record_held(meeting=meeting, actor=mia)

    def test_it_holds_a_meeting_with_an_excused_seat(self, meeting, mia):
        seat = meeting.seats.first()
        _attend_all(meeting, except_role=seat.role)
        svc.meeting_seat_record(seat=seat, attendance=MeetingSeat.Attendance.EXCUSED, absence_reason="Out of town")
        svc.meeting_record_held(meeting=meeting, actor=mia)
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.HELD and meeting.held_at is not None

    def test_an_optional_seat_may_stay_empty(self, meeting, mia):
        MeetingSeat.objects.create(meeting=meeting, role="Community police", required=False)
        _attend_all(meeting, except_role="Community police")
        svc.meeting_record_held(meeting=meeting, actor=mia)
        assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.HELD

    def test_holding_writes_a_public_event_on_every_linked_case_without_the_minutes(
        self, meeting, mia, case, other_case
    ):
        Meeting.objects.filter(pk=meeting.pk).update(minutes="SECRET internal minutes")
        _attend_all(meeting)
        version = Case.objects.get(pk=case.pk).version
        svc.meeting_record_held(meeting=meeting, actor=mia)
        for c in (case, other_case):
            event = c.events.get(kind=CaseEvent.Kind.MEETING)
            assert event.is_public and event.data == {"meeting": meeting.pk}
            assert "Community hall" in event.note and "SECRET" not in event.note
        assert Case.objects.get(pk=case.pk).version == version + 1

    def test_a_held_meeting_cannot_be_held_again(self, meeting, mia, case):
        _attend_all(meeting)
        svc.meeting_record_held(meeting=meeting, actor=mia)
        with pytest.raises(CaseError):
            svc.meeting_record_held(meeting=meeting, actor=mia)
        assert case.events.filter(kind=CaseEvent.Kind.MEETING).count() == 1

    def test_it_is_convened_by_a_community(self, mia, areas):
        with pytest.raises(CaseError):
            svc.meeting_create(community=areas["S1"], topic="x", scheduled_at=timezone.now(), place="y", actor=mia)


class ResolutionTests:
    def test_a_resolution_needs_an_owner(self, meeting, mia):
        with pytest.raises(CaseError) as exc:
            svc.resolution_add(meeting=meeting, text="Fix the pipe", due_date=date.today(), actor=mia)
        assert str(exc.value) == gettext("Name who is responsible for this resolution.")
        assert not Resolution.objects.exists()

    def test_a_resolution_needs_a_due_date(self, meeting, mia):
        with pytest.raises(CaseError) as exc:
            svc.resolution_add(
                meeting=meeting, text="Fix the pipe", due_date=None, owner_name="Property Co", actor=mia
            )
        assert str(exc.value) == gettext("Set a due date for this resolution.")
        assert not Resolution.objects.exists()

    def test_completion_is_tracked_with_an_event_on_the_linked_case(self, meeting, mia, case, other_case):
        r = svc.resolution_add(
            meeting=meeting,
            text="Quiet hours from 22:00",
            due_date=date.today() + timedelta(days=7),
            owner_name="Property Co",
            case=case,
            actor=mia,
        )
        assert r.status == Resolution.Status.OPEN
        svc.resolution_set_status(resolution=r, status=Resolution.Status.IN_PROGRESS, actor=mia)
        svc.resolution_complete(resolution=r, actor=mia, note="Notice posted in the lift")
        r.refresh_from_db()
        assert r.status == Resolution.Status.DONE and r.completed_at is not None
        assert r.completion_note == "Notice posted in the lift"
        event = case.events.get(kind=CaseEvent.Kind.RESOLUTION)
        assert event.data == {"resolution": r.pk} and "Quiet hours" in event.note
        assert not other_case.events.filter(kind=CaseEvent.Kind.RESOLUTION).exists()
        with pytest.raises(CaseError):
            svc.resolution_complete(resolution=r, actor=mia, note="again")
        assert case.events.filter(kind=CaseEvent.Kind.RESOLUTION).count() == 1

    def test_completing_a_general_resolution_writes_on_every_case_of_the_meeting(self, meeting, mia, case, other_case):
        r = svc.resolution_add(meeting=meeting, text="Repaint", due_date=date.today(), owner_name="PM", actor=mia)
        with pytest.raises(CaseError):
            svc.resolution_complete(resolution=r, actor=mia, note="  ")
        svc.resolution_complete(resolution=r, actor=mia, note="Done")
        assert case.events.filter(kind=CaseEvent.Kind.RESOLUTION).count() == 1
        assert other_case.events.filter(kind=CaseEvent.Kind.RESOLUTION).count() == 1


class PartyViewTests:
    def test_parties_see_the_meeting_and_their_resolutions_without_the_minutes(
        self, meeting, mia, case, other_case, alice, django_assert_max_num_queries
    ):
        Meeting.objects.filter(pk=meeting.pk).update(minutes="SECRET minutes")
        svc.resolution_add(
            meeting=meeting, text="Quiet after 22:00", due_date=date.today(), owner_name="PM", case=case, actor=mia
        )
        svc.resolution_add(
            meeting=meeting, text="Carol's pipe", due_date=date.today(), owner_name="PM", case=other_case, actor=mia
        )
        _attend_all(meeting)
        svc.meeting_record_held(meeting=meeting, actor=mia)
        client = Client()
        client.force_login(alice)
        response = client.get(reverse("disputes:case_detail", args=[case.number]))
        body = response.content.decode()
        assert response.status_code == 200
        assert "Quiet after 22:00" in body and "Community hall" in body
        assert "SECRET" not in body and "Carol&#x27;s pipe" not in body and "Carol's pipe" not in body

    def test_the_selector_runs_constant_queries(self, meeting, case, mia, areas, django_assert_num_queries):
        for i in range(3):
            m = svc.meeting_create(
                community=areas["C1"], topic=f"m{i}", scheduled_at=timezone.now(), place="p", actor=mia, cases=[case]
            )
            svc.resolution_add(meeting=m, text="r", due_date=date.today(), owner_name="x", case=case, actor=mia)
        with django_assert_num_queries(2):
            meetings = list(selectors.meeting_list_for_case(case))
            assert sum(len(m.case_resolutions) for m in meetings) == 3
        assert len(meetings) == 4


class MeetingAdminTests:
    def _post(self, client, url, meeting_data, seats=(), resolutions=(), agenda=(), extra=None):
        data = {**meeting_data, **(extra or {})}
        for prefix, rows, fields in (
            (
                "seats",
                seats,
                ["id", "role", "organisation", "required", "attendee_name", "attendance", "absence_reason"],
            ),
            ("agenda_items", agenda, ["id", "case", "topic", "order"]),
            (
                "resolutions",
                resolutions,
                ["id", "case", "text", "owner_name", "owner", "due_date", "status", "completion_note"],
            ),
        ):
            initial = sum(1 for r in rows if r.get("id"))
            data.update(
                {
                    f"{prefix}-TOTAL_FORMS": len(rows),
                    f"{prefix}-INITIAL_FORMS": initial,
                    f"{prefix}-MIN_NUM_FORMS": 0,
                    f"{prefix}-MAX_NUM_FORMS": 1000,
                }
            )
            for i, row in enumerate(rows):
                for f in fields:
                    value = row.get(f, "")
                    if value is True:
                        value = "on"
                    if value is not False and value is not None:
                        data[f"{prefix}-{i}-{f}"] = value
                data[f"{prefix}-{i}-meeting"] = row.get("meeting", "")
        return client.post(url, data)

    def test_a_mediator_adds_a_meeting_records_attendance_and_resolutions_and_holds_it(self, mia, case, areas):
        client = Client()
        client.force_login(mia)
        now = timezone.localtime()
        base = {
            "community": areas["C1"].pk,
            "topic": "Noise",
            "scheduled_at_0": now.strftime("%Y-%m-%d"),
            "scheduled_at_1": now.strftime("%H:%M:%S"),
            "place": "Hall",
            "minutes": "m",
            "decisions": "d",
        }
        # Scheduled from the case page: the case is on the agenda, and back to the case.
        response = client.post(
            reverse("admin:disputes_case_document", args=[case.pk, "meeting"]),
            {
                "version": case.version,
                "community": areas["C1"].pk,
                "topic": "Noise",
                "scheduled_at": now.strftime("%Y-%m-%dT%H:%M"),
                "place": "Hall",
            },
        )
        meeting = Meeting.objects.get()
        assert response.status_code == 302 and response.url == reverse("admin:disputes_case_change", args=[case.pk])
        assert meeting.seats.count() == 4 and meeting.created_by == mia
        assert list(meeting.agenda_items.values_list("case", flat=True)) == [case.pk]

        url = reverse("admin:disputes_meeting_change", args=[meeting.pk])
        seats = [
            {
                "id": s.pk,
                "meeting": meeting.pk,
                "role": s.role,
                "required": s.required,
                "attendee_name": "Rep",
                "attendance": "present",
            }
            for s in meeting.seats.all()
        ]
        seats[0].update(attendance="absent", attendee_name="")
        agenda = [
            {"id": a.pk, "meeting": meeting.pk, "case": a.case_id, "order": 0} for a in meeting.agenda_items.all()
        ]
        resolutions = [
            {
                "case": case.pk,
                "text": "Quiet after 22:00",
                "owner_name": "Property Co",
                "due_date": (date.today() + timedelta(days=7)).isoformat(),
                "status": "open",
            }
        ]
        response = self._post(
            client, url, base, seats=seats, agenda=agenda, resolutions=resolutions, extra={"_mark_held": "1"}
        )
        assert response.status_code == 302
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.SCHEDULED  # the absent required seat refuses it
        assert Resolution.objects.get().owner_name == "Property Co"
        messages = [str(m) for m in response.wsgi_request._messages]
        assert any(seats[0]["role"] in m for m in messages)

        seats[0].update(attendance="absent_excused", absence_reason="Ill")
        resolutions = [{**resolutions[0], "id": Resolution.objects.get().pk, "meeting": meeting.pk}]
        response = self._post(
            client, url, base, seats=seats, agenda=agenda, resolutions=resolutions, extra={"_mark_held": "1"}
        )
        meeting.refresh_from_db()
        assert meeting.status == Meeting.Status.HELD
        assert case.events.filter(kind=CaseEvent.Kind.MEETING).exists()

    def test_a_resolution_without_a_due_date_is_a_form_error(self, mia, meeting, case):
        client = Client()
        client.force_login(mia)
        url = reverse("admin:disputes_meeting_change", args=[meeting.pk])
        base = {
            "community": meeting.community_id,
            "topic": meeting.topic,
            "place": meeting.place,
            "scheduled_at_0": timezone.localtime(meeting.scheduled_at).strftime("%Y-%m-%d"),
            "scheduled_at_1": "10:00:00",
        }
        seats = [
            {"id": s.pk, "meeting": meeting.pk, "role": s.role, "required": True, "attendance": "unknown"}
            for s in meeting.seats.all()
        ]
        agenda = [{"id": a.pk, "meeting": meeting.pk, "case": a.case_id} for a in meeting.agenda_items.all()]
        response = self._post(
            client,
            url,
            base,
            seats=seats,
            agenda=agenda,
            resolutions=[{"text": "x", "owner_name": "PM", "status": "open"}],
        )
        assert response.status_code == 200  # the form is shown again with its error
        assert not Resolution.objects.exists()

    def test_the_changelist_is_scoped_to_the_mediators_communities(self, meeting, mia, otto):
        client = Client()
        client.force_login(otto)
        assert client.get(reverse("admin:disputes_meeting_change", args=[meeting.pk])).status_code == 302
        response = client.get(reverse("admin:disputes_meeting_changelist"))
        assert response.status_code == 200 and meeting.topic not in response.content.decode()
        client.force_login(mia)
        response = client.get(reverse("admin:disputes_meeting_changelist") + "?q=Noise")
        assert meeting.topic in response.content.decode()

    def test_the_mark_held_action_reports_refusals(self, meeting, mia):
        client = Client()
        client.force_login(mia)
        response = client.post(
            reverse("admin:disputes_meeting_changelist"),
            {"action": "mark_held", "_selected_action": [meeting.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED
        role = meeting.seats.first().role
        assert any(role in str(m) for m in response.context["messages"])
