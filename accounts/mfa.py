"""Staff second factor (django-otp): a TOTP authenticator app plus single-use recovery codes.

Enrolment: `totp_device_pending` gives the user one unconfirmed TOTP device (its QR code from
`totp_qr_svg`); `totp_confirm` checks a first code, confirms the device and issues the recovery
codes. Sign-in: `mfa_verify` accepts a TOTP or a recovery code (a recovery code is deleted when
used). An administrator's `mfa_reset` removes all of a user's devices: they enrol again at their
next sign-in.
"""

from base64 import b32encode

import segno
from django.db import transaction
from django_otp import devices_for_user, verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def mfa_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator (made once, so reloading the page keeps the QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The key as people type it into an app, in groups of four: `ABCD EFGH ...`."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG, drawn here (segno): no image service, no CDN."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, title="otpauth")


@transaction.atomic
def totp_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm `device` if `code` is right; return the new recovery codes (shown once), else None."""
    if device.user_id != user.pk or not verify_token(user, device.persistent_id, _digits(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Another unconfirmed device left from an earlier attempt would never be used.
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return recovery_codes_new(user=user)


@transaction.atomic
def recovery_codes_new(*, user: User) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def mfa_verify(*, user: User, code: str) -> Device | None:
    """The device that accepts `code` (TOTP first, then a recovery code), or None. Each device
    checks under its own throttle (django-otp slows down repeated wrong codes)."""
    code = code.strip().lower().replace(" ", "")
    for device in devices_for_user(user):
        token = _digits(code) if isinstance(device, TOTPDevice) else code
        if token and verify_token(user, device.persistent_id, token):
            return device
    return None


@transaction.atomic
def mfa_reset(*, user: User) -> int:
    """Remove every second-factor device of `user` (lost phone): they enrol anew at next sign-in."""
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    return removed


def _digits(code: str) -> str:
    code = code.strip().replace(" ", "")
    return code if code.isascii() and code.isdecimal() and len(code) <= 8 else ""
