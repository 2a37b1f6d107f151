import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.translation import gettext, override

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = reverse("accounts:register")


def _post(client, **overrides):
    data = {
        "phone": "138 0013 8000",
        "full_name": "  Wang   Fang ",
        "email": "",
        "password1": "Quiet-Neighbour-42",
        "password2": "Quiet-Neighbour-42",
        "agree_terms": "on",
        **overrides,
    }
    return client.post(URL, data)


class RegistrationTests:
    def test_it_registers_a_resident_and_signs_them_in(self, committing_client, sms_outbox):
        client = committing_client
        response = _post(client)
        assert response["Location"] == reverse("accounts:phone_verify")
        response = client.post(reverse("accounts:phone_verify"), {"code": sms_outbox.code_for("13800138000")})

        assert response.status_code == 302
        user = User.objects.get(phone="13800138000")
        assert user.username != "13800138000"  # never the phone (tests/accounts/test_user_names.py)
        assert user.full_name == "Wang Fang"
        assert user.role == User.Role.RESIDENT
        assert not user.is_staff
        assert list(user.groups.values_list("name", flat=True)) == ["Residents"]
        assert client.get(reverse("accounts:profile")).status_code == 200

    def test_it_refuses_a_bad_phone_and_keeps_what_was_typed(self, client):
        response = _post(client, phone="12345", full_name="Wang Fang")

        assert response.status_code == 200
        assert not User.objects.exists()
        form = response.context["form"]
        with override("zh-hans"):
            expected = gettext("Enter a mainland China mobile number of 11 digits, such as 13812345678.")
        assert form.errors["phone"] == [expected]
        assert 'value="Wang Fang"' in response.content.decode()

    def test_a_duplicate_phone_is_not_revealed(self, client, alice):
        # The answer is the one a free number gets (tests/accounts/test_phone_verification.py).
        response = _post(client, phone=alice.phone)

        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:phone_verify")
        assert User.objects.filter(phone=alice.phone).count() == 1

    @pytest.mark.parametrize(
        ("password", "code"),
        [
            ("12345678", "password_entirely_numeric"),
            ("abc", "password_too_short"),
            ("password", "password_too_common"),
        ],
    )
    def test_it_refuses_a_weak_password(self, client, password, code):
        response = _post(client, password1=password, password2=password)

        assert response.status_code == 200
        assert not User.objects.exists()
        assert response.context["form"].has_error("password1", code)

    def test_it_refuses_differing_passwords(self, client):
        response = _post(client, password2="Another-Password-99")

        assert response.context["form"].has_error("password2", "password_mismatch")
        assert not User.objects.exists()

    def test_a_resident_signs_in_with_their_phone(self, client, alice):
        response = client.post(reverse("accounts:login"), {"username": "138-0013-8001", "password": "pw-Linli-2026"})

        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == alice.pk

    def test_a_wrong_password_is_refused(self, client, alice):
        response = client.post(reverse("accounts:login"), {"username": alice.phone, "password": "nope"})

        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


class RoleTests:
    def test_role_groups_exist_with_permissions(self):
        mediators = Group.objects.get(name="Mediators")
        codenames = set(mediators.permissions.values_list("codename", flat=True))
        assert {"view_case", "change_case", "add_case"} <= codenames
        assert "delete_case" not in codenames
        assert "change_category" not in codenames
        assert "supervise_case" not in codenames
        assert "supervise_case" in set(
            Group.objects.get(name="Supervisors").permissions.values_list("codename", flat=True)
        )
        assert not Group.objects.get(name="Residents").permissions.exists()

    def test_setting_a_role_sets_staff_flag_and_group(self, alice):
        from accounts.services import user_set_role

        user_set_role(user=alice, role=User.Role.MEDIATOR)
        alice.refresh_from_db()
        assert alice.is_staff
        assert list(alice.groups.values_list("name", flat=True)) == ["Mediators"]
        user_set_role(user=alice, role=User.Role.RESIDENT)
        alice.refresh_from_db()
        assert not alice.is_staff
        assert list(alice.groups.values_list("name", flat=True)) == ["Residents"]
