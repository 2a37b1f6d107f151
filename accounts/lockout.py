"""django-axes hooks: which account a login attempt is for, and the page a locked-out user sees."""

from django.conf import settings
from django.shortcuts import render

from accounts.validators import MOBILE_RE, normalise_phone


def login_username(request, credentials: dict | None) -> str:
    """The account an attempt counts against. Residents type their phone in many ways
    (`138 0013 8000`, `+8613800138000`): each way must count against the same account."""
    username = (credentials or {}).get("username") or (request.POST.get("username", "") if request else "")
    phone = normalise_phone(username)
    return phone if MOBILE_RE.match(phone) else username


def lockout_response(request, original_response=None, credentials=None):
    """A page in the user's language that says how long to wait (not a bare 403)."""
    return render(
        request,
        "accounts/locked_out.html",
        {"minutes": settings.AXES_COOLOFF_MINUTES, "admin": request.path.startswith("/admin/")},
        status=429,
    )
