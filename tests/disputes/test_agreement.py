"""The mediation agreement: signatures, taking effect, judicial confirmation, the print view."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext

from disputes.models import Agreement, AgreementSignature, Case, CaseEvent, Category, DeadlinePolicy
from disputes.models.closure import start_of_day
from disputes.services import closure as svc
from disputes.services.cases import CaseError
from tests.factories import agreement_contents, make_case

pytestmark = pytest.mark.django_db
Signer = AgreementSignature.Signer


@pytest.fixture
def case(alice, bob, mia, areas):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


@pytest.fixture
def agreement(case, mia):
    return svc.agreement_create(case=case, actor=mia, **agreement_contents())


TODAY = timezone.localdate


def _sign_all(agreement, mia, *, skip=None, signed_on=None):
    signatures = [(Signer.PARTY, p) for p in agreement.case.parties.all()]
    signatures += [(Signer.MEDIATOR, None), (Signer.COMMITTEE_SEAL, None)]
    for signer, party in signatures:
        if (signer, party) != skip:
            svc.agreement_sign(
                agreement=agreement, signer=signer, party=party, actor=mia, signed_on=signed_on or TODAY()
            )


class AgreementTests:
    def test_it_drafts_the_parties_details_from_the_case(self, agreement):
        assert "Alice Zhang" in agreement.parties_details and "Bob Wang" in agreement.parties_details
        assert agreement.effective_at is None

    def test_it_takes_effect_only_when_every_signature_is_recorded(self, agreement, case, mia):
        parties = list(case.parties.all())
        steps = [(Signer.PARTY, parties[0]), (Signer.MEDIATOR, None), (Signer.PARTY, parties[1])]
        for signer, party in steps:
            svc.agreement_sign(agreement=agreement, signer=signer, party=party, actor=mia, signed_on=TODAY())
            agreement.refresh_from_db()
            assert agreement.effective_at is None
            assert not case.events.filter(kind=CaseEvent.Kind.AGREEMENT).exists()
        assert svc.agreement_missing_signers(agreement) == [str(Signer.COMMITTEE_SEAL.label)]
        svc.agreement_sign(agreement=agreement, signer=Signer.COMMITTEE_SEAL, actor=mia, signed_on=TODAY())
        agreement.refresh_from_db()
        assert agreement.effective_at is not None
        event = case.events.get(kind=CaseEvent.Kind.AGREEMENT)
        assert event.is_public and event.data == {"agreement": agreement.pk}

    def test_a_signature_is_recorded_once(self, agreement, case, mia):
        svc.agreement_sign(agreement=agreement, signer=Signer.MEDIATOR, actor=mia, signed_on=TODAY())
        with pytest.raises(CaseError) as exc:
            svc.agreement_sign(agreement=agreement, signer=Signer.MEDIATOR, actor=mia, signed_on=TODAY())
        assert str(exc.value) == gettext("This signature has already been recorded.")
        assert agreement.signatures.count() == 1

    def test_a_stranger_cannot_sign_as_a_party(self, agreement, mia, carol, areas):
        other = make_case(applicant=carol, area=areas["G1"])
        with pytest.raises(CaseError):
            svc.agreement_sign(
                agreement=agreement, signer=Signer.PARTY, party=other.parties.get(), actor=mia, signed_on=TODAY()
            )
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
        oral = svc.agreement_create(
            case=case, actor=mia, kind=Agreement.Kind.ORAL, oral_content="Bob apologised.", reached_on=TODAY()
        )
        assert oral.effective_at is not None and oral.confirmation_window_ends_at is None
        assert case.events.filter(kind=CaseEvent.Kind.AGREEMENT).count() == 1
        with pytest.raises(CaseError):
            svc.agreement_sign(agreement=oral, signer=Signer.MEDIATOR, actor=mia, signed_on=TODAY())

    def test_a_case_not_in_mediation_gets_no_agreement(self, alice, mia, areas):
        submitted = make_case(applicant=alice, area=areas["G1"])
        with pytest.raises(CaseError):
            svc.agreement_create(case=submitted, actor=mia, **agreement_contents())


class JudicialConfirmationTests:
    def test_the_window_is_thirty_days_from_the_effective_date(self, agreement, mia):
        _sign_all(agreement, mia)
        agreement.refresh_from_db()
        assert agreement.confirmation_window_ends_on == agreement.effective_on + timedelta(days=30)
        assert agreement.confirmation_window_ends_at == start_of_day(TODAY() + timedelta(days=31))

    def test_the_window_follows_the_deadline_policy(self, agreement, mia):
        DeadlinePolicy.objects.create(confirmation_days=20)
        _sign_all(agreement, mia)
        agreement.refresh_from_db()
        assert agreement.confirmation_window_ends_on == agreement.effective_on + timedelta(days=20)

    def test_a_child_support_agreement_in_marriage_and_family_is_eligible(self, alice, bob, mia, areas):
        # 抚养费: the category is 婚姻家庭, but the agreement settles money, not a family relation.
        family = make_case(
            applicant=alice,
            respondent=bob,
            area=areas["G1"],
            status=Case.Status.IN_MEDIATION,
            actor=mia,
            category=Category.objects.get(code="marriage_family"),
        )
        agreement = svc.agreement_create(
            case=family, actor=mia, confirmation_wanted=True, **agreement_contents(terms="抚养费每月1500元")
        )
        assert agreement.confirmation_eligible and agreement.confirmation_wanted

    def test_an_agreement_that_confirms_a_marriage_is_not_eligible(self, case, mia):
        with pytest.raises(CaseError) as exc:
            svc.agreement_create(
                case=case,
                actor=mia,
                confirms=[Agreement.Confirms.MARRIAGE],
                confirmation_wanted=True,
                **agreement_contents(terms="The parties divorce."),
            )
        assert str(Agreement.Confirms.MARRIAGE.label) in str(exc.value)
        assert not Agreement.objects.exists()
        agreement = svc.agreement_create(
            case=case, actor=mia, confirms=[Agreement.Confirms.MARRIAGE], **agreement_contents()
        )
        assert not agreement.confirmation_eligible
        with pytest.raises(CaseError):
            svc.agreement_update(agreement=agreement, actor=mia, confirmation_wanted=True)
        assert Agreement.objects.get(pk=agreement.pk).confirmation_wanted is False

    def test_the_reminder_runs_from_the_window_end_the_agreement_holds(self, agreement, mia):
        from disputes.models import Reminder
        from disputes.services.reminders import reminders_scan, reminders_send

        svc.agreement_update(agreement=agreement, actor=mia, confirmation_wanted=True)
        _sign_all(agreement, mia)
        agreement.refresh_from_db()
        ends = agreement.confirmation_window_ends_at
        assert ends is not None

        def found(at) -> bool:
            reminders_scan(now=at)
            return Reminder.objects.filter(rule="confirmation_window").exists()

        assert not found(ends - timedelta(days=11))
        assert found(ends - timedelta(days=10) + timedelta(hours=1))  # ten days before the end
        ids = list(Reminder.objects.filter(rule="confirmation_window").values_list("pk", flat=True))
        svc.agreement_update(
            agreement=agreement, actor=mia, confirmation_applied_at=timezone.localdate(), court="District court"
        )
        assert reminders_send(reminder_ids=ids)["cancelled"] == len(ids)  # applied meanwhile: not sent

    def test_property_and_ip_ownership_make_it_ineligible_too(self, case, mia):
        for code in (Agreement.Confirms.PROPERTY, Agreement.Confirms.IP):
            agreement = Agreement(case=case, confirms=[code], **agreement_contents())
            assert not agreement.confirmation_eligible


class AgreementByLawTests:
    """The found cases of issue 11, with their dates."""

    def test_signatures_dated_twelve_days_back_start_the_window_on_that_day(self, case, mia):
        signed = TODAY() - timedelta(days=12)
        agreement = svc.agreement_create(case=case, actor=mia, drafted_on=signed, **agreement_contents())
        _sign_all(agreement, mia, signed_on=signed)
        agreement.refresh_from_db()
        assert agreement.effective_on == signed
        # Before: 42 days after signing (the window ran from the moment staff typed the last one).
        assert agreement.confirmation_window_ends_on == signed + timedelta(days=30)
        event = case.events.get(kind=CaseEvent.Kind.AGREEMENT)
        assert formats.date_format(signed, "DATE_FORMAT") in event.note

    def test_it_takes_effect_on_the_latest_signature(self, case, mia, agreement):
        svc.agreement_update(agreement=agreement, actor=mia, drafted_on=TODAY() - timedelta(days=5))
        parties = list(case.parties.all())
        dates = [TODAY() - timedelta(days=d) for d in (5, 2, 4, 3)]
        signers = [(Signer.PARTY, parties[0]), (Signer.PARTY, parties[1]), (Signer.MEDIATOR, None)]
        signers.append((Signer.COMMITTEE_SEAL, None))
        for (signer, party), day in zip(signers, dates, strict=True):
            svc.agreement_sign(agreement=agreement, signer=signer, party=party, actor=mia, signed_on=day)
        agreement.refresh_from_db()
        assert agreement.effective_on == TODAY() - timedelta(days=2)

    def test_a_future_dated_signature_is_refused(self, agreement, mia):
        with pytest.raises(CaseError) as exc:
            svc.agreement_sign(
                agreement=agreement, signer=Signer.MEDIATOR, actor=mia, signed_on=TODAY() + timedelta(days=1)
            )
        assert str(exc.value) == gettext("A signature cannot be dated in the future.")
        assert not agreement.signatures.exists()

    def test_a_signature_before_the_draft_is_refused(self, agreement, mia):
        with pytest.raises(CaseError):
            svc.agreement_sign(
                agreement=agreement, signer=Signer.MEDIATOR, actor=mia, signed_on=TODAY() - timedelta(days=1)
            )
        assert not agreement.signatures.exists()

    def test_an_oral_agreement_takes_effect_on_the_day_it_was_reached(self, case, mia):
        reached = TODAY() - timedelta(days=3)
        oral = svc.agreement_create(
            case=case, actor=mia, kind=Agreement.Kind.ORAL, oral_content="Bob apologised.", reached_on=reached
        )
        assert oral.effective_on == reached

    def test_an_oral_agreement_cannot_be_dated_in_the_future(self, case, mia):
        with pytest.raises(CaseError):
            svc.agreement_create(
                case=case, actor=mia, kind=Agreement.Kind.ORAL, oral_content="x", reached_on=TODAY() + timedelta(1)
            )
        assert not Agreement.objects.exists()

    def test_art_35_missing_place_is_refused_and_named(self, case, mia):
        with pytest.raises(CaseError) as exc:
            svc.agreement_create(case=case, actor=mia, **agreement_contents(performance_place=""))
        place = str(Agreement._meta.get_field("performance_place").verbose_name)
        assert str(exc.value) == gettext("A written agreement must state (2002 rules Art. 35): %(missing)s.") % {
            "missing": place
        }
        assert not Agreement.objects.exists()

    def test_art_35_names_every_missing_item(self, case, mia):
        with pytest.raises(CaseError) as exc:
            svc.agreement_create(case=case, actor=mia, terms="Bob pays 500 yuan.")  # only the terms: refused
        for name in ("facts", "issues", "responsibilities", "performance_method", "performance_deadline"):
            assert str(Agreement._meta.get_field(name).verbose_name) in str(exc.value)

    def test_art_34_a_party_asking_for_writing_refuses_an_oral_agreement(self, case, mia):
        for flag in ("written_requested", "settles_rights"):
            with pytest.raises(CaseError) as exc:
                svc.agreement_create(
                    case=case,
                    actor=mia,
                    kind=Agreement.Kind.ORAL,
                    oral_content="x",
                    reached_on=TODAY(),
                    **{flag: True},
                )
            assert str(Agreement._meta.get_field(flag).verbose_name) in str(exc.value)
        assert not Agreement.objects.exists()


class AgreementAdminTests:
    def test_signatures_added_in_the_admin_make_it_effective(self, agreement, case, mia):
        client = Client()
        client.force_login(mia)
        url = reverse("admin:disputes_agreement_change", args=[agreement.pk])
        assert client.get(url).status_code == 200
        parties = list(case.parties.all())
        rows = [("party", parties[0].pk), ("party", parties[1].pk), ("mediator", ""), ("committee_seal", "")]
        data = {
            "drafted_on": agreement.drafted_on.isoformat(),
            "initial-drafted_on": agreement.drafted_on.isoformat(),  # a callable default's hidden initial
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
                f"signatures-{i}-signed_on": now.strftime("%Y-%m-%d"),
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


class AgreementAdminByLawTests:
    def _add(self, client, case, **overrides):
        # Drafted from the case page (the workbench's "Draft the agreement").
        case.refresh_from_db()
        data = {
            "version": case.version,
            "kind": Agreement.Kind.WRITTEN,
            "drafted_on": TODAY().isoformat(),
            "initial-drafted_on": TODAY().isoformat(),
            "parties_details": "Alice; Bob",
            **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in agreement_contents().items()},
            **overrides,
        }
        return client.post(reverse("admin:disputes_case_document", args=[case.pk, "agreement"]), data)

    def test_a_missing_place_is_a_form_error_naming_it(self, client, case, mia):
        client.force_login(mia)
        response = self._add(client, case, performance_place="")
        assert response.status_code == 200
        assert str(Agreement._meta.get_field("performance_place").verbose_name) in response.content.decode()
        assert not Agreement.objects.exists()

    def test_a_ticked_marriage_with_confirmation_wanted_is_a_form_error(self, client, case, mia):
        client.force_login(mia)
        response = self._add(client, case, confirms=[Agreement.Confirms.MARRIAGE], confirmation_wanted="on")
        assert response.status_code == 200 and not Agreement.objects.exists()
        response = self._add(client, case, confirms=[Agreement.Confirms.MARRIAGE])
        assert response.status_code == 302
        assert Agreement.objects.get().confirms == [Agreement.Confirms.MARRIAGE]

    def test_a_future_dated_signature_in_the_admin_is_refused(self, client, agreement, mia):
        client.force_login(mia)
        url = reverse("admin:disputes_agreement_change", args=[agreement.pk])
        data = {
            "drafted_on": agreement.drafted_on.isoformat(),
            "initial-drafted_on": agreement.drafted_on.isoformat(),
            "parties_details": agreement.parties_details,
            **{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in agreement_contents().items()},
            "signatures-TOTAL_FORMS": 1,
            "signatures-INITIAL_FORMS": 0,
            "signatures-MIN_NUM_FORMS": 0,
            "signatures-MAX_NUM_FORMS": 1000,
            "signatures-0-signer": "mediator",
            "signatures-0-signed_on": (TODAY() + timedelta(days=2)).isoformat(),
        }
        response = client.post(url, data)
        assert response.status_code == 200
        assert gettext("A signature cannot be dated in the future.") in response.content.decode()
        assert not agreement.signatures.exists()
