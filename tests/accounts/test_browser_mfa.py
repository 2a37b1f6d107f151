"""A mediator's first sign-in with staff MFA on: the QR code, the first code, the recovery codes
(screenshots), and the lockout page after wrong passwords."""

from base64 import b32decode

import pytest
from django.utils.translation import gettext, override
from django_otp.oath import TOTP

from accounts.models import User
from accounts.roles import sync_role_groups
from tests.accounts.test_lockout import _wait_message
from tests.factories import make_area_tree, make_user

pytestmark = pytest.mark.browser


def _totp_now(secret: str) -> str:
    raw = secret.replace(" ", "")
    key = b32decode(raw + "=" * (-len(raw) % 8))
    return f"{TOTP(key).token():06d}"


class MfaBrowserTests:
    def test_a_mediator_enrols_and_reaches_the_admin(self, browser_page, settings, transactional_db):
        settings.STAFF_MFA = True
        sync_role_groups()
        make_user("mia", role=User.Role.MEDIATOR, areas=[make_area_tree()["C1"]], full_name="陈米娅")

        page = browser_page.new("/admin/login/?next=/admin/")
        page.fill("#id_username", "mia")
        page.fill("#id_password", "pw-Linli-2026")
        page.click("input[type=submit]")
        page.wait_for_url("**/accounts/mfa/setup/**")
        assert page.locator(".mfa-qr svg").count() == 1
        box = page.locator(".mfa-qr svg").bounding_box()
        assert box["width"] >= 150 and box["height"] >= 150  # large enough to scan from a screen
        browser_page.screenshot(page, "mfa_setup")

        page.fill("#id_code", _totp_now(page.inner_text("#mfa-secret")))
        page.click("button[type=submit].btn-success")
        page.wait_for_selector(".recovery-codes")
        assert page.locator(".recovery-codes li").count() == 10
        browser_page.screenshot(page, "mfa_recovery_codes")

        with override("zh-hans"):
            page.click(f"text={gettext('I have written them down')}")
        page.wait_for_url(browser_page.url("/admin/"))
        assert page.locator("#site-name").count() == 1

    def test_the_lockout_page_says_how_long_to_wait(self, browser_page, settings, transactional_db):
        make_user("alice", full_name="张爱丽", phone="13800138001")
        page = browser_page.new("/accounts/login/", phone=True)
        for _ in range(settings.AXES_FAILURE_LIMIT):
            page.fill("#id_username", "13800138001")
            page.fill("#id_password", "wrong-guess")
            page.click("main button[type=submit]")
            page.wait_for_load_state()

        shown = " ".join(page.inner_text(".alert p").split())
        assert shown == _wait_message(settings.AXES_COOLOFF_MINUTES)
        browser_page.screenshot(page, "login_locked_out")
