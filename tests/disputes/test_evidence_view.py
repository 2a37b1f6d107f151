"""Evidence downloads: only the parties and the staff of the case's area get the file."""

from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.shortcuts import resolve_url
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext

from disputes import services
from disputes.models import Evidence
from disputes.uploads import check_upload
from tests.disputes.test_uploads import JPEG, pdf_bytes, upload
from tests.factories import make_case, make_user

PDF = pdf_bytes()


@pytest.fixture
def case(alice, bob, areas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_case(applicant=alice, respondent=bob, area=areas["G1"])


def attach(case, user, name: str, data: bytes) -> Evidence:
    file = upload(name, data, content_type="application/octet-stream")
    check_upload(file)
    return services.evidence_attach(case=case, upload=file, uploaded_by=user)


@pytest.fixture
def photo(case, alice):
    return attach(case, alice, "楼上漏水.jpg", JPEG)


@pytest.fixture
def document(case, alice):
    return attach(case, alice, "repair quote.pdf", PDF)


def download(client, user, evidence: Evidence):
    if user is not None:
        client.force_login(user)
    return client.get(reverse("disputes:evidence_download", args=[evidence.pk]))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_safe_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
class EvidenceDownloadTests:
    def test_the_applicant_sees_a_photo_inline(self, client, alice, photo):
        response = download(client, alice, photo)

        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"] == f"inline; filename*=utf-8''{quote('楼上漏水.jpg')}"
        assert_safe_headers(response)
        assert body(response) == JPEG

    def test_the_respondent_downloads_a_pdf_as_an_attachment(self, client, bob, document):
        response = download(client, bob, document)

        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="repair quote.pdf"'
        assert_safe_headers(response)
        assert body(response) == PDF

    def test_another_resident_gets_404(self, client, carol, photo, document, areas):
        make_case(applicant=carol, area=areas["G1"])  # a party, but to another case

        assert download(client, carol, photo).status_code == 404
        assert download(client, carol, document).status_code == 404

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, photo):
        url = reverse("disputes:evidence_download", args=[photo.pk])

        response = client.get(url)

        assert response.status_code == 302
        assert response["Location"] == f"{resolve_url(django_settings.LOGIN_URL)}?next={quote(url)}"

    @pytest.mark.parametrize("staff", ["mia", "sue", "sam"])
    def test_staff_serving_the_area_get_the_file(self, client, request, photo, staff):
        response = download(client, request.getfixturevalue(staff), photo)

        assert response.status_code == 200
        assert body(response) == JPEG

    def test_a_mediator_of_another_community_gets_404(self, client, otto, photo, document):
        assert download(client, otto, photo).status_code == 404
        assert download(client, otto, document).status_code == 404

    def test_the_assigned_mediator_gets_the_file_even_from_another_area(self, client, case, otto, sam, photo):
        services.case_accept(case=case, actor=sam, mediator=otto)

        assert download(client, otto, photo).status_code == 200

    def test_a_supervisor_of_another_subdistrict_gets_404(self, client, areas, photo):
        outsider = make_user("sub2boss", role="supervisor", areas=[areas["S2"]])

        assert download(client, outsider, photo).status_code == 404

    def test_a_resident_with_areas_set_still_needs_to_be_a_party(self, client, areas, photo):
        resident = make_user("dave", areas=[areas["D"]])

        assert download(client, resident, photo).status_code == 404

    def test_a_row_with_an_unexpected_type_is_served_as_an_opaque_attachment(self, client, alice, photo):
        Evidence.objects.filter(pk=photo.pk).update(content_type="text/html", original_name="x.html")

        response = download(client, alice, photo)

        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert_safe_headers(response)

    def test_an_unknown_or_missing_file_is_404(self, client, alice, photo):
        client.force_login(alice)
        assert client.get(reverse("disputes:evidence_download", args=[photo.pk + 1000])).status_code == 404

        photo.file.storage.delete(photo.file.name)
        assert download(client, alice, photo).status_code == 404

    def test_it_refuses_post(self, client, alice, photo):
        client.force_login(alice)

        response = client.post(reverse("disputes:evidence_download", args=[photo.pk]))

        assert response.status_code == 405

    def test_the_file_is_not_reachable_by_its_storage_path(self, client, alice, photo):
        client.force_login(alice)

        for prefix in ("/media/", "/static/", "/"):
            assert client.get(prefix + photo.file.name).status_code == 404


def test_evidence_is_kept_outside_the_static_root():
    media, static = Path(django_settings.MEDIA_ROOT).resolve(), Path(django_settings.STATIC_ROOT).resolve()

    assert not media.is_relative_to(static) and not static.is_relative_to(media)


class EvidenceOnTheCasePageTests:
    """The workbench shows evidence as a mediator reads it (issue 14): a picture, a kind and a size."""

    def test_a_photo_shows_as_a_thumbnail_with_a_human_type_and_size(self, client, mia, case, photo, document):
        client.force_login(mia)
        html = client.get(reverse("admin:disputes_case_change", args=[case.pk])).content.decode()
        url = reverse("disputes:evidence_download", args=[photo.pk])

        assert f'<img src="{url}"' in html
        assert f'<img src="{reverse("disputes:evidence_download", args=[document.pk])}"' not in html
        assert gettext("photo (JPEG)") in html and gettext("PDF document") in html
        assert filesizeformat(photo.size) in html
        assert "image/jpeg" not in html and "application/pdf" not in html

    def test_the_thumbnail_is_served_only_through_the_access_checked_view(self, client, photo, areas):
        outsider = make_user("otto_thumb", role="mediator", is_staff=True, areas=[areas["C2"]])
        assert download(client, outsider, photo).status_code == 404
