"""The lifecycle buttons of the case page and the changelist actions (disputes/admin/cases.py)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from accounts.models import User
from disputes import services
from disputes.models import Case, CaseEvent
from disputes.selectors import mediator_suggest_for_case
from tests.factories import make_case, make_user

CHANGELIST = reverse("admin:disputes_case_changelist")


def step_url(case: Case, step: str) -> str:
    return reverse("admin:disputes_case_step", args=[case.pk, step])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def zh(text: str, **values) -> str:
    """The message as the (Chinese) admin shows it."""
    with translation.override("zh-hans"):
        return gettext(text) % values


def stale_message(case: Case) -> str:
    with translation.override("zh-hans"):
        return str(services.StaleCase(case.number))


@pytest.fixture
def max_(areas):
    """A grid worker of Grid 1, with no open cases."""
    return make_user("max", role=User.Role.MEDIATOR, areas=[areas["G1"]], full_name="Max Lin")


@pytest.fixture
def submitted(alice, bob, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"])


@pytest.fixture
def assigned(alice, bob, areas, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)


@pytest.fixture
def in_mediation(alice, bob, areas, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


@pytest.mark.django_db
class MediatorSuggestTests:
    def test_it_suggests_the_mediator_with_the_fewest_open_cases(self, assigned, submitted, mia, max_):
        assert mediator_suggest_for_case(submitted) == max_

    def test_it_ignores_mediators_of_other_communities(self, submitted, otto):
        assert mediator_suggest_for_case(submitted) is None

    def test_it_runs_one_query(self, submitted, mia, max_, django_assert_num_queries):
        case = Case.objects.select_related("area").get(pk=submitted.pk)  # as the admin loads it
        with django_assert_num_queries(1):
            assert mediator_suggest_for_case(case) == mia


@pytest.mark.django_db
class AcceptStepTests:
    def test_the_form_chooses_the_signed_in_mediator_and_lists_them_first(
        self, client, mia, max_, assigned, submitted
    ):
        client.force_login(mia)
        response = client.get(step_url(submitted, "accept"))
        assert response.status_code == 200
        assert response.context["form"]["mediator"].value() == mia.pk
        assert list(response.context["form"].fields["mediator"].queryset) == [mia, max_]

    def test_a_supervisor_gets_the_least_loaded_mediator_and_no_supervisors(
        self, client, mia, max_, sue, assigned, submitted
    ):
        client.force_login(sue)
        response = client.get(step_url(submitted, "accept"))
        assert response.context["form"]["mediator"].value() == max_.pk
        assert set(response.context["form"].fields["mediator"].queryset) == {mia, max_}

    def test_it_accepts_and_assigns(self, client, mia, max_, submitted):
        client.force_login(mia)
        response = client.post(step_url(submitted, "accept"), {"version": submitted.version, "mediator": max_.pk})
        assert response.url == reverse("admin:disputes_case_change", args=[submitted.pk])
        submitted.refresh_from_db()
        assert (submitted.status, submitted.mediator) == (Case.Status.ASSIGNED, max_)
        assert CaseEvent.objects.filter(case=submitted, kind=CaseEvent.Kind.ASSIGNED, actor=mia).exists()
        assert zh("Case %(number)s was accepted and assigned.", number=submitted.number) in messages_of(response)

    def test_it_refuses_a_mediator_of_another_community(self, client, mia, otto, submitted):
        client.force_login(mia)
        response = client.post(step_url(submitted, "accept"), {"version": submitted.version, "mediator": otto.pk})
        assert response.status_code == 200
        assert "mediator" in response.context["form"].errors
        submitted.refresh_from_db()
        assert submitted.status == Case.Status.SUBMITTED

    def test_it_loses_the_race_with_a_warning_and_no_event(self, client, mia, max_, submitted):
        client.force_login(mia)
        seen_version = submitted.version
        # Another mediator accepts the case from another page first.
        other = Case.objects.get(pk=submitted.pk)
        services.case_accept(case=other, actor=mia, mediator=mia)
        events = CaseEvent.objects.filter(case=submitted).count()
        response = client.post(step_url(submitted, "accept"), {"version": seen_version, "mediator": max_.pk})
        assert response.status_code == 302
        submitted.refresh_from_db()
        assert submitted.mediator == mia
        assert CaseEvent.objects.filter(case=submitted).count() == events
        warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
        assert warnings == [stale_message(submitted)]

    def test_a_step_that_does_not_fit_the_status_is_refused(self, client, mia, assigned):
        client.force_login(mia)
        response = client.post(step_url(assigned, "accept"), {"version": assigned.version, "mediator": mia.pk})
        assert response.status_code == 302
        assert CaseEvent.objects.filter(case=assigned).count() == 2  # submitted + assigned


@pytest.mark.django_db
class RejectStepTests:
    def test_it_rejects_with_reason_and_advice(self, client, mia, submitted):
        client.force_login(mia)
        client.post(
            step_url(submitted, "reject"),
            {"version": submitted.version, "reason": "A contract claim.", "advice": "Go to the court."},
        )
        submitted.refresh_from_db()
        assert submitted.status == Case.Status.REJECTED
        assert (submitted.rejection_reason, submitted.rejection_advice) == ("A contract claim.", "Go to the court.")

    def test_it_requires_the_advice(self, client, mia, submitted):
        client.force_login(mia)
        response = client.post(step_url(submitted, "reject"), {"version": submitted.version, "reason": "No."})
        assert "advice" in response.context["form"].errors
        submitted.refresh_from_db()
        assert submitted.status == Case.Status.SUBMITTED


@pytest.mark.django_db
class AcknowledgeStepTests:
    def test_it_acknowledges(self, client, mia, assigned):
        client.force_login(mia)
        client.post(step_url(assigned, "acknowledge"), {"version": assigned.version})
        assigned.refresh_from_db()
        assert assigned.status == Case.Status.IN_MEDIATION
        assert assigned.acknowledged_at is not None

    def test_it_loses_the_race_when_the_case_was_reassigned_meanwhile(self, client, mia, max_, sue, assigned):
        client.force_login(mia)
        seen_version = assigned.version
        services.case_reassign(case=Case.objects.get(pk=assigned.pk), actor=sue, mediator=max_)
        events = CaseEvent.objects.filter(case=assigned).count()
        response = client.post(step_url(assigned, "acknowledge"), {"version": seen_version})
        assigned.refresh_from_db()
        assert assigned.status == Case.Status.ASSIGNED
        assert CaseEvent.objects.filter(case=assigned).count() == events
        assert stale_message(assigned) in messages_of(response)


@pytest.mark.django_db
class EscalateStepTests:
    def test_it_moves_the_case_a_tier_up_and_keeps_its_number(self, client, mia, in_mediation):
        number = in_mediation.number
        client.force_login(mia)
        client.post(step_url(in_mediation, "escalate"), {"version": in_mediation.version, "reason": "Too big."})
        in_mediation.refresh_from_db()
        assert (in_mediation.number, in_mediation.tier) == (number, Case.Tier.COMMUNITY)
        assert (in_mediation.status, in_mediation.mediator) == (Case.Status.ASSIGNED, None)
        assert CaseEvent.objects.filter(case=in_mediation, kind=CaseEvent.Kind.ESCALATED, note="Too big.").exists()

    def test_it_requires_a_reason(self, client, mia, in_mediation):
        client.force_login(mia)
        response = client.post(step_url(in_mediation, "escalate"), {"version": in_mediation.version})
        assert "reason" in response.context["form"].errors
        in_mediation.refresh_from_db()
        assert in_mediation.tier == Case.Tier.GRID


@pytest.mark.django_db
class ExtendStepTests:
    def test_it_extends_once(self, client, mia, in_mediation):
        due = in_mediation.resolve_due_at
        client.force_login(mia)
        client.post(
            step_url(in_mediation, "extend"), {"version": in_mediation.version, "consent_note": "Both agreed."}
        )
        in_mediation.refresh_from_db()
        assert in_mediation.extended is True
        assert in_mediation.resolve_due_at > due
        # A second extension is not offered.
        response = client.post(
            step_url(in_mediation, "extend"), {"version": in_mediation.version, "consent_note": "x"}
        )
        assert response.status_code == 302
        assert CaseEvent.objects.filter(case=in_mediation, kind=CaseEvent.Kind.EXTENDED).count() == 1


@pytest.mark.django_db
class TerminateStepTests:
    def test_it_terminates_with_the_routes_advised(self, client, mia, in_mediation):
        client.force_login(mia)
        client.post(
            step_url(in_mediation, "terminate"),
            {"version": in_mediation.version, "routes_advised": "Court.", "note": "Bob refused."},
        )
        in_mediation.refresh_from_db()
        assert (in_mediation.status, in_mediation.outcome) == (Case.Status.CLOSED, Case.Outcome.TERMINATED)
        assert in_mediation.routes_advised == "Court."

    def test_it_requires_the_routes(self, client, mia, in_mediation):
        client.force_login(mia)
        client.post(step_url(in_mediation, "terminate"), {"version": in_mediation.version, "routes_advised": ""})
        in_mediation.refresh_from_db()
        assert in_mediation.status == Case.Status.IN_MEDIATION


@pytest.mark.django_db
class ReopenStepTests:
    def test_it_reopens_a_closed_case(self, client, mia, alice, areas):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.CLOSED, actor=mia)
        client.force_login(mia)
        client.post(step_url(case, "reopen"), {"version": case.version, "reason": "The agreement failed."})
        case.refresh_from_db()
        assert case.status == Case.Status.IN_MEDIATION
        assert case.closed_at is None


@pytest.mark.django_db
class ReassignStepTests:
    def test_a_supervisor_reassigns(self, client, sue, max_, assigned):
        client.force_login(sue)
        client.post(step_url(assigned, "reassign"), {"version": assigned.version, "mediator": max_.pk})
        assigned.refresh_from_db()
        assert assigned.mediator == max_

    def test_a_mediator_cannot(self, client, mia, max_, assigned):
        client.force_login(mia)
        response = client.post(step_url(assigned, "reassign"), {"version": assigned.version, "mediator": max_.pk})
        assert response.status_code == 403
        assigned.refresh_from_db()
        assert assigned.mediator == mia


@pytest.mark.django_db
class CaseActionTests:
    def post_action(self, client, action: str, cases, **extra):
        data = {"action": action, "_selected_action": [c.pk for c in cases], "index": 0, **extra}
        return client.post(CHANGELIST, data)

    def test_it_acknowledges_in_bulk(self, client, mia, alice, areas):
        cases = [
            make_case(applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia) for _ in range(2)
        ]
        client.force_login(mia)
        response = self.post_action(client, "acknowledge_cases", cases)
        assert all(c.status == Case.Status.IN_MEDIATION for c in Case.objects.filter(pk__in=[c.pk for c in cases]))
        with translation.override("zh-hans"):
            expected = ngettext("%(count)d case was updated.", "%(count)d cases were updated.", 2) % {"count": 2}
        assert expected in messages_of(response)

    def test_a_case_moved_meanwhile_gets_an_error_and_no_event(self, client, mia, in_mediation):
        client.force_login(mia)
        events = CaseEvent.objects.filter(case=in_mediation).count()
        response = self.post_action(client, "acknowledge_cases", [in_mediation])
        assert CaseEvent.objects.filter(case=in_mediation).count() == events
        assert any(in_mediation.number in m for m in messages_of(response))

    def test_it_accepts_with_the_suggested_mediator(self, client, mia, max_, assigned, submitted):
        client.force_login(mia)
        self.post_action(client, "accept_with_suggested_mediator", [submitted])
        submitted.refresh_from_db()
        assert (submitted.status, submitted.mediator) == (Case.Status.ASSIGNED, max_)

    def test_a_supervisor_reassigns_in_bulk(self, client, sue, max_, mia, alice, areas):
        cases = [
            make_case(applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia) for _ in range(2)
        ]
        client.force_login(sue)
        page = self.post_action(client, "reassign_cases", cases)
        assert page.status_code == 200
        assert "form" in page.context
        self.post_action(client, "reassign_cases", cases, apply="1", mediator=max_.pk)
        assert {c.mediator for c in Case.objects.filter(pk__in=[c.pk for c in cases])} == {max_}

    def test_a_mediator_has_no_bulk_reassign(self, client, mia, max_, assigned):
        client.force_login(mia)
        self.post_action(client, "reassign_cases", [assigned], apply="1", mediator=max_.pk)
        assigned.refresh_from_db()
        assert assigned.mediator == mia
