"""Supervision lists and the one-click supervision order (督办)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from disputes.models import Case, CaseEvent, InboxMessage, Reminder
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(areas, alice, mia, otto, sam):
    """c1 (Community 1) and c2 (Community 2) overdue by 3 days; c3 in Community 1 unassigned."""
    c1 = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=sam, mediator=mia)
    c2 = make_case(applicant=alice, area=areas["C2"], status=Case.Status.IN_MEDIATION, actor=sam, mediator=otto)
    c3 = make_case(applicant=alice, area=areas["G1"])
    Case.objects.filter(pk__in=[c1.pk, c2.pk]).update(next_due_at=timezone.now() - timedelta(days=3, hours=1))
    return {"c1": c1, "c2": c2, "c3": c3}


class SupervisionListTests:
    def test_it_lists_overdue_cases_with_mediator_and_days(self, late, sam, client):
        client.force_login(sam)
        page = client.get("/dashboard/supervision/", {"list": "overdue"})
        assert page.status_code == 200
        cases = page.context["cases"]
        assert [c.number for c in cases] == sorted([late["c1"].number, late["c2"].number])
        assert {c.days_overdue for c in cases} == {3}
        assert "Mia Chen" in page.content.decode()

    def test_unassigned_list(self, late, sam, client):
        client.force_login(sam)
        page = client.get("/dashboard/supervision/", {"list": "unassigned"})
        assert [c.number for c in page.context["cases"]] == [late["c3"].number]

    def test_a_community_supervisor_sees_only_their_community(self, late, areas, client):
        cathy = make_user("cathy", role=User.Role.SUPERVISOR, areas=[areas["C1"]])
        client.force_login(cathy)
        page = client.get("/dashboard/supervision/", {"list": "overdue"})
        assert [c.number for c in page.context["cases"]] == [late["c1"].number]
        assert f"area={areas['C1'].pk}" in page.context["list_url"]

    def test_mediators_are_refused(self, late, mia, client):
        client.force_login(mia)
        assert client.get("/dashboard/supervision/").status_code == 403


class SupervisionOrderTests:
    def _order(self, client, case):
        return client.post(f"/dashboard/supervision/{case.number}/", {"note": "Call the parties today."})

    def test_it_records_the_event_and_notifies_the_mediator(
        self, late, sam, mia, client, django_capture_on_commit_callbacks
    ):
        client.force_login(sam)
        with django_capture_on_commit_callbacks(execute=True):
            response = self._order(client, late["c1"])
        assert response.status_code == 302
        event = CaseEvent.objects.get(case=late["c1"], kind=CaseEvent.Kind.SUPERVISION)
        assert event.actor == sam and not event.is_public and event.note == "Call the parties today."
        reminder = Reminder.objects.get(case=late["c1"], rule="supervision")
        assert reminder.recipient == mia and reminder.channel == Reminder.Channel.SMS
        assert reminder.state == Reminder.State.SENT
        assert InboxMessage.objects.filter(recipient=mia, case=late["c1"], source_key=f"event:{event.pk}").exists()

    def test_a_second_order_the_same_day_is_refused(self, late, sam, client):
        client.force_login(sam)
        self._order(client, late["c1"])
        response = self._order(client, late["c1"])
        assert CaseEvent.objects.filter(case=late["c1"], kind=CaseEvent.Kind.SUPERVISION).count() == 1
        messages = [str(m) for m in response.wsgi_request._messages]
        assert (
            gettext("Supervision of case %(number)s was already ordered today.") % {"number": late["c1"].number}
            in messages
        )

    def test_a_case_outside_the_scope_is_not_found(self, late, sue, client):
        client.force_login(sue)
        assert self._order(client, late["c2"]).status_code == 404
        assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.SUPERVISION).exists()

    def test_it_rejects_get(self, late, sam, client):
        client.force_login(sam)
        assert client.get(f"/dashboard/supervision/{late['c1'].number}/").status_code == 405
