"""Staff need a second factor (TOTP or a recovery code) before they reach the admin (issue 12, item 4)."""

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")
SETUP = reverse("accounts:mfa_setup")
VERIFY = reverse("accounts:mfa_verify")
PASSWORD = "pw-Linli-2026"


@pytest.fixture(autouse=True)
def mfa_on(settings):
    settings.STAFF_MFA = True


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _enrolled(user: User) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device, mfa.recovery_codes_new(user=user)


def _password_login(client, username: str):
    return client.post(reverse("admin:login") + "?next=" + ADMIN, {"username": username, "password": PASSWORD})


class StaffMfaTests:
    def test_an_admin_login_without_a_second_factor_is_sent_to_verification(self, client, sam):
        _enrolled(sam)

        response = _password_login(client, "sam")
        assert response.status_code == 302
        response = client.get(ADMIN)

        assert response.status_code == 302
        assert response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
        assert client.get(reverse("admin:disputes_case_changelist")).status_code == 302

    def test_a_staff_user_without_an_authenticator_must_enrol_first(self, client, mia):
        _password_login(client, "mia")

        response = client.get(ADMIN)

        assert response.status_code == 302
        assert response["Location"].startswith(SETUP)
        assert not TOTPDevice.objects.filter(user=mia, confirmed=True).exists()

    def test_the_supervisor_dashboard_also_waits_for_the_second_factor(self, client, sam):
        _enrolled(sam)
        client.force_login(sam)

        response = client.get(reverse("disputes:dashboard"))

        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY)

    def test_a_valid_totp_reaches_the_admin(self, client, sam):
        device, _codes = _enrolled(sam)
        _password_login(client, "sam")

        response = client.post(f"{VERIFY}?next=/admin/", {"code": _code(device)})

        assert response.status_code == 302
        assert response["Location"] == ADMIN
        assert client.get(ADMIN).status_code == 200

    def test_a_wrong_code_is_refused_with_a_message(self, client, sam):
        device, _codes = _enrolled(sam)
        _password_login(client, "sam")
        wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"

        response = client.post(VERIFY, {"code": wrong})

        assert response.status_code == 200
        assert response.context["form"].errors["code"]
        assert client.get(ADMIN).status_code == 302

    @pytest.mark.parametrize("junk", ["", "²²²²²²", "x" * 500, "12 34 56 78 90", "\x00"])
    def test_malformed_codes_are_refused_not_a_500(self, client, sam, junk):
        _enrolled(sam)
        client.force_login(sam)

        response = client.post(VERIFY, {"code": junk})

        assert response.status_code == 200
        assert client.get(ADMIN).status_code == 302

    def test_a_recovery_code_works_once(self, client, sam):
        _device, codes = _enrolled(sam)
        _password_login(client, "sam")

        response = client.post(VERIFY, {"code": codes[0].upper()})
        assert response.status_code == 302
        assert client.get(ADMIN).status_code == 200

        client.post(reverse("accounts:logout"))
        _password_login(client, "sam")
        response = client.post(VERIFY, {"code": codes[0]})

        assert response.status_code == 200
        assert client.get(ADMIN).status_code == 302
        assert StaticToken.objects.filter(device__user=sam).count() == len(codes) - 1

    def test_enrolment_shows_a_qr_code_and_confirms_with_the_first_code(self, client, mia):
        client.force_login(mia)

        page = client.get(f"{SETUP}?next=/admin/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "<svg" in html
        device = TOTPDevice.objects.get(user=mia, confirmed=False)
        assert client.get(SETUP).context["secret"] == page.context["secret"]  # a reload keeps the key

        response = client.post(f"{SETUP}?next=/admin/", {"code": _code(device)})

        assert response.status_code == 200
        device.refresh_from_db()
        assert device.confirmed
        codes = response.context["codes"]
        assert len(codes) == mfa.RECOVERY_CODE_COUNT
        assert all(code in response.content.decode() for code in codes)
        assert StaticDevice.objects.get(user=mia).token_set.count() == mfa.RECOVERY_CODE_COUNT
        assert client.get(ADMIN).status_code == 200

    def test_enrolment_refuses_a_wrong_first_code(self, client, mia):
        client.force_login(mia)
        client.get(SETUP)

        response = client.post(SETUP, {"code": "000000"})

        assert response.status_code == 200
        assert response.context["form"].errors["code"]
        assert not TOTPDevice.objects.filter(user=mia, confirmed=True).exists()

    def test_residents_are_not_asked_for_a_second_factor(self, client, alice):
        client.force_login(alice)

        assert client.get(reverse("disputes:case_list")).status_code == 200
        assert client.get(VERIFY).status_code == 403

    def test_with_the_setting_off_a_password_reaches_the_admin(self, client, sam, settings):
        settings.STAFF_MFA = False

        _password_login(client, "sam")

        assert client.get(ADMIN).status_code == 200

    def test_the_next_of_verification_stays_on_site(self, client, sam):
        device, _codes = _enrolled(sam)
        client.force_login(sam)

        response = client.post(f"{VERIFY}?next=//evil.example/", {"code": _code(device)})

        assert response["Location"] == ADMIN


class MfaResetTests:
    def test_an_administrator_resets_a_mediators_devices(self, client, mia):
        boss = make_user("boss", role=User.Role.ADMINISTRATOR)
        device, _ = _enrolled(boss)
        _enrolled(mia)
        client.force_login(boss)
        client.post(VERIFY, {"code": _code(device)})

        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "mfa_reset", "_selected_action": [mia.pk]},
        )

        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=mia).exists()
        assert not StaticDevice.objects.filter(user=mia).exists()
        assert TOTPDevice.objects.filter(user=boss).exists()
        # Mia enrols again at her next sign-in.
        client.force_login(mia)
        assert client.get(ADMIN)["Location"].startswith(SETUP)

    def test_a_supervisor_cannot_reset_devices(self, client, sam, mia, settings):
        settings.STAFF_MFA = False
        _enrolled(mia)
        client.force_login(sam)

        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "mfa_reset", "_selected_action": [mia.pk]},
        )

        assert response.status_code == 403
        assert TOTPDevice.objects.filter(user=mia).exists()

    def test_the_admin_never_shows_a_devices_key_or_recovery_codes(self, client, mia, settings):
        settings.STAFF_MFA = False
        device, codes = _enrolled(mia)
        root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
        client.force_login(root)

        pages = [
            reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
            reverse("admin:otp_totp_totpdevice_changelist"),
            reverse("admin:otp_static_staticdevice_change", args=[StaticDevice.objects.get(user=mia).pk]),
        ]
        for url in pages:
            html = client.get(url).content.decode()
            assert device.key not in html
            assert not any(code in html for code in codes)
        assert client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code in (403, 404)
