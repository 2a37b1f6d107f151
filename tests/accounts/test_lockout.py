"""Password guessing meets a time-based lock per account and per address (django-axes), on the site
login and the admin login, with a page in Chinese that says how long to wait (issue 12, item 3)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext, override

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
ADMIN_LOGIN = reverse("admin:login")
RIGHT = "pw-Linli-2026"


def _try(client, url, username, password, addr="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=addr)


def _wait_message(minutes: int) -> str:
    with override("zh-hans"):
        return ngettext(
            "Too many wrong passwords were tried for this account or from this network. To keep accounts "
            "safe, signing in is paused: please try again in %(minutes)s minute.",
            "Too many wrong passwords were tried for this account or from this network. To keep accounts "
            "safe, signing in is paused: please try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes}


class LockoutTests:
    def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(self, client, alice, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _try(client, LOGIN, alice.phone, "wrong-guess").status_code == 200
        assert _try(client, LOGIN, alice.phone, "wrong-guess").status_code == 429

        response = _try(client, LOGIN, alice.phone, RIGHT, addr="10.0.0.2")

        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert _wait_message(settings.AXES_COOLOFF_MINUTES) in response.content.decode()
        assert "15" in _wait_message(settings.AXES_COOLOFF_MINUTES)

    def test_the_account_lock_holds_however_the_phone_is_typed(self, client, alice, settings):
        typed = ["138 0013 8001", "+86 138-0013-8001", "008613800138001", "13800138001", "138-0013-8001"]
        for way in typed[: settings.AXES_FAILURE_LIMIT]:
            _try(client, LOGIN, way, "wrong-guess", addr=f"10.0.1.{len(way)}")

        response = _try(client, LOGIN, alice.phone, RIGHT, addr="10.0.0.9")

        assert response.status_code == 429

    def test_five_failures_from_one_address_lock_that_address(self, client, alice, bob, settings):
        for n in range(settings.AXES_FAILURE_LIMIT):
            _try(client, LOGIN, f"nobody{n}", "wrong-guess", addr="10.0.0.7")

        assert _try(client, LOGIN, alice.phone, RIGHT, addr="10.0.0.7").status_code == 429
        assert _try(client, LOGIN, bob.phone, RIGHT, addr="10.0.0.8").status_code == 302

    def test_the_admin_login_locks_too(self, client, sam, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _try(client, ADMIN_LOGIN, "sam", "wrong-guess").status_code == 200
        assert _try(client, ADMIN_LOGIN, "sam", "wrong-guess").status_code == 429

        response = _try(client, ADMIN_LOGIN, "sam", RIGHT, addr="10.0.0.3")

        assert response.status_code == 429
        assert _wait_message(settings.AXES_COOLOFF_MINUTES) in response.content.decode()
        assert client.get(reverse("admin:index")).status_code == 302

    def test_the_lock_ends_after_the_cool_off(self, client, alice, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _try(client, LOGIN, alice.phone, "wrong-guess")
        assert _try(client, LOGIN, alice.phone, RIGHT).status_code == 429

        # As if the cool-off had passed since the last failure.
        past = timezone.now() - timedelta(minutes=settings.AXES_COOLOFF_MINUTES + 1)
        AccessAttempt.objects.update(attempt_time=past)

        response = _try(client, LOGIN, alice.phone, RIGHT)

        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(alice.pk)

    def test_fewer_failures_than_the_limit_do_not_lock(self, client, alice, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _try(client, LOGIN, alice.phone, "wrong-guess")

        assert _try(client, LOGIN, alice.phone, RIGHT).status_code == 302


class PasswordResetLimitTests:
    def test_reset_requests_for_one_email_are_limited(self, client, alice):
        url = reverse("accounts:password_reset")
        for _ in range(3):
            assert client.post(url, {"email": alice.email}, REMOTE_ADDR="10.0.2.1").status_code == 302

        response = client.post(url, {"email": alice.email.upper()}, REMOTE_ADDR="10.0.2.2")

        assert response.status_code == 429

    def test_reset_requests_from_one_address_are_limited(self, client, alice):
        url = reverse("accounts:password_reset")
        for n in range(10):
            assert client.post(url, {"email": f"x{n}@example.com"}, REMOTE_ADDR="10.0.2.3").status_code == 302

        assert client.post(url, {"email": alice.email}, REMOTE_ADDR="10.0.2.3").status_code == 429
        assert client.post(url, {"email": alice.email}, REMOTE_ADDR="10.0.2.4").status_code == 302
