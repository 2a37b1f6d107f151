"""Rate limits: one small fixed-window counter in Redis (the "ratelimit" cache), for every limit.

    @rate_limit(ratelimit.EVIDENCE_PER_USER)
    def evidence_download(request, pk): ...

    wait = ratelimit.sms_code_wait(phone=phone, request=request)   # for the SMS-code views

A limit that is exceeded answers 429 with a page that says how long to wait; a form view calls
`hit` itself and shows `wait_message` above the form, keeping what was typed. When Redis is down
every limit fails OPEN: a warning is logged and the request goes on (never a 500): refusing all
registrations because a counter is unreachable would hurt more than a burst of requests.
"""

import functools
import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    """The client's address, read the way django-axes reads it (one rule for both)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def _by_address(request) -> str:
    return client_address(request)


def by_user(request) -> str:
    return f"user:{request.user.pk}" if request.user.is_authenticated else f"addr:{client_address(request)}"


def _by_email(request) -> str:
    return request.POST.get("email", "").strip().lower()


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int  # requests per window; settings.RATE_LIMITS = {scope: n} overrides it
    window: int  # seconds
    key: Callable = _by_address
    methods: tuple[str, ...] = ("POST",)

    @property
    def allowed(self) -> int:
        return settings.RATE_LIMITS.get(self.scope, self.limit)


REGISTER_PER_ADDRESS = Limit("register", 10, 3600)
PASSWORD_RESET_PER_ADDRESS = Limit("password_reset_addr", 10, 3600)
PASSWORD_RESET_PER_EMAIL = Limit("password_reset_email", 3, 3600, key=_by_email)
# Filing counts submissions that passed the form's checks (a resident correcting mistakes is not
# counted); registration counts every attempt (each one can probe whether a phone is registered).
FILING_PER_USER = Limit("filing", 20, 3600, key=by_user)
EVIDENCE_PER_USER = Limit("evidence", 300, 3600, key=by_user, methods=("GET", "HEAD"))
SMS_CODE_PER_PHONE = Limit("sms_code_phone", 5, 3600)
SMS_CODE_PER_ADDRESS = Limit("sms_code_addr", 20, 3600)


def hit(limit: Limit, key: str) -> int:
    """Count one request under `key`; return 0 if it is allowed, else the seconds to wait.
    Keys are hashed: no phone number or address is stored in Redis."""
    if not key:
        return 0
    now = time.time()
    window_no = int(now // limit.window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    cache_key = f"rl:{settings.RATELIMIT_NAMESPACE}:{limit.scope}:{digest}:{window_no}"
    try:
        cache = caches["ratelimit"]
        cache.add(cache_key, 0, timeout=limit.window + 5)
        count = cache.incr(cache_key)
    except Exception:  # Redis down or unreachable: fail open, but say so.
        logger.warning("Rate limit %s not checked: the rate-limit store is unreachable", limit.scope, exc_info=True)
        return 0
    if count <= limit.allowed:
        return 0
    return max(1, math.ceil((window_no + 1) * limit.window - now))


def wait_message(wait_seconds: int) -> str:
    minutes = math.ceil(wait_seconds / 60)
    return ngettext(
        "You have done this too many times in a short while. Please try again in %(minutes)s minute.",
        "You have done this too many times in a short while. Please try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def refused(request, wait_seconds: int):
    """The 429 page, for views with nothing typed to keep (a form keeps its data: see register)."""
    return render(request, "accounts/rate_limited.html", {"message": wait_message(wait_seconds)}, status=429)


def rate_limit(*limits: Limit):
    """Decorate a view with limits; each counts only the methods it names (POST by default)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            for limit in limits:
                if request.method in limit.methods:
                    wait = hit(limit, limit.key(request))
                    if wait:
                        return refused(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def sms_code_wait(*, phone: str, request) -> int:
    """For the SMS-code request views (another issue adds them): 0 if a code may be sent to
    `phone` now, else the seconds to wait. Counts per phone and per address; fails open."""
    return hit(SMS_CODE_PER_PHONE, phone) or hit(SMS_CODE_PER_ADDRESS, client_address(request))
