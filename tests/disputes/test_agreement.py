"""The mediation agreement: signatures, taking effect, judicial confirmation, the print view."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from disputes import selectors
from disputes.models import Agreement, AgreementSignature, Case, CaseEvent, Category, DeadlinePolicy
from disputes.services import closure as svc
from disputes.services.cases import CaseError
from tests.factories import make_case

pytestmark = pytest.mark.django_db
Signer = AgreementSignature.Signer


@pytest.fixture
def case(alice, bob, mia, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


@pytest.fixture
def agreement(case, mia):
    return svc.agreement_create(
        case=case,
        actor=mia,
        facts="Drilling at night.",
        issues="Hours of work.",
        responsibilities="Bob caused the noise.",
        terms="No drilling after 20:00; Bob pays 500 yuan.",
        performance_method="Cash",
        performance_place="Community office",
        performance_deadline=timezone.localdate() + timedelta(days=10),
    )


def _sign_all(agreement, mia, *, skip=None):
    signatures = [(Signer.PARTY, p) for p in agreement.case.parties.all()]
    signatures += [(Signer.MEDIATOR, None), (Signer.COMMITTEE_SEAL, None)]
    for signer, party in signatures:
        if (signer, party) != skip:
            svc.agreement_sign(agreement=agreement, signer=signer, party=party, actor=mia)


class AgreementTests:
    def test_it_drafts_the_parties_details_from_the_case(self, agreement):
        assert "Alice Zhang" in agreement.parties_details and "Bob Wang" in agreement.parties_details
        assert agreement.effective_at is None

    def test_it_takes_effect_only_when_every_signature_is_recorded(self, agreement, case, mia):
        parties = list(case.parties.all())
        steps = [(Signer.PARTY, parties[0]), (Signer.MEDIATOR, None), (Signer.PARTY, parties[1])]
        for signer, party in steps:
            svc.agreement_sign(agreement=agreement, signer=signer, party=party, actor=mia)
            agreement.refresh_from_db()
            assert agreement.effective_at is None
            assert not case.events.filter(kind=CaseEvent.Kind.AGREEMENT).exists()
        assert svc.agreement_missing_signers(agreement) == [str(Signer.COMMITTEE_SEAL.label)]
        svc.agreement_sign(agreement=agreement, signer=Signer.COMMITTEE_SEAL, actor=mia)
        agreement.refresh_from_db()
        assert agreement.effective_at is not None
        event = case.events.get(kind=CaseEvent.Kind.AGREEMENT)
        assert event.is_public and event.data == {"agreement": agreement.pk}

    def test_a_signature_is_recorded_once(self, agreement, case, mia):
        svc.agreement_sign(agreement=agreement, signer=Signer.MEDIATOR, actor=mia)
        with pytest.raises(CaseError) as exc:
            svc.agreement_sign(agreement=agreement, signer=Signer.MEDIATOR, actor=mia)
        assert str(exc.value) == gettext("This signature has already been recorded.")
        assert agreement.signatures.count() == 1

    def test_a_stranger_cannot_sign_as_a_party(self, agreement, mia, carol, areas):
        other = make_case(applicant=carol, area=areas["G1"])
        with pytest.raises(CaseError):
            svc.agreement_sign(agreement=agreement, signer=Signer.PARTY, party=other.parties.get(), actor=mia)
        assert not agreement.signatures.exists()

    def test_the_text_is_frozen_once_effective(self, agreement, mia):
        _sign_all(agreement, mia)
        agreement.refresh_from_db()
        with pytest.raises(CaseError):
            svc.agreement_update(agreement=agreement, actor=mia, terms="Something else")
        assert Agreement.objects.get(pk=agreement.pk).terms.startswith("No drilling")

    def test_an_oral_agreement_needs_its_content_and_no_signatures(self, case, mia):
        with pytest.raises(CaseError):
            svc.agreement_create(case=case, actor=mia, kind=Agreement.Kind.ORAL)
        assert not Agreement.objects.exists()
        oral = svc.agreement_create(case=case, actor=mia, kind=Agreement.Kind.ORAL, oral_content="Bob apologised.")
        assert oral.effective_at is not None and oral.confirmation_window_ends_at is None
        assert case.events.filter(kind=CaseEvent.Kind.AGREEMENT).count() == 1
        with pytest.raises(CaseError):
            svc.agreement_sign(agreement=oral, signer=Signer.MEDIATOR, actor=mia)

    def test_a_case_not_in_mediation_gets_no_agreement(self, alice, mia, areas):
        submitted = make_case(applicant=alice, area=areas["G1"])
        with pytest.raises(CaseError):
            svc.agreement_create(case=submitted, actor=mia, terms="x")


class JudicialConfirmationTests:
    def test_the_window_is_thirty_days_from_the_effective_date(self, agreement, mia):
        _sign_all(agreement, mia)
        agreement.refresh_from_db()
        assert agreement.confirmation_window_ends_at - agreement.effective_at == timedelta(days=30)

    def test_the_window_follows_the_deadline_policy(self, agreement, mia):
        DeadlinePolicy.objects.create(confirmation_days=20)
        _sign_all(agreement, mia)
        agreement.refresh_from_db()
        assert agreement.confirmation_window_ends_at - agreement.effective_at == timedelta(days=20)

    def test_family_matters_are_not_eligible(self, alice, bob, mia, areas):
        family = make_case(
            applicant=alice,
            respondent=bob,
            area=areas["G1"],
            status=Case.Status.IN_MEDIATION,
            actor=mia,
            category=Category.objects.get(code="marriage_family"),
        )
        with pytest.raises(CaseError) as exc:
            svc.agreement_create(case=family, actor=mia, terms="Custody", confirmation_wanted=True)
        assert "婚姻家庭" in str(exc.value)
        agreement = svc.agreement_create(case=family, actor=mia, terms="Custody")
        assert not agreement.confirmation_eligible
        with pytest.raises(CaseError):
            svc.agreement_update(agreement=agreement, actor=mia, confirmation_wanted=True)
        assert Agreement.objects.get(pk=agreement.pk).confirmation_wanted is False

    def test_the_reminder_hook_lists_open_windows_from_day_twenty(self, agreement, mia):
        svc.agreement_update(agreement=agreement, actor=mia, confirmation_wanted=True)
        _sign_all(agreement, mia)
        agreement.refresh_from_db()
        start = agreement.effective_at
        assert list(selectors.confirmation_window_due(start + timedelta(days=19))) == []
        assert list(selectors.confirmation_window_due(start + timedelta(days=21))) == [agreement]
        assert list(selectors.confirmation_window_due(start + timedelta(days=31))) == []
        svc.agreement_update(
            agreement=agreement, actor=mia, confirmation_applied_at=timezone.localdate(), court="District court"
        )
        assert list(selectors.confirmation_window_due(start + timedelta(days=21))) == []


class AgreementAdminTests:
    def test_signatures_added_in_the_admin_make_it_effective(self, agreement, case, mia):
        client = Client()
        client.force_login(mia)
        url = reverse("admin:disputes_agreement_change", args=[agreement.pk])
        assert client.get(url).status_code == 200
        parties = list(case.parties.all())
        rows = [("party", parties[0].pk), ("party", parties[1].pk), ("mediator", ""), ("committee_seal", "")]
        data = {
            "parties_details": agreement.parties_details,
            "facts": agreement.facts,
            "issues": agreement.issues,
            "responsibilities": agreement.responsibilities,
            "terms": agreement.terms,
            "performance_method": agreement.performance_method,
            "performance_place": agreement.performance_place,
            "performance_deadline": agreement.performance_deadline.isoformat(),
            "signatures-TOTAL_FORMS": 4,
            "signatures-INITIAL_FORMS": 0,
            "signatures-MIN_NUM_FORMS": 0,
            "signatures-MAX_NUM_FORMS": 1000,
        }
        now = timezone.localtime()
        for i, (signer, party) in enumerate(rows):
            data |= {
                f"signatures-{i}-signer": signer,
                f"signatures-{i}-party": party,
                f"signatures-{i}-signed_at_0": now.strftime("%Y-%m-%d"),
                f"signatures-{i}-signed_at_1": "10:00:00",
            }
        response = client.post(url, data)
        assert response.status_code == 302
        agreement.refresh_from_db()
        assert agreement.signatures.count() == 4 and agreement.effective_at is not None

        response = client.post(url, {**data, "signatures-TOTAL_FORMS": 0, "_resolve_case": "1"})
        case.refresh_from_db()
        assert case.status == Case.Status.RESOLVED and case.outcome == Case.Outcome.WRITTEN_AGREEMENT

    def test_the_print_view_prints_one_copy_per_party_and_one_for_the_committee(self, agreement, mia):
        client = Client()
        client.force_login(mia)
        response = client.get(reverse("admin:disputes_agreement_print", args=[agreement.pk]))
        body = response.content.decode()
        assert response.status_code == 200
        assert body.count('class="sheet"') == 3
        assert "No drilling after 20:00" in body and agreement.case.number in body
        # The A4 page rules come from a stylesheet (the CSP allows no inline <style>).
        assert f'href="{static("css/agreement_print.css")}"' in body
        assert "@page" in Path(finders.find("css/agreement_print.css")).read_text()

    def test_the_print_view_is_scoped(self, agreement, otto, alice):
        client = Client()
        client.force_login(otto)
        assert client.get(reverse("admin:disputes_agreement_print", args=[agreement.pk])).status_code == 404
        client.force_login(alice)
        response = client.get(reverse("admin:disputes_agreement_print", args=[agreement.pk]))
        assert response.status_code == 302 and "login" in response.url
