"""Rate limits on registration, filing, the evidence view and SMS codes, in Redis; they fail open
when Redis is down (issue 12, item 3)."""

import logging

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils.translation import ngettext, override

from accounts import ratelimit
from accounts.models import OutboundSms
from disputes.models import Case
from tests.disputes.test_resident_views import filing
from tests.factories import make_estate

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def _register(client, n: int, addr="10.1.0.1"):
    data = {
        "phone": f"1380013{n:04d}",
        "full_name": "Wang Fang",
        "password1": "Quiet-Neighbour-42",
        "password2": "Quiet-Neighbour-42",
        "agree_terms": "on",
    }
    client.logout()
    return client.post(reverse("accounts:register"), data, REMOTE_ADDR=addr)


@pytest.fixture
def estate(areas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_estate(areas["C1"], grid=areas["G1"], name="Garden Estate")


def _wait_text(minutes: int) -> str:
    with override("zh-hans"):
        return ngettext(
            "You have done this too many times in a short while. Please try again in %(minutes)s minute.",
            "You have done this too many times in a short while. Please try again in %(minutes)s minutes.",
            minutes,
        )


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {**settings.CACHES, "ratelimit": {**settings.CACHES["ratelimit"], "LOCATION": UNREACHABLE_REDIS}}


class RateLimitTests:
    def test_registration_is_limited_per_address(self, client, settings):
        settings.RATE_LIMITS = {"register": 3}
        for n in range(3):
            assert _register(client, n).status_code == 302

        response = _register(client, 3)

        assert response.status_code == 429
        # Three went on to the code step (an account is made once the code is typed).
        assert OutboundSms.objects.filter(template="code").count() == 3
        html = response.content.decode()
        assert _wait_text(2).split("%(minutes)s")[0] in html
        assert 'value="Wang Fang"' in html  # what was typed is kept
        # Another address may still register.
        assert _register(client, 4, addr="10.1.0.2").status_code == 302

    def test_filing_is_limited_and_keeps_what_was_typed(self, client, alice, carol, areas, estate, settings):
        settings.RATE_LIMITS = {"filing": 1}
        client.force_login(alice)
        new = reverse("disputes:case_new")
        assert client.post(new, filing(areas, estate, title="")).status_code == 200  # a mistake is not counted
        assert client.post(new, filing(areas, estate)).status_code == 302

        response = client.post(new, filing(areas, estate, title="Second complaint"))

        assert response.status_code == 429
        html = response.content.decode()
        assert 'value="Second complaint"' in html
        assert _wait_text(60).split("%(minutes)s")[0] in html
        assert Case.objects.count() == 1
        assert client.get(new).status_code == 200  # reading the form is not counted
        client.force_login(carol)
        # Carol has seen Alice's open case offered (issue 17) and files her own anyway.
        assert client.post(new, filing(areas, estate, applicant_name="Carol Li", related_seen="1")).status_code == 302
        assert Case.objects.count() == 2

    def test_the_evidence_view_is_limited_per_user(self, client, alice, settings):
        settings.RATE_LIMITS = {"evidence": 2}
        client.force_login(alice)
        url = reverse("disputes:evidence_download", args=[999999])
        for _ in range(2):
            assert client.get(url).status_code == 404

        assert client.get(url).status_code == 429

    def test_sms_codes_are_limited_per_phone_and_per_address(self, settings):
        settings.RATE_LIMITS = {"sms_code_phone": 2, "sms_code_addr": 2}
        request = RequestFactory().post("/", REMOTE_ADDR="10.1.0.5")
        other = RequestFactory().post("/", REMOTE_ADDR="10.1.0.6")

        assert ratelimit.sms_code_wait(phone="13800138001", request=request) == 0
        assert ratelimit.sms_code_wait(phone="13800138001", request=other) == 0
        assert ratelimit.sms_code_wait(phone="13800138001", request=other) > 0
        assert ratelimit.sms_code_wait(phone="13800138002", request=request) == 0
        assert ratelimit.sms_code_wait(phone="13800138003", request=request) > 0  # 3rd from 10.1.0.5

    def test_the_wait_is_within_the_window(self, settings):
        settings.RATE_LIMITS = {"sms_code_phone": 0}

        wait = ratelimit.hit(ratelimit.SMS_CODE_PER_PHONE, "13800138001")

        assert 0 < wait <= ratelimit.SMS_CODE_PER_PHONE.window


class RateLimitRedisDownTests:
    def test_registration_goes_on_and_logs_a_warning(self, client, settings, redis_down, caplog):
        settings.RATE_LIMITS = {"register": 0}
        with caplog.at_level(logging.WARNING, logger="accounts.ratelimit"):
            response = _register(client, 1)

        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:phone_verify")
        assert any("rate-limit store is unreachable" in r.getMessage() for r in caplog.records)

    def test_filing_evidence_and_sms_codes_go_on(self, client, alice, areas, estate, settings, redis_down, caplog):
        settings.RATE_LIMITS = {"filing": 0, "evidence": 0, "sms_code_phone": 0, "sms_code_addr": 0}
        client.force_login(alice)

        with caplog.at_level(logging.WARNING, logger="accounts.ratelimit"):
            assert client.post(reverse("disputes:case_new"), filing(areas, estate)).status_code == 302
            assert Case.objects.count() == 1
            assert client.get(reverse("disputes:evidence_download", args=[1])).status_code == 404
            request = RequestFactory().post("/", REMOTE_ADDR="10.1.0.5")
            assert ratelimit.sms_code_wait(phone="13800138001", request=request) == 0

        assert len([r for r in caplog.records if r.name == "accounts.ratelimit"]) >= 4

    def test_password_reset_goes_on(self, client, alice, settings, redis_down):
        settings.RATE_LIMITS = {"password_reset_addr": 0, "password_reset_email": 0}

        response = client.post(reverse("accounts:password_reset"), {"email": alice.email})

        assert response.status_code == 302
