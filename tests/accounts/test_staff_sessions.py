"""Staff sessions end after 30 minutes idle and 12 hours in all; residents keep theirs (issue 12, item 5)."""

import time

import pytest
from django.urls import reverse

from accounts.middleware import SEEN_KEY, STARTED_KEY

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("disputes:dashboard")


def _age_session(client, *, idle: int, since_login: int) -> None:
    now = int(time.time())
    session = client.session
    session[SEEN_KEY] = now - idle
    session[STARTED_KEY] = now - since_login
    session.save()


class StaffSessionTests:
    def test_the_limits_are_30_minutes_idle_and_12_hours(self, settings):
        assert settings.STAFF_SESSION_IDLE_SECONDS == 30 * 60
        assert settings.STAFF_SESSION_MAX_SECONDS == 12 * 60 * 60

    def test_a_staff_session_idle_for_31_minutes_ends(self, client, sam):
        client.force_login(sam)
        _age_session(client, idle=31 * 60, since_login=60 * 60)

        response = client.get(DASHBOARD)

        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next=/dashboard/"
        assert "_auth_user_id" not in client.session

    def test_an_idle_admin_session_goes_to_the_admin_login(self, client, sam):
        client.force_login(sam)
        _age_session(client, idle=31 * 60, since_login=60 * 60)

        response = client.get(reverse("admin:index"))

        assert response["Location"].startswith(reverse("admin:login"))
        assert "_auth_user_id" not in client.session

    def test_a_staff_session_of_29_idle_minutes_goes_on_and_is_renewed(self, client, sam):
        client.force_login(sam)
        _age_session(client, idle=29 * 60, since_login=60 * 60)

        response = client.get(DASHBOARD)

        assert response.status_code == 200
        assert int(time.time()) - client.session[SEEN_KEY] < 5
        assert 0 < client.session.get_expiry_age() <= 30 * 60

    def test_a_busy_staff_session_ends_after_12_hours(self, client, sam):
        client.force_login(sam)
        _age_session(client, idle=10, since_login=12 * 60 * 60 + 1)

        response = client.get(DASHBOARD)

        assert response.status_code == 302
        assert "_auth_user_id" not in client.session

    def test_a_staff_sign_in_starts_the_clocks(self, client, sam):
        client.post(reverse("accounts:login"), {"username": "sam", "password": "pw-Linli-2026"})

        assert int(time.time()) - client.session[STARTED_KEY] < 5
        assert client.session.get_expiry_age() <= 30 * 60
        assert client.cookies["sessionid"]["max-age"] <= 30 * 60

    def test_a_resident_keeps_the_usual_session(self, client, alice, settings):
        client.post(reverse("accounts:login"), {"username": alice.phone, "password": "pw-Linli-2026"})
        _age_session(client, idle=13 * 60 * 60, since_login=13 * 60 * 60)

        response = client.get(reverse("disputes:case_list"))

        assert response.status_code == 200
        assert client.session["_auth_user_id"] == str(alice.pk)
        assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
