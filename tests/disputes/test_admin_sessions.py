"""Mediation session records (调解笔录) in the admin, and their access-checked scans."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from disputes.models import Case, CaseEvent, MediationSession
from tests.factories import make_case


def add_url(case):
    return reverse("admin:disputes_case_document", args=[case.pk, "session"])


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def case(alice, bob, areas, mia):
    return make_case(applicant=alice, respondent=bob, area=areas["G1"], status=Case.Status.IN_MEDIATION, actor=mia)


def session_data(case, **extra):
    return {
        "version": case.version,
        "held_at": "2026-11-20T10:00",
        "place": "Community 1 office",
        "attendees": "Alice Zhang, Bob Wang, Mia Chen",
        "content": "Bob agreed to stop drilling after 20:00.",
        "agreed": "No drilling after 20:00.",
        **extra,
    }


@pytest.mark.django_db
class MediationSessionAdminTests:
    def test_it_records_a_session_with_a_scan_and_an_event(self, client, mia, case):
        client.force_login(mia)
        scan = SimpleUploadedFile("record.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
        response = client.post(add_url(case), session_data(case, scan=scan))
        assert response.url == reverse("admin:disputes_case_change", args=[case.pk])
        session = MediationSession.objects.get(case=case)
        assert (session.recorded_by, session.agreed) == (mia, "No drilling after 20:00.")
        assert not session.scan.name.endswith("record.pdf")  # a random name under MEDIA_ROOT
        event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.SESSION)
        assert (event.actor, event.is_public, event.data) == (mia, False, {"session": session.pk})

    def test_the_form_opens_with_the_parties_of_the_case(self, client, mia, case):
        client.force_login(mia)
        response = client.get(add_url(case))
        assert "Alice Zhang" in response.context["form"]["attendees"].value()
        assert "Bob Wang" in response.context["form"]["attendees"].value()

    def test_it_refuses_a_case_of_another_community(self, client, otto, case):
        client.force_login(otto)
        response = client.post(add_url(case), session_data(case))
        assert response.status_code == 404
        assert not MediationSession.objects.exists()

    def test_the_admin_has_no_add_page_without_a_case(self, client, mia, case):
        client.force_login(mia)
        assert client.get(reverse("admin:disputes_mediationsession_add")).status_code == 403

    def test_it_refuses_a_scan_that_is_not_a_document(self, client, mia, case):
        client.force_login(mia)
        scan = SimpleUploadedFile("record.exe", b"MZ", content_type="application/octet-stream")
        response = client.post(add_url(case), session_data(case, scan=scan))
        assert "scan" in response.context["form"].errors
        assert not MediationSession.objects.exists()

    def test_the_scan_is_served_only_to_staff_of_the_area(self, client, mia, otto, case):
        client.force_login(mia)
        scan = SimpleUploadedFile("record.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
        client.post(add_url(case), session_data(case, scan=scan))
        session = MediationSession.objects.get(case=case)
        url = reverse("admin:disputes_mediationsession_scan", args=[session.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 signed"
        client.force_login(otto)
        assert client.get(url).status_code == 404

    def test_the_case_page_lists_the_session(self, client, mia, case):
        client.force_login(mia)
        client.post(add_url(case), session_data(case))
        html = client.get(reverse("admin:disputes_case_change", args=[case.pk])).content.decode()
        assert "Bob agreed to stop drilling after 20:00." in html

    def test_a_record_cannot_be_edited(self, client, mia, case):
        client.force_login(mia)
        client.post(add_url(case), session_data(case))
        session = MediationSession.objects.get(case=case)
        case.refresh_from_db()
        client.post(
            reverse("admin:disputes_mediationsession_change", args=[session.pk]), session_data(case, agreed="x")
        )
        session.refresh_from_db()
        assert session.agreed == "No drilling after 20:00."
