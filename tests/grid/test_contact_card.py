"""The contact card on a resident's pages and the printable building card with its QR code."""

import io

import pytest
import segno
import zxingcpp
from django.urls import reverse
from PIL import Image

from accounts.models import Organisation
from grid.models import GridMember
from tests.factories import make_case
from tests.grid.conftest import make_member


@pytest.fixture
def card_people(areas, gina, mia):
    GridMember.objects.filter(user=gina).update(published_phone="13911112222", office_hours="周一至周五 9:00-17:00")
    make_member("harry", GridMember.Role.GRID_HEAD, areas["C1"])
    Organisation.objects.create(
        name="Community 1 office",
        kind=Organisation.Kind.RESIDENTS_COMMITTEE,
        area=areas["C1"],
        contact_phone="010-1234",
    )


class ContactCardTests:
    def test_a_residents_case_home_and_profile_pages_show_the_card(self, client, areas, alice, card_people, estate):
        case = make_case(applicant=alice, area=areas["G1"])
        client.force_login(alice)
        for url in (reverse("disputes:case_detail", args=[case.number]), reverse("home"), reverse("accounts:profile")):
            html = client.get(url).content.decode()
            assert 'id="contact-card"' in html, url
            for text in ("Gina", "13911112222", "周一至周五 9:00-17:00", "Harry", "Mia Chen", "010-1234"):
                assert text in html, (url, text)

    def test_a_resident_without_a_place_sees_no_card(self, client, carol, card_people):
        client.force_login(carol)
        assert 'id="contact-card"' not in client.get(reverse("home")).content.decode()

    def test_the_building_card_qr_opens_the_filing_page_with_the_place_chosen(
        self, client, areas, gina, card_people, estate, alice
    ):
        client.force_login(gina)
        response = client.get(reverse("grid:building_card"), {"estate": estate.pk, "building": "1号楼"})
        assert response.status_code == 200
        uri = response.context["qr_uri"]
        assert uri.startswith("data:image/svg+xml")
        # Draw the same code as a picture and read it back with a real decoder.
        png = io.BytesIO()
        segno.make(response.context["filing_url"], error="m").save(png, kind="png", scale=4)
        png.seek(0)
        decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
        assert decoded == [response.context["filing_url"]]
        client.force_login(alice)
        form = client.get(decoded[0]).context["form"]
        assert (form.initial["community"], form.initial["grid"], form.initial["estate"], form.initial["building"]) == (
            areas["C1"].pk,
            areas["G1"].pk,
            estate.pk,
            "1号楼",
        )

    def test_the_filing_page_ignores_a_place_that_does_not_fit(self, client, areas, alice, estate):
        client.force_login(alice)
        for query in (
            {"grid": areas["C1"].pk},
            {"grid": "²"},
            {"grid": 10**30},
            {"grid": areas["G2"].pk, "estate": estate.pk},
        ):
            response = client.get(reverse("disputes:case_new"), query)
            assert response.status_code == 200
            assert "estate" not in response.context["form"].initial

    def test_outsiders_cannot_print_a_buildings_card(self, client, estate, gus, alice, otto):
        for user in (gus, alice, otto):
            client.force_login(user)
            assert client.get(reverse("grid:building_card"), {"estate": estate.pk}).status_code == 404
