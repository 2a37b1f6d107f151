"""User names are never a phone number in admin lists (issue 12, item 8)."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-Linli-2026", full_name="Root Admin")


class UserNameTests:
    def test_a_registered_resident_gets_a_user_name_that_is_not_their_phone(self):
        user = services.resident_register(phone="13800138000", password="Quiet-Neighbour-42", full_name="Wang Fang")

        assert user.username != "13800138000"
        assert "13800138000" not in user.username
        assert "38001380" not in user.username

    def test_two_residents_get_different_user_names(self):
        one = services.resident_register(phone="13800138000", password="Quiet-Neighbour-42")
        two = services.resident_register(phone="13800138009", password="Quiet-Neighbour-42")

        assert one.username != two.username

    def test_the_user_admin_list_shows_no_full_phone(self, client, admin_user):
        # A legacy account whose user name is its phone number, and one without a full name.
        make_user("13900139000", phone="13900139000", full_name="")
        services.resident_register(phone="13800138000", password="Quiet-Neighbour-42", full_name="Wang Fang")
        client.force_login(admin_user)

        response = client.get(reverse("admin:accounts_user_changelist"))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Wang Fang" in html
        assert "139****9000" in html
        assert "13900139000" not in html
        assert "13800138000" not in html

    def test_a_user_named_by_a_phone_number_prints_masked(self):
        user = make_user("13900139000", phone="13900139001", full_name="")

        assert str(user) == "139****9000"

    def test_admin_search_by_phone_still_finds_the_resident(self, client, admin_user):
        services.resident_register(phone="13800138000", password="Quiet-Neighbour-42", full_name="Wang Fang")
        client.force_login(admin_user)

        response = client.get(reverse("admin:accounts_user_changelist"), {"q": "13800138000"})

        assert response.context["cl"].result_count == 1

    def test_the_failed_login_list_masks_typed_phone_numbers(self, client, admin_user, alice):
        for _ in range(2):
            client.post(reverse("accounts:login"), {"username": "138 0013 8001", "password": "wrong"})
        client.force_login(admin_user)

        response = client.get(reverse("admin:axes_accessattempt_changelist"))

        assert response.status_code == 200
        html = response.content.decode()
        assert "138****8001" in html
        assert "13800138001" not in html
