from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from accounts import mfa, ratelimit, services
from accounts.forms import MfaCodeForm, ProfileForm, RegistrationForm
from accounts.redirects import safe_next


class LoginView(auth_views.LoginView):
    """Staff land on their to-do queue in the admin; residents on the site's home page."""

    def get_default_redirect_url(self):
        if self.request.user.is_staff:
            return resolve_url("admin:index")
        return super().get_default_redirect_url()


def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST":
        wait = ratelimit.hit(ratelimit.REGISTER_PER_ADDRESS, ratelimit.client_address(request))
        if wait:
            form.add_error(None, ratelimit.wait_message(wait))
            return render(request, "accounts/register.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        user = services.resident_register(
            phone=form.cleaned_data["phone"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
            email=form.cleaned_data["email"],
            language=request.LANGUAGE_CODE,
        )
        login(request, user, backend="accounts.backends.PhoneOrUsernameBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect(safe_next(request, "home"))
    return render(request, "accounts/register.html", {"form": form})


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details were saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


def _require_staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied


@login_required
def mfa_setup(request):
    """Enrol an authenticator app: scan the QR code, type the first code, get recovery codes."""
    _require_staff(request)
    if mfa.mfa_enrolled(request.user):
        return redirect(f"{reverse('accounts:mfa_verify')}?{urlencode({'next': safe_next(request, 'admin:index')})}")
    device = mfa.totp_device_pending(user=request.user)
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.totp_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            context = {"codes": codes, "next": safe_next(request, "admin:index")}
            return render(request, "accounts/mfa_recovery_codes.html", context)
        form.add_error("code", _("That code is not right. Type the 6 digits the app shows now."))
    context = {
        "form": form,
        # The SVG is drawn by segno from the device's own key: no resident's text is in it.
        "qr_svg": mark_safe(mfa.totp_qr_svg(device)),  # noqa: S308
        "secret": mfa.totp_secret(device),
    }
    return render(request, "accounts/mfa_setup.html", context)


@login_required
def mfa_verify(request):
    """The second step of a staff sign-in: a code from the authenticator app or a recovery code."""
    _require_staff(request)
    if not mfa.mfa_enrolled(request.user):
        return redirect(f"{reverse('accounts:mfa_setup')}?{urlencode({'next': safe_next(request, 'admin:index')})}")
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa.mfa_verify(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(safe_next(request, "admin:index"))
        form.add_error("code", _("That code is not right, or was used already. Wait for a new code and try again."))
    return render(request, "accounts/mfa_verify.html", {"form": form})
