"""Signing in costs one password hash for a known and an unknown phone alike (issue 15: the
registered phone took two, so the answer's time told which numbers have accounts).
bench/login_timing.py measures it with the production hasher."""

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_login_timing.CountingHasher"]
    user = make_user("known", phone="13800138000")
    CountingHasher.calls = 0
    return user


class LoginCostTests:
    @pytest.mark.parametrize("typed", ["13800138000", "13900139000", "+86 138 0013 8000", "nobody"])
    def test_a_wrong_password_costs_one_hash_whoever_is_typed(self, client, counting, typed):
        response = client.post(reverse("accounts:login"), {"username": typed, "password": "wrong-password-1"})

        assert response.status_code == 200
        assert CountingHasher.calls == 1

    def test_the_right_password_still_signs_in_by_phone(self, client, counting):
        response = client.post(reverse("accounts:login"), {"username": "138 0013 8000", "password": "pw-Linli-2026"})

        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == counting.pk
