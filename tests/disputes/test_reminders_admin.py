"""The reminder log and the deadline policies in the admin."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import User
from disputes.models import Case, DeadlinePolicy, Reminder
from disputes.services.reminders import reminders_scan
from tests.factories import make_case, make_user

LOG = reverse("admin:disputes_reminder_changelist")
POLICIES = reverse("admin:disputes_deadlinepolicy_changelist")
ADD_POLICY = reverse("admin:disputes_deadlinepolicy_add")


@pytest.fixture
def admin_user(areas):
    return make_user("ada", role=User.Role.ADMINISTRATOR, areas=[areas["D"]])


@pytest.fixture
def overdue(areas, alice, mia, otto):
    mine = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
    other = make_case(applicant=alice, area=areas["G2"], status=Case.Status.IN_MEDIATION, actor=otto)
    reminders_scan(now=max(mine.next_due_at, other.next_due_at) + timedelta(hours=1))
    return mine, other


def policy_data(**overrides) -> dict:
    data = {
        "category": "",
        "tier": "",
        "accept_days": 3,
        "acknowledge_days": 1,
        "resolve_days": 30,
        "extension_days": 30,
        "follow_up_days": 15,
        "confirmation_days": 30,
        "legacy_days": 90,
        "due_soon_days": 3,
    }
    return {**data, **overrides}


@pytest.mark.django_db
class ReminderAdminTests:
    def test_the_log_lists_filters_and_searches_reminders(self, client, admin_user, overdue):
        mine, other = overdue
        client.force_login(admin_user)

        listed = client.get(LOG, {"rule": "overdue", "channel": "email", "state": "pending"})
        searched = client.get(LOG, {"q": mine.number})
        by_case = client.get(LOG, {"case__id__exact": other.pk})

        assert listed.status_code == 200
        assert {r.case_id for r in listed.context["cl"].result_list} == {mine.pk, other.pk}
        assert {r.case_id for r in searched.context["cl"].result_list} == {mine.pk}
        assert {r.case_id for r in by_case.context["cl"].result_list} == {other.pk}

    def test_a_mediator_sees_only_the_reminders_of_their_areas(self, client, mia, overdue):
        mine, other = overdue
        client.force_login(mia)

        response = client.get(LOG, {"rule": "overdue"})

        assert response.status_code == 200
        assert {r.case_id for r in response.context["cl"].result_list} == {mine.pk}
        row = Reminder.objects.filter(case=other).first()
        assert client.get(reverse("admin:disputes_reminder_change", args=[row.pk])).status_code in (302, 404)

    def test_the_change_page_is_read_only(self, client, admin_user, overdue):
        row = Reminder.objects.filter(rule="overdue").first()
        client.force_login(admin_user)
        url = reverse("admin:disputes_reminder_change", args=[row.pk])

        page = client.get(url)
        client.post(url, {"state": "sent"})

        assert page.status_code == 200
        assert not page.context["has_change_permission"]
        row.refresh_from_db()
        assert row.state == Reminder.State.PENDING

    def test_retry_failed_resets_failed_rows_to_pending(
        self, client, admin_user, overdue, django_capture_on_commit_callbacks
    ):
        failed = Reminder.objects.filter(rule="overdue", channel="email")
        failed.update(state=Reminder.State.FAILED, attempts=3, last_error="mail server down")
        client.force_login(admin_user)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                LOG, {"action": "retry_failed", "_selected_action": [r.pk for r in failed]}, follow=True
            )

        assert response.status_code == 200
        states = set(Reminder.objects.filter(rule="overdue", channel="email").values_list("state", "attempts"))
        # Eager tasks in the tests: the retry was sent at once.
        assert states == {(Reminder.State.SENT, 1)}

    def test_a_supervisor_cannot_retry(self, client, sam, overdue):
        client.force_login(sam)

        response = client.get(LOG)

        form = response.context["action_form"]
        assert response.status_code == 200
        assert form is None or "retry_failed" not in [value for value, _ in form.fields["action"].choices]


@pytest.mark.django_db
class DeadlinePolicyAdminTests:
    def test_an_administrator_adds_a_policy(self, client, admin_user):
        client.force_login(admin_user)

        response = client.post(ADD_POLICY, policy_data(tier=Case.Tier.COMMUNITY, resolve_days=20))

        assert response.status_code == 302
        assert DeadlinePolicy.objects.get(tier=Case.Tier.COMMUNITY, category=None).resolve_days == 20
        assert client.get(POLICIES).status_code == 200

    def test_a_second_policy_for_the_same_blank_category_and_tier_is_refused(self, client, admin_user):
        DeadlinePolicy.objects.create(category=None, tier=None)
        client.force_login(admin_user)

        response = client.post(ADD_POLICY, policy_data())

        assert response.status_code == 200
        assert DeadlinePolicy.objects.count() == 1
        assert response.context["adminform"].form.non_field_errors()

    def test_a_mediator_cannot_change_policies(self, client, mia):
        client.force_login(mia)

        assert client.post(ADD_POLICY, policy_data()).status_code == 403
