"""Issue 17: collective claims handled as one. A claim of six cases crossing the threshold, a step
applied to all six with one lost race reported, one meeting for the claim on every member case,
closure with per-case outcomes, the high-risk notice, visibility through the one door, and the
period report's sentence with its three numbers against a hand count."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from disputes import selectors, services, stats
from disputes.dashboard.claims import claim_figures
from disputes.models import (
    Case,
    CaseDayStat,
    CaseEvent,
    ClaimEvent,
    ClaimRepresentative,
    CollectiveClaim,
    Meeting,
    Party,
    Reminder,
    Rule,
)
from disputes.services.cases import CaseError
from disputes.services.claims import case_correct_households
from disputes.services.collective import (
    claim_add_cases,
    claim_create,
    claim_elect_representative,
    claim_meeting_create,
    claim_remove_case,
    claim_set_risk,
    claim_step,
)
from disputes.visibility import claims_visible_to
from tests.factories import backdate, make_case, make_estate, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(areas):
    return make_estate(areas["C1"], grid=areas["G1"])


@pytest.fixture
def six(areas, estate, mia):
    """Six cases of one household each from six residents of the same estate, none collective."""
    cases = []
    for i in range(6):
        resident = make_user(f"resident{i}", full_name=f"居民{i}", phone=f"1390000000{i}")
        cases.append(
            make_case(
                applicant=resident, area=areas["G1"], estate_id=estate.pk, title=f"水压不足 {i}", building="5号楼"
            )
        )
    return cases


def _claim(cases, actor, **extra) -> CollectiveClaim:
    return claim_create(
        cases=cases,
        actor=actor,
        title="小区水压不足",
        facts="Since May the water pressure on floors 5 and up is too low.",
        demand="Fix the booster pumps.",
        **extra,
    )


def _fresh(cases):
    return [Case.objects.get(pk=c.pk) for c in cases]


class ClaimCreateTests:
    def test_six_cases_cross_the_threshold_and_all_are_flagged(self, six, mia):
        assert settings.COLLECTIVE_HOUSEHOLDS == 5
        assert not any(c.is_collective for c in six)
        claim = _claim(six, mia)
        assert claim.number.startswith(f"JT-{timezone.localdate().year}-") and claim.households == 6
        assert claim.area.kind == "grid" and claim.tier == Case.Tier.COMMUNITY
        for case in _fresh(six):
            assert case.collective_claim == claim and case.is_collective
            assert case.events.filter(kind=CaseEvent.Kind.CLAIM, is_public=True).count() == 1
            assert case.events.filter(kind=CaseEvent.Kind.COLLECTIVE).count() == 1
        assert claim.events.get(kind=ClaimEvent.Kind.CREATED).data["households"] == 6
        # The dashboard's counters follow the flag (received on the day of filing).
        assert sum(CaseDayStat.objects.values_list("received_collective", flat=True)) == 6
        assert stats.stats_rebuild() and sum(CaseDayStat.objects.values_list("received_collective", flat=True)) == 6

    def test_below_the_threshold_no_flag_until_a_member_grows(self, six, mia):
        claim = _claim(six[:3], mia)
        assert claim.households == 3 and not any(c.is_collective for c in _fresh(six[:3]))
        case = Case.objects.get(pk=six[0].pk)
        case_correct_households(case=case, actor=mia, households=3, reason="Two more flats on the same riser.")
        claim.refresh_from_db()
        assert claim.households == 5 and all(c.is_collective for c in _fresh(six[:3]))

    def test_adding_and_removing_a_case_recounts_and_writes_events(self, six, mia):
        claim = _claim(six[:4], mia)
        assert not any(c.is_collective for c in _fresh(six[:4]))
        claim_add_cases(claim=claim, cases=_fresh(six[4:5]), actor=mia)
        claim.refresh_from_db()
        assert claim.households == 5 and all(c.is_collective for c in _fresh(six[:5]))
        claim_remove_case(claim=claim, case=Case.objects.get(pk=six[4].pk), actor=mia, reason="A different riser.")
        claim.refresh_from_db()
        removed = Case.objects.get(pk=six[4].pk)
        assert removed.collective_claim is None and not removed.is_collective
        assert claim.households == 4 and not any(c.is_collective for c in _fresh(six[:4]))
        assert removed.events.filter(kind=CaseEvent.Kind.CLAIM).count() == 2
        assert list(claim.events.values_list("kind", flat=True)) == ["created", "added", "removed"]

    def test_it_refuses_one_case_a_finished_case_or_one_in_another_claim(self, six, mia, areas, alice):
        with pytest.raises(CaseError):
            _claim(six[:1], mia)
        done = make_case(applicant=alice, area=areas["G1"], status=Case.Status.WITHDRAWN)
        with pytest.raises(CaseError):
            _claim([six[0], done], mia)
        _claim(six[:2], mia)
        with pytest.raises(CaseError):
            _claim(_fresh(six[1:3]), mia)
        assert CollectiveClaim.objects.count() == 1

    def test_a_stale_case_refuses_the_whole_claim(self, six, mia):
        services.case_event_record(case=Case.objects.get(pk=six[2].pk), actor=mia, kind=CaseEvent.Kind.NOTE, note="x")
        with pytest.raises(services.StaleCase):
            _claim(six, mia)  # six[2] as loaded is a version behind
        assert (
            not CollectiveClaim.objects.exists() and not Case.objects.filter(collective_claim__isnull=False).exists()
        )

    def test_a_high_risk_claim_notifies_the_subdistrict_at_once(
        self, six, mia, sue, sam, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            claim = _claim(six, mia, risk=Case.Risk.HIGH)
        rows = Reminder.objects.filter(rule=Rule.CLAIM_HIGH_RISK)
        assert {r.recipient for r in rows} == {sue}  # the subdistrict's supervisor, not the district's
        assert {r.channel for r in rows} == {Reminder.Channel.INBOX, Reminder.Channel.SMS}
        assert all(r.period == f"claim-{claim.pk}" and r.case is None for r in rows)
        inbox = rows.get(channel=Reminder.Channel.INBOX)
        inbox.refresh_from_db()
        assert inbox.state == Reminder.State.SENT and claim.number in inbox.subject
        sms = rows.get(channel=Reminder.Channel.SMS)
        sms.refresh_from_db()
        assert "居民" not in sms.body and claim.number in sms.body  # the number, never a name

    def test_raising_the_risk_to_high_notifies_the_subdistrict_once(self, six, mia, sue, client):
        claim = _claim(six, mia)
        client.force_login(mia)
        url = reverse("admin:disputes_collectiveclaim_risk", args=[claim.pk])
        assert (
            client.post(url, {"risk": "high", "reason": "Residents plan to gather at the office."}).status_code == 302
        )
        claim.refresh_from_db()
        assert claim.risk == Case.Risk.HIGH and claim.events.get(kind=ClaimEvent.Kind.RISK).is_public is False
        assert set(Reminder.objects.filter(rule=Rule.CLAIM_HIGH_RISK).values_list("recipient", flat=True)) == {sue.pk}
        claim_set_risk(claim=claim, actor=mia, risk=Case.Risk.MEDIUM, reason="Calmer.")
        claim_set_risk(claim=claim, actor=mia, risk=Case.Risk.HIGH, reason="Again.")
        assert Reminder.objects.filter(rule=Rule.CLAIM_HIGH_RISK).count() == 2  # inbox and SMS, once
        with pytest.raises(CaseError):
            claim_set_risk(claim=claim, actor=mia, risk=Case.Risk.HIGH, reason="Same.")

    def test_a_low_risk_claim_notifies_nobody(self, six, mia, sue):
        _claim(six, mia)
        assert not Reminder.objects.filter(rule=Rule.CLAIM_HIGH_RISK).exists()


class ClaimStepTests:
    def test_a_step_on_all_six_reports_the_one_lost_race(self, six, mia):
        claim = _claim(six, mia)
        members = _fresh(six)
        shown = {c.pk: c.version for c in members}  # the page the mediator looked at
        # Meanwhile someone adds a note to the fourth case: its version moves on.
        services.case_event_record(case=members[3], actor=mia, kind=CaseEvent.Kind.NOTE, note="Called the applicant.")
        result = claim_step(claim=claim, step="accept", actor=mia, mediator=mia, versions=shown)
        assert [c.pk for c in result.done] == [c.pk for c in six if c.pk != six[3].pk]
        assert [c.pk for c in result.lost_races] == [six[3].pk]
        assert [(c.pk, reason) for c, reason in result.refused] == [
            (six[3].pk, gettext("changed by someone else a moment ago, left alone"))
        ]
        for case in _fresh(six):
            accepted = case.events.filter(kind=CaseEvent.Kind.ASSIGNED)
            if case.pk == six[3].pk:
                assert case.status == Case.Status.SUBMITTED and not accepted.exists()
            else:
                assert case.status == Case.Status.ASSIGNED and case.mediator == mia and accepted.count() == 1
        event = claim.events.get(kind=ClaimEvent.Kind.STEP)
        assert event.data["refused"] == [[six[3].number, gettext("changed by someone else a moment ago, left alone")]]
        assert len(event.data["done"]) == 5
        claim.refresh_from_db()
        assert claim.mediator == mia and claim.status == CollectiveClaim.Status.OPEN

    def test_a_case_where_the_step_is_not_possible_is_reported(self, six, mia):
        claim = _claim(six, mia)
        claim_step(claim=claim, step="accept", actor=mia, mediator=mia)
        services.case_acknowledge(case=Case.objects.get(pk=six[0].pk), actor=mia)
        result = claim_step(claim=claim, step="acknowledge", actor=mia)
        assert len(result.done) == 5 and not result.lost_races
        assert [c.pk for c, _reason in result.refused] == [six[0].pk]
        assert Case.objects.filter(collective_claim=claim, status=Case.Status.IN_MEDIATION).count() == 6

    def test_suspend_and_resume_every_member(self, six, mia):
        claim = _claim(six, mia)
        claim_step(claim=claim, step="accept", actor=mia, mediator=mia)
        claim_step(claim=claim, step="acknowledge", actor=mia)
        with pytest.raises(CaseError):
            claim_step(claim=claim, step="suspend", actor=mia, note="")
        assert len(claim_step(claim=claim, step="suspend", actor=mia, note="Awaiting the pump survey.").done) == 6
        assert Case.objects.filter(collective_claim=claim, suspended_at__isnull=False).count() == 6
        assert len(claim_step(claim=claim, step="resume", actor=mia).done) == 6
        assert CaseEvent.objects.filter(case__collective_claim=claim, kind=CaseEvent.Kind.RESUMED).count() == 6

    def test_closure_with_per_case_outcomes(self, six, mia):
        claim = _claim(six, mia)
        claim_step(claim=claim, step="accept", actor=mia, mediator=mia)
        claim_step(claim=claim, step="acknowledge", actor=mia)
        Out = Case.Outcome
        outcomes = {
            six[0].pk: Out.RECONCILED,
            six[1].pk: Out.RECONCILED,
            six[2].pk: Out.RECONCILED,
            six[3].pk: Out.RECONCILED,
            six[4].pk: Out.TERMINATED,
            six[5].pk: Out.REFERRED,
        }
        result = claim_step(
            claim=claim,
            step="conclude",
            actor=mia,
            outcomes=outcomes,
            summary="Pumps replaced by the property company.",
            routes_advised="Court or the housing authority.",
            referral_target="区住建局",
        )
        assert len(result.done) == 6 and not result.refused
        by_pk = {c.pk: c for c in _fresh(six)}
        assert all(by_pk[pk].outcome == outcome for pk, outcome in outcomes.items())
        assert {by_pk[pk].status for pk in list(outcomes)[:4]} == {Case.Status.RESOLVED}
        assert by_pk[six[4].pk].status == by_pk[six[5].pk].status == Case.Status.CLOSED
        assert by_pk[six[5].pk].referral_target == "区住建局"
        claim.refresh_from_db()
        assert claim.status == CollectiveClaim.Status.RESOLVED and claim.resolved_at is not None
        # After the follow-up visits: close the resolved ones; the four-step history is one per case.
        result = claim_step(claim=claim, step="close", actor=mia)
        assert len(result.done) == 4 and len(result.refused) == 2  # the terminated and referred cases
        claim.refresh_from_db()
        assert claim.status == CollectiveClaim.Status.CLOSED and claim.closed_at is not None
        assert list(claim.events.filter(kind=ClaimEvent.Kind.STATUS).values_list("data__to", flat=True)) == [
            "resolved",
            "closed",
        ]

    def test_a_missing_outcome_is_refused_per_case_not_hidden(self, six, mia):
        claim = _claim(six[:2], mia)
        claim_step(claim=claim, step="accept", actor=mia, mediator=mia)
        claim_step(claim=claim, step="acknowledge", actor=mia)
        result = claim_step(
            claim=claim, step="conclude", actor=mia, outcomes={six[0].pk: Case.Outcome.RECONCILED}, summary="Done."
        )
        assert [c.pk for c in result.done] == [six[0].pk]
        assert [c.pk for c, _ in result.refused] == [six[1].pk]
        claim.refresh_from_db()
        assert claim.status == CollectiveClaim.Status.OPEN  # one member is still in mediation

    def test_the_claim_follows_a_member_moved_from_its_own_page(self, six, mia):
        claim = _claim(six[:2], mia)
        claim_step(claim=claim, step="accept", actor=mia, mediator=mia)
        claim_step(claim=claim, step="acknowledge", actor=mia)
        first, second = _fresh(six[:2])
        services.case_resolve(case=first, actor=mia, outcome=Case.Outcome.RECONCILED, summary="Agreed.")
        claim.refresh_from_db()
        assert claim.status == CollectiveClaim.Status.OPEN
        services.case_terminate(case=second, actor=mia, routes_advised="Court.")
        claim.refresh_from_db()
        assert claim.status == CollectiveClaim.Status.RESOLVED and claim.resolved_at is not None
        services.case_reopen(case=Case.objects.get(pk=first.pk), actor=mia, reason="The pump broke again.")
        claim.refresh_from_db()
        assert claim.status == CollectiveClaim.Status.OPEN and claim.resolved_at is None


class ClaimMeetingAndTimelineTests:
    def test_one_meeting_for_the_claim_shows_on_every_member_case(self, six, mia, areas, client):
        claim = _claim(six[:5], mia)
        meeting = claim_meeting_create(
            claim=claim,
            community=areas["C1"],
            topic="水压问题四方议事会",
            scheduled_at=timezone.now() + timedelta(days=3),
            place="社区会议室",
            actor=mia,
        )
        assert meeting.claim == claim and Meeting.objects.count() == 1
        claim_add_cases(claim=claim, cases=_fresh(six[5:]), actor=mia)  # added after it was scheduled
        for case in _fresh(six):
            assert list(selectors.meeting_list_for_case(case)) == [meeting]
        # The staff case page and each resident's case page show the claim and its meeting.
        client.force_login(mia)
        page = client.get(reverse("admin:disputes_case_change", args=[six[5].pk])).content.decode()
        assert claim.number in page and "水压问题四方议事会" in page
        for case in _fresh(six):
            applicant = case.parties.get(role=Party.Role.APPLICANT).user
            client.force_login(applicant)
            page = client.get(case.get_absolute_url()).content.decode()
            assert claim.number in page and "水压问题四方议事会" in page and 'id="collective-claim"' in page

    def test_representatives_are_applicants_of_member_cases_with_consent(self, six, mia, areas, alice):
        claim = _claim(six, mia)
        party = Case.objects.get(pk=six[0].pk).parties.get(role=Party.Role.APPLICANT)
        with pytest.raises(CaseError):
            claim_elect_representative(claim=claim, party=party, actor=mia, consent_note="")
        row = claim_elect_representative(claim=claim, party=party, actor=mia, consent_note="Signed the election form.")
        assert row.consented_at is not None and row.recorded_by == mia
        outsider = make_case(applicant=alice, area=areas["G1"]).parties.get(role=Party.Role.APPLICANT)
        with pytest.raises(CaseError):
            claim_elect_representative(claim=claim, party=outsider, actor=mia, consent_note="Yes.")
        assert ClaimRepresentative.objects.filter(claim=claim).count() == 1

    def test_the_representatives_hear_of_the_claims_steps(self, six, mia, django_capture_on_commit_callbacks):
        claim = _claim(six, mia)
        party = Case.objects.get(pk=six[1].pk).parties.get(role=Party.Role.APPLICANT)
        claim_elect_representative(claim=claim, party=party, actor=mia, consent_note="Elected at the estate meeting.")
        with django_capture_on_commit_callbacks(execute=True):
            claim_step(claim=claim, step="accept", actor=mia, mediator=mia, note="Accepted as one claim.")
        rows = Reminder.objects.filter(rule=Rule.CLAIM_NOTICE)
        assert {r.recipient for r in rows} == {party.user}  # the representative only
        inbox = rows.get(channel=Reminder.Channel.INBOX)
        assert inbox.case_id == six[1].pk and inbox.state == Reminder.State.SENT
        assert claim.number in inbox.subject and "Accepted as one claim." in inbox.body
        assert six[1].number in inbox.body  # the link to their own case page, which shows the claim

    def test_claims_are_seen_through_the_one_door(self, six, mia, otto, sue, sam):
        claim = _claim(six, mia)
        assert claim in claims_visible_to(mia) and claim in claims_visible_to(sue) and claim in claims_visible_to(sam)
        assert claim not in claims_visible_to(otto)
        resident = Case.objects.get(pk=six[0].pk).parties.get(role=Party.Role.APPLICANT).user
        assert list(claims_visible_to(resident)) == [claim]
        stranger = make_user("stranger")
        assert not claims_visible_to(stranger).exists()


class ClaimAdminTests:
    def test_the_action_creates_a_claim_and_the_page_applies_a_step(self, six, mia, client):
        client.force_login(mia)
        url = reverse("admin:disputes_case_changelist")
        picked = {"action": "create_collective_claim", "_selected_action": [c.pk for c in six]}
        page = client.post(url, picked)
        assert page.status_code == 200 and "6" in page.content.decode()
        response = client.post(
            url,
            {
                **picked,
                "apply": "1",
                "title": "水压不足",
                "facts": "Low pressure.",
                "demand": "Fix it.",
                "risk": "low",
            },
        )
        claim = CollectiveClaim.objects.get()
        assert response.status_code == 302 and response.url == reverse(
            "admin:disputes_collectiveclaim_change", args=[claim.pk]
        )
        assert client.get(response.url).status_code == 200
        step_url = reverse("admin:disputes_collectiveclaim_step", args=[claim.pk, "accept"])
        form = client.get(step_url)
        assert form.status_code == 200
        versions = {f"version_{c.pk}": c.version for c in _fresh(six)}
        services.case_event_record(case=Case.objects.get(pk=six[1].pk), actor=mia, kind=CaseEvent.Kind.NOTE, note="x")
        response = client.post(step_url, {**versions, "mediator": mia.pk, "note": ""}, follow=True)
        text = response.content.decode()
        assert six[1].number in text  # the lost race is reported as a message
        assert Case.objects.filter(collective_claim=claim, status=Case.Status.ASSIGNED).count() == 5

    def test_the_action_adds_cases_to_an_open_claim(self, six, mia, client):
        claim = _claim(six[:4], mia)
        client.force_login(mia)
        picked = {"action": "add_to_collective_claim", "_selected_action": [c.pk for c in six[4:]]}
        url = reverse("admin:disputes_case_changelist")
        assert claim.number in client.post(url, picked).content.decode()
        response = client.post(url, {**picked, "apply": "1", "claim": claim.pk})
        assert response.status_code == 302
        claim.refresh_from_db()
        assert claim.households == 6 and Case.objects.filter(collective_claim=claim, is_collective=True).count() == 6

    def test_the_claim_list_is_titled_by_what_it_holds(self, six, mia, client):
        client.force_login(mia)
        html = client.get(reverse("admin:disputes_collectiveclaim_changelist")).content.decode()
        assert "<h1>群体性诉求</h1>" in html and "来修改" not in html

    def test_an_outsider_gets_404_on_the_claim(self, six, mia, otto, client):
        claim = _claim(six, mia)
        client.force_login(otto)
        assert client.get(reverse("admin:disputes_collectiveclaim_change", args=[claim.pk])).status_code in (302, 404)
        response = client.post(reverse("admin:disputes_collectiveclaim_step", args=[claim.pk, "accept"]), {})
        assert response.status_code == 404
        assert not client.get(reverse("admin:disputes_collectiveclaim_changelist")).context["cl"].result_count


class ReportSentenceTests:
    def test_the_report_sentence_against_a_hand_count(self, areas, estate, mia, sue, alice, client):
        """Resolved in the period: 4 cases (2 of them legacy, i.e. open over 90 days, and 3 of them
        collective members); one collective claim resolved, one still open; one case terminated
        (not resolved) and one case resolved last year (outside the period)."""
        Out = Case.Outcome
        # A claim of three cases (5 households in all), two of them legacy, all resolved now.
        residents = [make_user(f"r{i}", phone=f"1391111111{i}") for i in range(6)]
        members = [
            make_case(applicant=residents[i], area=areas["G1"], estate_id=estate.pk, households=h)
            for i, h in enumerate([2, 2, 1])
        ]
        backdate(members[0], submitted_at=timezone.now() - timedelta(days=120))
        backdate(members[1], submitted_at=timezone.now() - timedelta(days=100))
        resolved_claim = _claim(_fresh(members), mia)
        claim_step(claim=resolved_claim, step="accept", actor=mia, mediator=mia)
        claim_step(claim=resolved_claim, step="acknowledge", actor=mia)
        claim_step(claim=resolved_claim, step="conclude", actor=mia, outcome=Out.RECONCILED, summary="Pumps fixed.")
        # An open claim of two cases.
        others = [make_case(applicant=residents[3 + i], area=areas["G1"], estate_id=estate.pk) for i in range(2)]
        _claim(others, mia)
        # One ordinary case resolved, one terminated, one resolved "last year".
        make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)
        ended = make_case(applicant=residents[5], area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        services.case_terminate(case=ended, actor=mia, routes_advised="Court.")
        old = make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)
        Case.objects.filter(pk=old.pk).update(resolved_at=timezone.now() - timedelta(days=400))
        stats.stats_rebuild()

        # The hand count.
        assert Case.objects.filter(resolved_at__year=timezone.now().year).count() == 4
        assert Case.objects.filter(resolved_as_legacy=True).count() == 2
        assert CollectiveClaim.objects.filter(status=CollectiveClaim.Status.RESOLVED).count() == 1

        client.force_login(sue)
        response = client.get(reverse("disputes:period_report"), {"period": "year"})
        assert response.status_code == 200
        sentence = gettext(
            "In all %(n)s disputes were resolved, of which %(m)s legacy cases, and %(k)s collective claims."
        ) % {"n": 4, "m": 2, "k": 1}
        page = response.content.decode()
        assert sentence in page, page[page.find("report-claims-sentence") - 20 :][:400]
        # The dashboard shows the figures with their links, and each link lists that many cases.
        board = client.get(reverse("disputes:dashboard"), {"period": "year"})
        figures = board.context["board"]
        f = claim_figures(figures.scope, figures.period, figures.flows)
        assert (f.resolved, f.resolved_legacy, f.resolved_collective, f.claims_received, f.claims_resolved) == (
            4,
            2,
            3,
            2,
            1,
        )
        client.force_login(sue)
        for key, expected in (("resolved_legacy", 2), ("resolved_collective", 3)):
            listing = client.get(f.urls[key])
            assert listing.status_code == 200 and listing.context["cl"].result_count == expected, key
        for key, expected in (("claims_received", 2), ("claims_resolved", 1)):
            listing = client.get(f.urls[key])
            assert listing.status_code == 200 and listing.context["cl"].result_count == expected, key


class LedgerTests:
    def test_the_ledger_names_the_claim_of_each_member(self, six, mia):
        from disputes.exports import ledger_csv_write

        claim = _claim(six, mia)
        out = io.BytesIO()
        rows = ledger_csv_write(Case.objects.filter(pk__in=[c.pk for c in six]), out, user=mia)
        text = out.getvalue().decode("utf-8-sig")
        assert rows == 6 and text.count(f"{gettext('Yes')} {claim.number}") == 6


class ResolvedLegacyBackfillTests:
    def test_it_marks_old_resolutions_of_legacy_cases_and_rebuilds_the_figures(self, areas, alice, mia):
        from django.core.management import call_command

        old = make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)
        recent = make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)
        now = timezone.now()
        # Resolved 100 days after submission, before the column existed; the other after 10 days.
        Case.objects.filter(pk=old.pk).update(submitted_at=now - timedelta(days=100), resolved_as_legacy=False)
        Case.objects.filter(pk=recent.pk).update(submitted_at=now - timedelta(days=10))
        out = io.StringIO()
        call_command("resolved_legacy_backfill", stdout=out)
        assert "1 cases marked" in out.getvalue()
        assert list(Case.objects.filter(resolved_as_legacy=True).values_list("pk", flat=True)) == [old.pk]
        assert sum(CaseDayStat.objects.values_list("resolved_legacy", flat=True)) == 1
