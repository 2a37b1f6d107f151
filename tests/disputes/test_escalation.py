"""Escalation reaches the tier above (issue 11): a case escalated without naming a mediator enters
the queue of the area that handles the new tier, whose mediators and supervisors are told, and its
reminders go to them, not back to the grid worker who escalated it."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import User
from disputes import services
from disputes.models import Case, InboxMessage, Reminder
from disputes.services.reminders import reminders_scan
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def grid_worker(areas):
    return make_user("gw", role=User.Role.MEDIATOR, areas=[areas["G1"]], full_name="Grid Worker")


@pytest.fixture
def centre(areas):
    """The district's governance centre (区矛调中心): a mediator serving the district."""
    return make_user("centre", role=User.Role.MEDIATOR, areas=[areas["D"]], full_name="District Centre")


@pytest.fixture
def at_subdistrict(areas, alice, grid_worker, sue):
    """A case of Grid 1 already handled at the subdistrict tier, in mediation with the grid worker."""
    case = make_case(
        applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=sue, mediator=grid_worker
    )
    Case.objects.filter(pk=case.pk).update(tier=Case.Tier.SUBDISTRICT)
    case.refresh_from_db()
    return case


class EscalationTests:
    def test_it_enters_the_queue_of_the_tier_above_and_its_staff_are_told(
        self, at_subdistrict, grid_worker, centre, sam, sue, mia, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            event = services.case_escalate(case=at_subdistrict, actor=grid_worker, reason="Needs the district.")
        at_subdistrict.refresh_from_db()
        assert at_subdistrict.tier == Case.Tier.DISTRICT and at_subdistrict.mediator is None
        messages = InboxMessage.objects.filter(source_key=f"event:{event.pk}")
        told = set(messages.values_list("recipient__username", flat=True))
        assert {"centre", "sam"} <= told  # the district's mediator and supervisor
        assert not {"gw", "sue", "mia"} & told

    def test_its_reminder_goes_to_the_tier_above_not_the_grid_worker(
        self, at_subdistrict, grid_worker, centre, sam, mia
    ):
        services.case_escalate(case=at_subdistrict, actor=grid_worker, reason="Needs the district.")
        at_subdistrict.refresh_from_db()
        reminders_scan(now=at_subdistrict.status_changed_at + DAY + timedelta(minutes=10))
        recipients = set(
            Reminder.objects.filter(case=at_subdistrict, rule="unacknowledged").values_list(
                "recipient__username", flat=True
            )
        )
        assert recipients == {"centre", "sam"}

    def test_the_tier_above_finds_it_in_its_queue(self, client, at_subdistrict, grid_worker, centre, areas, alice):
        services.case_escalate(case=at_subdistrict, actor=grid_worker, reason="Needs the district.")
        submitted = make_case(applicant=alice, area=areas["C2"])  # community work, not the centre's queue
        client.force_login(centre)
        response = client.get(reverse("admin:disputes_case_changelist") + "?assigned=my_tier")
        assert response.status_code == 200
        assert [c.pk for c in response.context["cl"].result_list] == [at_subdistrict.pk]
        assert submitted.pk not in [c.pk for c in response.context["cl"].result_list]

    def test_a_grid_case_escalated_to_the_community_goes_to_its_mediators(self, areas, alice, grid_worker, sue, mia):
        case = make_case(
            applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=sue, mediator=grid_worker
        )
        services.case_escalate(case=case, actor=grid_worker, reason="Beyond the grid.")
        case.refresh_from_db()
        reminders_scan(now=case.status_changed_at + DAY + timedelta(minutes=10))
        recipients = set(
            Reminder.objects.filter(case=case, rule="unacknowledged").values_list("recipient__username", flat=True)
        )
        assert recipients == {"mia"}
