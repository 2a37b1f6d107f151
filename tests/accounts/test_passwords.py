"""Password rules: Django's validators plus an offline breached-password list (issue 12, item 5)."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

# In the leaked-password list zxcvbn ships, and not in Django's own common-password list.
BREACHED = ["liverpoo", "swordfis", "Butterfl", " freepass "]


class BreachedPasswordTests:
    @pytest.mark.parametrize("password", BREACHED)
    def test_it_refuses_a_leaked_password(self, password):
        with pytest.raises(ValidationError) as caught:
            validate_password(password)

        assert "password_breached" in [e.code for e in caught.value.error_list]

    def test_it_accepts_a_password_not_on_the_list(self):
        validate_password("Quiet-Neighbour-42")

    def test_registration_refuses_a_leaked_password_and_keeps_what_was_typed(self, client):
        response = client.post(
            reverse("accounts:register"),
            {"phone": "13800138000", "full_name": "Wang Fang", "password1": "swordfis", "password2": "swordfis"},
        )

        assert response.status_code == 200
        assert response.context["form"].has_error("password1", "password_breached")
        assert 'value="Wang Fang"' in response.content.decode()
        assert not User.objects.exists()

    def test_the_validators_still_include_djangos_own(self, settings):
        names = [v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS]

        assert names == [
            "UserAttributeSimilarityValidator",
            "MinimumLengthValidator",
            "CommonPasswordValidator",
            "NumericPasswordValidator",
            "BreachedPasswordValidator",
        ]
