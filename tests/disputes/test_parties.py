"""Parties join a case only through a verified phone and a confirmation; staff add parties and
record consent on paper; a walk-in applicant's SMS link opens their one case (issue 15)."""

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboundSms, User
from disputes import services
from disputes.models import Case, CaseEvent, Category, Party
from disputes.services import parties as party_services
from tests.factories import make_case, make_user

pytestmark = pytest.mark.django_db

VICTIM = "13900001111"
REGISTER_CASE = reverse("admin:disputes_case_register")


@pytest.fixture
def client(committing_client):
    return committing_client


def walk_in_form(area, **extra):
    return {
        "source": Case.Source.WALK_IN,
        "applicant_phone": VICTIM,
        "applicant_name": "Dora Xu",
        "applicant_id_number": "",
        "respondent_name": "Eddie Ma",
        "respondent_phone": "13900002222",
        "category": Category.objects.get(code="neighbours").pk,
        "area": area.pk,
        "title": "Dog barking",
        "summary": "The dog next door barks all night.",
        "request": "Keep the dog quiet at night.",
        "households": 1,
        **extra,
    }


def register_and_verify(client, phone, sms_outbox, name="Someone"):
    client.post(
        reverse("accounts:register"),
        {
            "phone": phone,
            "full_name": name,
            "email": "",
            "password1": "Quiet-Neighbour-42",
            "password2": "Quiet-Neighbour-42",
            "agree_terms": "on",
        },
    )
    return client.post(reverse("accounts:phone_verify"), {"code": sms_outbox.code_for(phone)})


class TakeoverTests:
    def test_a_stranger_who_registered_the_victims_phone_never_gets_the_case(
        self, client, mia, areas, sms_outbox, django_user_model
    ):
        # The attacker registers the victim's number first and cannot verify it: no account.
        client.post(
            reverse("accounts:register"),
            {
                "phone": VICTIM,
                "full_name": "Mallory",
                "password1": "Quiet-Neighbour-42",
                "password2": "Quiet-Neighbour-42",
                "agree_terms": "on",
            },
        )
        client.post(reverse("accounts:phone_verify"), {"code": "000000"})
        # An account from before verification that holds the number unverified (the old way in).
        mallory = make_user("mallory", phone=VICTIM)

        client.force_login(mia)
        client.post(REGISTER_CASE, walk_in_form(areas["G1"]))
        case = Case.objects.get()
        applicant = case.parties.get(role=Party.Role.APPLICANT)
        assert applicant.user is None
        assert not User.objects.filter(phone=VICTIM).exclude(pk=mallory.pk).exists()  # no random-password account

        client.force_login(mallory)
        assert client.get(reverse("disputes:case_list")).context["cases"] == []
        assert client.get(case.get_absolute_url()).status_code == 404
        assert client.get(reverse("disputes:party_offers")).context["offers"] == []
        assert client.post(reverse("disputes:party_confirm", args=[applicant.pk])).status_code == 404
        client.post(reverse("disputes:case_withdraw", args=[case.number]), {"reason": "mine now"})
        case.refresh_from_db()
        assert case.status == Case.Status.SUBMITTED

        # The victim registers and verifies the number: the case is offered, and joins on "yes".
        client.logout()
        response = register_and_verify(client, VICTIM, sms_outbox, name="Dora Xu")
        assert response["Location"] == reverse("disputes:party_offers")
        victim = User.objects.get(phone=VICTIM)
        offers = client.get(reverse("disputes:party_offers")).context["offers"]
        assert [p.pk for p in offers] == [applicant.pk]
        client.post(reverse("disputes:party_confirm", args=[applicant.pk]))

        applicant.refresh_from_db()
        assert applicant.user == victim
        assert case.events.filter(kind=CaseEvent.Kind.PARTY_LINKED, actor=victim).exists()
        assert client.get(case.get_absolute_url()).status_code == 200
        mallory.refresh_from_db()
        assert mallory.phone is None
        client.force_login(mallory)
        assert client.get(case.get_absolute_url()).status_code == 404


class PartyLinkTests:
    def test_an_unverified_phone_gets_no_offer_and_cannot_link(self, alice, bob, mia, areas):
        case = make_case(applicant=alice, area=areas["G1"])
        party = add_party(case, mia, Party.Role.RESPONDENT, "Bob", bob.phone)

        assert not party_services_offers(bob)
        with pytest.raises(services.CaseError):
            party_services.party_link(party=party, user=bob)
        party.refresh_from_db()
        assert party.user is None

    def test_a_party_is_linked_once(self, alice, bob, carol, mia, areas):
        case = make_case(applicant=alice, area=areas["G1"])
        party = add_party(case, mia, Party.Role.RESPONDENT, "Bob", bob.phone)
        bob.phone_verified_at = timezone.now()
        bob.save()
        # Another request linked the party first (moved the row as another worker would).
        Party.objects.filter(pk=party.pk).update(user=carol)
        with pytest.raises(services.CaseError):
            party_services.party_link(party=party, user=bob)
        assert not case.events.filter(kind=CaseEvent.Kind.PARTY_LINKED).exists()

    def test_closed_cases_are_not_offered(self, alice, bob, mia, areas):
        bob.phone_verified_at = timezone.now()
        bob.save()
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.WITHDRAWN)
        Party.objects.create(case=case, role=Party.Role.RESPONDENT, name="Bob", phone=bob.phone)
        assert not party_services_offers(bob)


def add_party(case, actor, role, name, phone):
    """Staff add a party through the workbench's service: never linked to an account."""
    return services.party_add(case=case, actor=actor, data=services.PartyData(role=role, name=name, phone=phone))


def party_services_offers(user):
    from disputes import selectors

    return list(selectors.party_offers_for_user(user))


class StaffPartyTests:
    def test_a_refusal_on_paper_ends_mediation_with_routes_advised(self, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        respondent = case.parties.get(role=Party.Role.RESPONDENT)
        scan = SimpleUploadedFile("refusal.pdf", b"%PDF-1.4 scan", content_type="application/pdf")
        signed = timezone.localdate()

        party_services.party_record_paper_consent(
            party=respondent, actor=mia, consents=False, given_on=signed, scan=scan, note="Signed at the office."
        )

        case.refresh_from_db()
        respondent.refresh_from_db()
        assert (case.status, case.outcome) == (Case.Status.CLOSED, Case.Outcome.TERMINATED)
        assert case.routes_advised
        assert (respondent.consents_to_mediation, respondent.consent_given_on) == (False, signed)
        assert respondent.consent_scan.original_name == "refusal.pdf"

    def test_a_paper_date_in_the_future_is_refused(self, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"])
        respondent = case.parties.get(role=Party.Role.RESPONDENT)
        with pytest.raises(services.CaseError):
            party_services.party_record_paper_consent(
                party=respondent,
                actor=mia,
                consents=True,
                given_on=timezone.localdate() + timezone.timedelta(days=1),
            )
        respondent.refresh_from_db()
        assert respondent.consents_to_mediation is None


class WalkInLinkTests:
    def _walk_in(self, client, mia, areas, **extra):
        client.force_login(mia)
        client.post(REGISTER_CASE, walk_in_form(areas["G1"], **extra))
        client.logout()
        return Case.objects.order_by("-pk").first()

    def test_the_sms_link_opens_only_that_case(self, client, mia, areas, sms_outbox):
        case = self._walk_in(client, mia, areas)
        other = self._walk_in(client, mia, areas, applicant_phone="13900004444", title="Other case")
        (message,) = [m for m in sms_outbox.to(VICTIM) if m["template"] == "case_link"]
        assert case.number in message["text"]
        assert "Dog barking" not in message["text"]  # the number and a link, never contents
        path = message["text"].split("http://127.0.0.1:8000")[1].split()[0]

        response = client.get(path)

        assert response.status_code == 200
        assert response.context["case"] == case
        assert other.number not in response.content.decode()
        token = path.split("/")[2]
        tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        assert client.get(reverse("disputes:case_link", args=[tampered])).status_code == 404
        # a token of another salt (e.g. a password-reset style signature) is refused too
        foreign = signing.dumps({"p": other.parties.get(role=Party.Role.APPLICANT).pk, "t": "13900004444"})
        assert client.get(reverse("disputes:case_link", args=[foreign])).status_code == 404
        assert OutboundSms.objects.filter(key__startswith="case_link:").count() == 2

    def test_an_expired_link_is_renewed_by_code(self, client, mia, areas, sms_outbox, monkeypatch, settings):
        case = self._walk_in(client, mia, areas)
        applicant = case.parties.get(role=Party.Role.APPLICANT)
        old = int(timezone.now().timestamp()) - (settings.CASE_LINK_DAYS * 86400 + 60)
        monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(old))
        token = party_services.case_link_token(applicant)
        monkeypatch.undo()

        response = client.get(reverse("disputes:case_link", args=[token]))
        assert response.status_code == 410
        assert "Dog barking" not in response.content.decode()

        renew = reverse("disputes:case_link_renew", args=[token])
        client.post(renew, {"send": "1"})
        assert client.post(renew, {"code": "000000"}).status_code == 400
        response = client.post(renew, {"code": sms_outbox.code_for(VICTIM)})

        assert response.status_code == 302
        assert client.get(response["Location"]).context["case"] == case
        links = [m for m in sms_outbox.to(VICTIM) if m["template"] == "case_link"]
        assert len(links) == 2  # the first and the renewed one

    def test_a_corrected_phone_voids_the_old_link(self, client, mia, areas):
        case = self._walk_in(client, mia, areas)
        applicant = case.parties.get(role=Party.Role.APPLICANT)
        token = party_services.case_link_token(applicant)
        Party.objects.filter(pk=applicant.pk).update(phone="13900005555")
        assert client.get(reverse("disputes:case_link", args=[token])).status_code == 404


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 200)).save(buffer, "PNG")
    return buffer.getvalue()


class StaffPartyPageTests:
    def _url(self, case):
        return reverse("disputes:case_parties", args=[case.number])

    def test_the_workbench_leads_here(self, client, alice, mia, areas):
        case = make_case(applicant=alice, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)
        client.force_login(mia)
        page = client.get(reverse("admin:disputes_case_change", args=[case.pk])).content.decode()
        assert self._url(case) in page

    def test_a_mediator_records_a_refusal_on_paper_with_a_scan(self, client, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.ASSIGNED, actor=mia)
        respondent = case.parties.get(role=Party.Role.RESPONDENT)
        client.force_login(mia)
        scan = SimpleUploadedFile("refusal.png", png_bytes(), "image/png")
        response = client.post(
            self._url(case),
            {
                "consent": "1",
                "party": respondent.pk,
                "consents": "0",
                "given_on": timezone.localdate().isoformat(),
                "scan": scan,
            },
        )
        assert response.status_code == 302
        case.refresh_from_db()
        respondent.refresh_from_db()
        assert (case.status, case.outcome) == (Case.Status.CLOSED, Case.Outcome.TERMINATED)
        assert respondent.consent_scan is not None

    def test_bad_input_answers_400_and_keeps_it(self, client, alice, bob, mia, areas):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"])
        respondent = case.parties.get(role=Party.Role.RESPONDENT)
        client.force_login(mia)
        tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
        response = client.post(
            self._url(case),
            {"consent": "1", "party": respondent.pk, "consents": "1", "given_on": tomorrow, "note": "kept"},
        )
        assert response.status_code == 400
        assert 'value="kept"' in response.content.decode()
        response = client.post(self._url(case), {"party": "nonsense", "consents": "2", "given_on": "2026-13-45"})
        assert response.status_code == 400
        respondent.refresh_from_db()
        assert respondent.consents_to_mediation is None

    @pytest.mark.parametrize("who", ["otto", "alice", "bob"])
    def test_outsiders_and_residents_get_404(self, client, alice, bob, mia, otto, areas, who):
        case = make_case(applicant=alice, respondent=bob, area=areas["G1"])
        client.force_login({"otto": otto, "alice": alice, "bob": bob}[who])
        assert client.get(self._url(case)).status_code == 404
        respondent = case.parties.get(role=Party.Role.RESPONDENT)
        data = {"party": respondent.pk, "consents": "0", "given_on": timezone.localdate().isoformat()}
        assert client.post(self._url(case), data).status_code == 404
        respondent.refresh_from_db()
        assert respondent.consents_to_mediation is None
