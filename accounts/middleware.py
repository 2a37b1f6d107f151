"""Staff sessions: an idle and an absolute time limit, and the second factor before any page."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

STARTED_KEY = "staff_session_started_at"
SEEN_KEY = "staff_session_seen_at"
# Write the "last seen" stamp at most this often, so a busy staff page doesn't save the session
# on every request; the idle limit is then exact to within this many seconds.
SEEN_GRANULARITY = 60


def staff_session_start(sender, request, user, **kwargs) -> None:
    """At sign-in, a staff session's clocks start (and its cookie lasts the idle limit)."""
    if user.is_staff and request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[SEEN_KEY] = now
        request.session.set_expiry(min(settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_MAX_SECONDS))


def _login_url(request) -> str:
    return reverse("admin:login") if request.path.startswith(reverse("admin:index")) else settings.LOGIN_URL


class StaffSessionMiddleware:
    """Staff see residents' ID and phone numbers: their sessions end after
    STAFF_SESSION_IDLE_SECONDS without a request and STAFF_SESSION_MAX_SECONDS after sign-in.
    Residents keep Django's default session (SESSION_COOKIE_AGE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.is_staff:
            now = int(time.time())
            session = request.session
            started = session.setdefault(STARTED_KEY, now)
            seen = session.get(SEEN_KEY, now)
            idle, most = settings.STAFF_SESSION_IDLE_SECONDS, settings.STAFF_SESSION_MAX_SECONDS
            if now - seen > idle or now - started > most:
                logout(request)
                messages.info(request, _("You were signed out after a time without activity. Please sign in again."))
                return redirect_to_login(request.get_full_path(), _login_url(request))
            if SEEN_KEY not in session or now - seen >= SEEN_GRANULARITY:
                session[SEEN_KEY] = now
                # The cookie ends with the idle limit too, or at the absolute limit if sooner.
                session.set_expiry(max(1, min(idle, most - (now - started))))
        return self.get_response(request)


# Pages an unverified staff user may still reach: the second-factor pages and signing out.
MFA_EXEMPT = {
    "accounts:mfa_verify",
    "accounts:mfa_setup",
    "accounts:logout",
    "admin:logout",
    "set_language",
    "healthz",
}


class StaffMfaMiddleware:
    """With STAFF_MFA on, a staff user signed in with a password alone reaches no page (the admin
    above all) until they give a TOTP or recovery code; one without an authenticator enrols first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not (settings.STAFF_MFA and user.is_authenticated and user.is_staff) or user.is_verified():
            return None
        if request.resolver_match and request.resolver_match.view_name in MFA_EXEMPT:
            return None
        from accounts import mfa

        target = "accounts:mfa_verify" if mfa.mfa_enrolled(user) else "accounts:mfa_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
