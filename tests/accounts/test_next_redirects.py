"""Every `next` goes through Django's safe-URL check: no view sends a user off-site."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import make_case

pytestmark = pytest.mark.django_db

EVIL = ["https://evil.example/", "//evil.example/", "///evil.example/", "https:evil.example", "\\\\evil.example"]


def _off_site(response) -> bool:
    location = response["Location"]
    return "evil.example" in location


def _register_and_verify(client, sms_outbox, query: str):
    """Registration is two steps (the form, then the SMS code): `next` is followed after the second."""
    response = client.post(
        reverse("accounts:register") + query,
        {
            "phone": "13800138000",
            "full_name": "Wang Fang",
            "password1": "Quiet-Neighbour-42",
            "password2": "Quiet-Neighbour-42",
            "agree_terms": "on",
        },
    )
    assert response["Location"] == reverse("accounts:phone_verify")
    return client.post(reverse("accounts:phone_verify"), {"code": sms_outbox.code_for("13800138000")})


class NextRedirectTests:
    @pytest.mark.parametrize("target", EVIL)
    def test_register_ignores_an_off_site_next(self, committing_client, sms_outbox, target):
        response = _register_and_verify(committing_client, sms_outbox, "?next=" + target)

        assert response.status_code == 302
        assert not _off_site(response)
        assert response["Location"] == reverse("disputes:party_offers")
        assert User.objects.filter(phone="13800138000").exists()

    def test_register_follows_a_local_next(self, committing_client, sms_outbox):
        response = _register_and_verify(committing_client, sms_outbox, "?next=/cases/new/")

        assert response["Location"] == "/cases/new/"

    @pytest.mark.parametrize("target", EVIL)
    def test_login_ignores_an_off_site_next(self, client, alice, target):
        response = client.post(
            reverse("accounts:login") + "?next=" + target, {"username": alice.phone, "password": "pw-Linli-2026"}
        )

        assert response.status_code == 302
        assert not _off_site(response)
        assert "_auth_user_id" in client.session

    @pytest.mark.parametrize("target", EVIL)
    def test_admin_login_ignores_an_off_site_next(self, client, sam, target):
        response = client.post(
            reverse("admin:login") + "?next=" + target, {"username": "sam", "password": "pw-Linli-2026"}
        )

        assert response.status_code == 302
        assert not _off_site(response)

    @pytest.mark.parametrize("target", EVIL)
    def test_language_switch_ignores_an_off_site_next(self, client, target):
        response = client.post(reverse("set_language"), {"language": "en", "next": target})

        assert response.status_code == 302
        assert not _off_site(response)

    @pytest.mark.parametrize("target", EVIL)
    def test_logout_ignores_an_off_site_next(self, client, alice, target):
        client.force_login(alice)

        response = client.post(reverse("accounts:logout") + "?next=" + target)

        assert response.status_code == 302
        assert not _off_site(response)

    @pytest.mark.parametrize("target", [*EVIL, "/dashboard//evil.example/"])
    def test_supervision_order_ignores_an_off_site_next(self, client, sam, mia, alice, areas, target):
        case = make_case(applicant=alice, area=areas["G1"], status="assigned", mediator=mia)
        client.force_login(sam)

        response = client.post(
            reverse("disputes:supervision_order", args=[case.number]), {"note": "hurry", "next": target}
        )

        assert response.status_code == 302
        assert not _off_site(response)
        assert response["Location"] == reverse("disputes:supervision")

    def test_supervision_order_follows_a_dashboard_next(self, client, sam, mia, alice, areas):
        case = make_case(applicant=alice, area=areas["G1"], status="assigned", mediator=mia)
        client.force_login(sam)

        response = client.post(
            reverse("disputes:supervision_order", args=[case.number]),
            {"note": "hurry", "next": "/dashboard/supervision/?page=2"},
        )

        assert response["Location"] == "/dashboard/supervision/?page=2"
