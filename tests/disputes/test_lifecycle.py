"""The case lifecycle: every status move goes through services.case_transition."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from disputes import services
from disputes.models import CASE_TRANSITIONS, Case, CaseEvent, Category, DeadlinePolicy
from tests.factories import make_case

S = Case.Status
ALL_PAIRS = list(itertools.product(S.values, S.values))
ALLOWED = [(old, new) for old, new in ALL_PAIRS if new in CASE_TRANSITIONS[old]]
REFUSED = [(old, new) for old, new in ALL_PAIRS if new not in CASE_TRANSITIONS[old]]
DAY = timedelta(days=1)


def snapshot(case: Case) -> dict:
    """Every column of the case row."""
    return Case.objects.values().get(pk=case.pk)


def between(value, start, end, delta) -> bool:
    """value == (a moment between start and end) + delta."""
    return start + delta <= value <= end + delta


@pytest.fixture
def case_in(alice, bob, mia, areas):
    def build(status: str) -> Case:
        return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=status, actor=mia, mediator=mia)

    return build


def test_the_table_has_every_pair():
    assert len(ALLOWED) + len(REFUSED) == len(S.values) ** 2 == 49
    assert len(ALLOWED) == 14


@pytest.mark.django_db
class CaseTransitionTests:
    @pytest.mark.parametrize(("old", "new"), ALLOWED, ids=[f"{o}->{n}" for o, n in ALLOWED])
    def test_it_makes_allowed_moves_and_records_one_event(self, case_in, sue, old, new):
        case = case_in(old)
        events_before = set(case.events.values_list("pk", flat=True))
        version = case.version
        start = timezone.now()

        event = services.case_transition(case=case, to=new, actor=sue, note="Table test")

        case.refresh_from_db()
        new_events = list(case.events.exclude(pk__in=events_before))
        assert new_events == [event]
        assert (event.old_status, event.new_status, event.actor, event.note) == (old, new, sue, "Table test")
        assert case.status == new
        assert case.version == version + 1
        assert start <= case.status_changed_at <= event.created_at

    @pytest.mark.parametrize(("old", "new"), REFUSED, ids=[f"{o}->{n}" for o, n in REFUSED])
    def test_it_refuses_other_moves_and_changes_nothing(self, case_in, sue, old, new):
        case = case_in(old)
        events = case.events.count()
        before = snapshot(case)

        with pytest.raises(services.InvalidTransition) as caught:
            services.case_transition(case=case, to=new, actor=sue)

        assert str(caught.value) == gettext("A case that is “%(old)s” cannot become “%(new)s”.") % {
            "old": S(old).label,
            "new": S(new).label,
        }
        assert case.events.count() == events
        assert snapshot(case) == before

    def test_a_stale_instance_loses_the_race_and_writes_nothing(self, case_in, mia, sue):
        case = case_in(S.SUBMITTED)
        mine = Case.objects.get(pk=case.pk)
        other_worker = Case.objects.get(pk=case.pk)
        services.case_accept(case=other_worker, actor=sue, mediator=mia)  # the other worker moves it first
        events = CaseEvent.objects.filter(case=case).count()

        with pytest.raises(services.StaleCase) as caught:
            services.case_reject(case=mine, actor=sue, reason="Not civil.", advice="Call 12345.")

        assert str(caught.value) == gettext(
            "Case %(number)s was changed by someone else a moment ago. Reload it and try again."
        ) % {"number": case.number}
        case.refresh_from_db()
        assert case.status == S.ASSIGNED and case.mediator == mia
        assert case.rejection_reason == ""
        assert CaseEvent.objects.filter(case=case).count() == events

    def test_a_stale_instance_cannot_add_an_event_either(self, case_in, mia):
        case = case_in(S.IN_MEDIATION)
        stale = Case.objects.get(pk=case.pk)
        services.case_event_record(case=case, actor=mia, kind=CaseEvent.Kind.NOTE, note="Called both parties.")
        events = CaseEvent.objects.filter(case=case).count()

        with pytest.raises(services.StaleCase):
            services.case_event_record(case=stale, actor=mia, kind=CaseEvent.Kind.NOTE, note="Late note")

        assert CaseEvent.objects.filter(case=case).count() == events
        assert not CaseEvent.objects.filter(case=case, note="Late note").exists()


@pytest.mark.django_db
class CaseStepTests:
    def test_submit_starts_the_three_day_accept_clock(self, alice, areas):
        start = timezone.now()
        case = make_case(applicant=alice, area=areas["G1"])
        end = timezone.now()

        assert case.status == S.SUBMITTED
        assert between(case.accept_due_at, start, end, 3 * DAY)
        assert case.next_due_at == case.accept_due_at
        assert case.acknowledge_due_at is None and case.resolve_due_at is None

    def test_accept_assigns_the_mediator_and_starts_the_acknowledge_and_resolve_clocks(self, case_in, mia, sue):
        case = case_in(S.SUBMITTED)
        start = timezone.now()

        event = services.case_accept(case=case, actor=sue, mediator=mia)

        end = timezone.now()
        case.refresh_from_db()
        assert (case.status, case.mediator, event.kind) == (S.ASSIGNED, mia, CaseEvent.Kind.ASSIGNED)
        assert start <= case.accepted_at <= end
        assert between(case.acknowledge_due_at, start, end, DAY)
        assert between(case.resolve_due_at, start, end, 30 * DAY)
        assert case.next_due_at == case.acknowledge_due_at

    def test_acknowledge_moves_to_mediation_and_the_resolve_clock_becomes_next(self, case_in, mia):
        case = case_in(S.ASSIGNED)

        services.case_acknowledge(case=case, actor=mia)

        case.refresh_from_db()
        assert case.status == S.IN_MEDIATION
        assert case.acknowledged_at is not None
        assert case.next_due_at == case.resolve_due_at

    def test_only_the_assigned_mediator_acknowledges(self, case_in, otto):
        case = case_in(S.ASSIGNED)

        with pytest.raises(services.CaseError):
            services.case_acknowledge(case=case, actor=otto)

        case.refresh_from_db()
        assert case.status == S.ASSIGNED

    @pytest.mark.parametrize(("reason", "advice"), [("", "Call 12345."), ("Not civil.", ""), ("  ", "  ")])
    def test_reject_needs_a_reason_and_advice(self, case_in, mia, reason, advice):
        case = case_in(S.SUBMITTED)
        events = case.events.count()

        with pytest.raises(services.CaseError) as caught:
            services.case_reject(case=case, actor=mia, reason=reason, advice=advice)

        assert str(caught.value) == gettext("Give the reason and advise the applicant of other routes.")
        case.refresh_from_db()
        assert case.status == S.SUBMITTED and case.events.count() == events

    def test_reject_records_the_reason_advice_and_outcome(self, case_in, mia):
        case = case_in(S.SUBMITTED)

        event = services.case_reject(case=case, actor=mia, reason="Not a civil dispute.", advice="Call 12345.")

        case.refresh_from_db()
        assert (case.status, case.outcome) == (S.REJECTED, Case.Outcome.REJECTED)
        assert (case.rejection_reason, case.rejection_advice) == ("Not a civil dispute.", "Call 12345.")
        assert case.next_due_at is None and case.closed_at is not None
        assert (event.old_status, event.new_status, event.note) == (S.SUBMITTED, S.REJECTED, "Not a civil dispute.")

    def test_escalate_raises_the_tier_and_keeps_the_number(self, case_in, mia, sue):
        case = case_in(S.IN_MEDIATION)
        number = case.number

        event = services.case_escalate(case=case, actor=mia, reason="Involves the property company.", mediator=sue)

        case.refresh_from_db()
        assert (case.number, case.tier, case.status, case.mediator) == (number, Case.Tier.COMMUNITY, S.ASSIGNED, sue)
        assert (event.kind, event.data) == (CaseEvent.Kind.ESCALATED, {"tier": Case.Tier.COMMUNITY})

    def test_escalate_needs_a_reason_and_stops_at_the_district(self, case_in, mia):
        case = case_in(S.IN_MEDIATION)
        with pytest.raises(services.CaseError):
            services.case_escalate(case=case, actor=mia, reason=" ")

        for _ in range(3):
            services.case_escalate(case=case, actor=mia, reason="Up", mediator=mia)
        assert case.tier == Case.Tier.DISTRICT
        with pytest.raises(services.CaseError) as caught:
            services.case_escalate(case=case, actor=mia, reason="Up again", mediator=mia)
        assert str(caught.value) == gettext("The case is already handled at the highest tier.")
        case.refresh_from_db()
        assert case.tier == Case.Tier.DISTRICT

    def test_extend_adds_thirty_days_once_with_consent(self, case_in, mia):
        case = case_in(S.IN_MEDIATION)
        due = case.resolve_due_at

        with pytest.raises(services.CaseError):
            services.case_extend(case=case, actor=mia, consent_note="")
        services.case_extend(case=case, actor=mia, consent_note="Both parties agreed by phone on 1 May.")
        with pytest.raises(services.CaseError) as caught:
            services.case_extend(case=case, actor=mia, consent_note="Again")

        assert str(caught.value) == gettext("The deadline of this case has already been extended once.")
        case.refresh_from_db()
        assert case.extended and case.resolve_due_at == due + 30 * DAY
        assert case.next_due_at == case.resolve_due_at
        assert case.events.filter(kind=CaseEvent.Kind.EXTENDED).count() == 1

    def test_extend_is_refused_before_mediation(self, case_in, mia):
        case = case_in(S.SUBMITTED)

        with pytest.raises(services.CaseError):
            services.case_extend(case=case, actor=mia, consent_note="Agreed")

        case.refresh_from_db()
        assert not case.extended

    @pytest.mark.parametrize("outcome", services.RESOLVING_OUTCOMES)
    def test_resolve_records_the_outcome_and_starts_the_follow_up_clock(self, case_in, mia, outcome):
        case = case_in(S.IN_MEDIATION)
        start = timezone.now()

        services.case_resolve(case=case, actor=mia, outcome=outcome, summary="They agreed on quiet hours.")

        end = timezone.now()
        case.refresh_from_db()
        assert (case.status, case.outcome, case.outcome_summary) == (
            S.RESOLVED,
            outcome,
            "They agreed on quiet hours.",
        )
        assert between(case.follow_up_due_at, start, end, 15 * DAY)
        assert case.next_due_at == case.follow_up_due_at

    @pytest.mark.parametrize(
        ("outcome", "summary"),
        [(Case.Outcome.TERMINATED, "x"), (Case.Outcome.REFERRED, "x"), ("written_agreement", " ")],
    )
    def test_resolve_refuses_other_outcomes_and_an_empty_summary(self, case_in, mia, outcome, summary):
        case = case_in(S.IN_MEDIATION)

        with pytest.raises(services.CaseError):
            services.case_resolve(case=case, actor=mia, outcome=outcome, summary=summary)

        case.refresh_from_db()
        assert case.status == S.IN_MEDIATION and case.outcome == ""

    def test_terminate_needs_the_routes_advised(self, case_in, mia):
        case = case_in(S.IN_MEDIATION)
        with pytest.raises(services.CaseError):
            services.case_terminate(case=case, actor=mia, routes_advised="")

        services.case_terminate(case=case, actor=mia, routes_advised="Arbitration or court.", note="No agreement.")

        case.refresh_from_db()
        assert (case.status, case.outcome, case.routes_advised) == (
            S.CLOSED,
            Case.Outcome.TERMINATED,
            "Arbitration or court.",
        )
        assert case.next_due_at is None and case.closed_at is not None

    def test_refer_needs_a_target(self, case_in, mia):
        case = case_in(S.ASSIGNED)
        with pytest.raises(services.CaseError):
            services.case_refer(case=case, actor=mia, target=" ")

        services.case_refer(case=case, actor=mia, target="District housing bureau")

        case.refresh_from_db()
        assert (case.status, case.outcome, case.referral_target) == (
            S.CLOSED,
            Case.Outcome.REFERRED,
            "District housing bureau",
        )

    def test_close_only_follows_resolution(self, case_in, mia):
        case = case_in(S.IN_MEDIATION)
        with pytest.raises(services.InvalidTransition):
            services.case_close(case=case, actor=mia)

        resolved = case_in(S.RESOLVED)
        services.case_close(case=resolved, actor=mia, note="Visited: the agreement holds.")
        resolved.refresh_from_db()
        assert resolved.status == S.CLOSED and resolved.next_due_at is None

    def test_reopen_from_closed_restarts_the_resolve_clock(self, case_in, mia):
        case = case_in(S.CLOSED)
        with pytest.raises(services.CaseError):
            services.case_reopen(case=case, actor=mia, reason="")
        start = timezone.now()

        services.case_reopen(case=case, actor=mia, reason="The noise started again.")

        end = timezone.now()
        case.refresh_from_db()
        assert (case.status, case.outcome, case.closed_at, case.follow_up_due_at) == (S.IN_MEDIATION, "", None, None)
        assert between(case.resolve_due_at, start, end, 30 * DAY)
        assert case.next_due_at == case.resolve_due_at

    @pytest.mark.parametrize("status", [S.SUBMITTED, S.ASSIGNED, S.IN_MEDIATION])
    def test_the_applicant_can_withdraw_an_open_case(self, case_in, alice, status):
        case = case_in(status)

        event = services.case_withdraw(case=case, actor=alice, reason="We settled it ourselves.")

        case.refresh_from_db()
        assert (case.status, case.outcome, case.next_due_at) == (S.WITHDRAWN, Case.Outcome.WITHDRAWN, None)
        assert (event.actor, event.note) == (alice, "We settled it ourselves.")

    def test_a_withdrawn_case_cannot_be_reopened(self, case_in, mia):
        case = case_in(S.WITHDRAWN)

        with pytest.raises(services.InvalidTransition):
            services.case_reopen(case=case, actor=mia, reason="Try")

        case.refresh_from_db()
        assert case.status == S.WITHDRAWN


@pytest.mark.django_db
class DeadlinePolicyTests:
    def test_a_category_policy_overrides_the_defaults(self, alice, mia, sue, areas):
        category = Category.objects.get(code="neighbours")
        DeadlinePolicy.objects.create(
            category=category, accept_days=5, acknowledge_days=2, resolve_days=20, follow_up_days=10
        )
        other = Category.objects.exclude(pk=category.pk).first()
        start = timezone.now()

        case = make_case(applicant=alice, area=areas["G1"], category=category)
        untouched = make_case(applicant=alice, area=areas["G1"], category=other)
        services.case_accept(case=case, actor=sue, mediator=mia)
        services.case_acknowledge(case=case, actor=mia)
        services.case_resolve(case=case, actor=mia, outcome=Case.Outcome.RECONCILED, summary="Agreed.")

        end = timezone.now()
        case.refresh_from_db()
        assert between(case.accept_due_at, start, end, 5 * DAY)
        assert between(case.acknowledge_due_at, start, end, 2 * DAY)
        assert between(case.resolve_due_at, start, end, 20 * DAY)
        assert between(case.follow_up_due_at, start, end, 10 * DAY)
        assert between(untouched.accept_due_at, start, end, 3 * DAY)

    def test_a_tier_policy_applies_after_escalation(self, case_in, mia):
        DeadlinePolicy.objects.create(tier=Case.Tier.COMMUNITY, acknowledge_days=4)
        case = case_in(S.IN_MEDIATION)
        start = timezone.now()

        services.case_escalate(case=case, actor=mia, reason="Needs the community.", mediator=mia)

        end = timezone.now()
        case.refresh_from_db()
        assert between(case.acknowledge_due_at, start, end, 4 * DAY)
