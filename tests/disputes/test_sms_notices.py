"""Case events reach the parties by SMS, once each, with the number and a link only (issue 15)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundSms
from disputes import services
from disputes.models import Case, Category, InboxMessage, Party
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(alice, bob):
    for user in (alice, bob):
        user.phone_verified_at = timezone.now()
        user.save()
    return alice, bob


def texts(sms_outbox, phone):
    return [(m["template"], m["text"]) for m in sms_outbox.to(phone)]


class SmsNoticeTests:
    def test_the_applicant_gets_a_receipt_acceptance_and_closure_once(
        self, verified, mia, areas, sms_outbox, django_capture_on_commit_callbacks
    ):
        alice, bob = verified
        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(
                applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.case_terminate(case=case, actor=mia, routes_advised="Court.")

        sent = texts(sms_outbox, alice.phone)
        assert [t for t, _text in sent] == ["case_receipt", "case_accepted", "case_closed"]
        receipt, accepted, closed = (text for _t, text in sent)
        assert case.number in receipt and f"/cases/{case.number}/" in receipt
        assert "Mia Chen" in accepted
        assert "Noise" not in receipt + accepted + closed  # no case contents
        assert "Drilling" not in receipt + accepted + closed
        # bob, the respondent, hears of the acceptance and the closure; nobody twice
        assert [t for t, _text in texts(sms_outbox, bob.phone)] == ["case_accepted", "case_closed"]
        assert OutboundSms.objects.filter(state=OutboundSms.State.SENT).count() == 5

    def test_a_resident_who_turned_sms_off_gets_none(
        self, verified, mia, areas, sms_outbox, django_capture_on_commit_callbacks
    ):
        alice, bob = verified
        bob.notify_sms = False
        bob.save()
        with django_capture_on_commit_callbacks(execute=True):
            make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        assert texts(sms_outbox, bob.phone) == []

    def test_an_unverified_phone_gets_none(self, alice, mia, areas, sms_outbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            make_case(applicant=alice, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        assert texts(sms_outbox, alice.phone) == []

    def test_the_satisfaction_sms_waits_for_the_follow_up_day(
        self, verified, mia, areas, sms_outbox, django_capture_on_commit_callbacks
    ):
        alice, _bob = verified
        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)

        row = OutboundSms.objects.get(template="satisfaction")
        assert row.state == OutboundSms.State.PENDING
        assert row.available_at >= case.resolved_at + timedelta(days=15) - timedelta(seconds=5)
        assert "satisfaction" not in [t for t, _text in texts(sms_outbox, alice.phone)]

    def test_a_walk_in_applicant_hears_through_their_case_link(
        self, client, mia, areas, sms_outbox, django_capture_on_commit_callbacks
    ):
        client.force_login(mia)
        data = {
            "source": Case.Source.WALK_IN,
            "applicant_phone": "13900001111",
            "applicant_name": "Dora Xu",
            "applicant_id_number": "",
            "respondent_name": "",
            "respondent_phone": "",
            "category": Category.objects.get(code="neighbours").pk,
            "area": areas["G1"].pk,
            "title": "Dog barking",
            "summary": "The dog next door barks all night.",
            "request": "Keep the dog quiet at night.",
            "households": 1,
        }
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("admin:disputes_case_register"), data)
        case = Case.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            services.case_accept(case=case, actor=mia, mediator=mia)

        sent = texts(sms_outbox, "13900001111")
        assert [t for t, _text in sent] == ["case_link", "case_accepted"]
        assert "/c/" in sent[1][1]
        assert case.parties.get(role=Party.Role.APPLICANT).user is None


class InboxSubjectTests:
    def test_a_status_change_says_the_new_status(self, alice, mia, areas):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        subjects = list(InboxMessage.objects.filter(recipient=alice, case=case).values_list("subject", flat=True))
        assert f"案件 {case.number}：调解中" in subjects


class SatisfactionLinkTests:
    def test_the_satisfaction_link_rates_in_one_click_without_signing_in(
        self, client, verified, mia, areas, django_capture_on_commit_callbacks
    ):
        from disputes.models import FollowUp

        alice, _bob = verified
        with django_capture_on_commit_callbacks(execute=True):
            case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.RESOLVED, actor=mia)
        row = OutboundSms.objects.get(template="satisfaction")
        assert row.phone == alice.phone and case.number in row.params["number"]
        path = row.params["link"].split("http://127.0.0.1:8000")[1]

        page = client.get(path)  # not signed in
        assert page.status_code == 200
        assert "_auth_user_id" not in client.session
        response = client.post(path, {"satisfaction": FollowUp.Satisfaction.SATISFIED})

        assert response.status_code == 302
        follow_up = FollowUp.objects.get(case=case)
        assert (follow_up.source, follow_up.party.user, follow_up.satisfaction) == (
            FollowUp.Source.RESIDENT,
            alice,
            FollowUp.Satisfaction.SATISFIED,
        )
        assert client.post(path, {"satisfaction": FollowUp.Satisfaction.DISSATISFIED}).status_code == 200
        assert FollowUp.objects.filter(case=case).count() == 1  # once per party
        assert client.post(path, {"satisfaction": "nonsense"}).status_code in (200, 302)
        assert client.get(path.replace("/rate/", "x/rate/")).status_code == 404


class MeetingInvitationTests:
    def test_the_parties_are_invited_with_time_and_place_once(
        self, verified, mia, areas, sms_outbox, django_capture_on_commit_callbacks
    ):
        from disputes.services import meetings

        alice, bob = verified
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        sms_outbox.messages.clear()
        when = timezone.now() + timedelta(days=3)
        with django_capture_on_commit_callbacks(execute=True):
            meetings.meeting_create(
                community=areas["C1"],
                topic="Noise",
                scheduled_at=when,
                place="Community hall",
                actor=mia,
                cases=[case],
            )

        for phone in (alice.phone, bob.phone):
            (sms,) = [m for m in sms_outbox.to(phone) if m["template"] == "meeting"]
            assert case.number in sms["text"] and "Community hall" in sms["text"]
        assert OutboundSms.objects.filter(template="meeting").count() == 2


class AgreementReadyTests:
    def test_the_parties_are_asked_to_sign_a_written_agreement_once(
        self, verified, mia, areas, sms_outbox, django_capture_on_commit_callbacks
    ):
        from disputes.services import closure
        from tests.factories import agreement_contents

        alice, bob = verified
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        with django_capture_on_commit_callbacks(execute=True):
            closure.agreement_create(case=case, actor=mia, **agreement_contents())

        for phone in (alice.phone, bob.phone):
            (sms,) = [m for m in sms_outbox.to(phone) if m["template"] == "agreement_ready"]
            assert case.number in sms["text"]
            assert "500 yuan" not in sms["text"]  # never the terms
