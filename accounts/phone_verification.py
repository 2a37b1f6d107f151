"""Proving a mobile number is the holder's: a 6-digit code sent by SMS.

- A code lives CODE_MINUTES, is used once, and dies after MAX_WRONG wrong tries; a new request
  replaces the older live codes of the same number and purpose.
- Only an HMAC of the code (keyed with SECRET_KEY) is stored; the code itself goes out in the
  SMS row, whose parameters are wiped once it is sent (accounts.sms_outbox).
- Requests are limited per number and per address (accounts.ratelimit.sms_code_wait, checked by
  the views before calling here).
- `phone_verify` is the one place a phone becomes verified: any other account that holds the
  same number without having verified it loses it (the verified holder wins), so a number typed
  by a stranger cannot keep its owner out.
"""

import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import PhoneCode, User
from accounts.sms_outbox import sms_queue

CODE_MINUTES = 10
MAX_WRONG = 5


def _hash(phone: str, purpose: str, code: str) -> str:
    return salted_hmac("accounts.phone_code", f"{phone}:{purpose}:{code}").hexdigest()


@transaction.atomic
def phone_code_send(*, phone: str, purpose: str) -> PhoneCode:
    """Create a code for `phone` and queue its SMS. The caller has checked the rate limits."""
    now = timezone.now()
    PhoneCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(expires_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_hash(phone, purpose, code),
        created_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    sms_queue(key=f"code:{row.pk}", phone=phone, template="code", params={"code": code})
    return row


def phone_code_check(*, phone: str, purpose: str, code: str) -> bool:
    """True once for the right code of the newest live code; every wrong try counts."""
    now = timezone.now()
    row = (
        PhoneCode.objects.filter(
            phone=phone, purpose=purpose, used_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_WRONG
        )
        .order_by("-created_at")
        .first()
    )
    if row is None:
        return False
    if not constant_time_compare(row.code_hash, _hash(phone, purpose, (code or "").strip())):
        PhoneCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        return False
    # Conditional UPDATE: two requests with the same code, one wins.
    return PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) == 1


@transaction.atomic
def phone_verify(*, user: User, phone: str) -> User:
    """`user` proved they hold `phone` (a code check passed): it becomes their verified number."""
    User.objects.filter(phone=phone, phone_verified_at__isnull=True).exclude(pk=user.pk).update(phone=None)
    user.phone = phone
    user.phone_verified_at = timezone.now()
    user.save(update_fields=["phone", "phone_verified_at"])
    return user
