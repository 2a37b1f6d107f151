from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from accounts import mfa, phone_verification, ratelimit, services
from accounts.forms import MfaCodeForm, PhoneForm, ProfileForm, RegistrationForm, SmsCodeForm
from accounts.models import PhoneCode
from accounts.redirects import safe_next
from accounts.validators import mask_phone

PENDING = "accounts.pending_phone"


class LoginView(auth_views.LoginView):
    """Staff land on their to-do queue in the admin; residents on the site's home page."""

    def get_default_redirect_url(self):
        if self.request.user.is_staff:
            return resolve_url("admin:index")
        return super().get_default_redirect_url()


def register(request):
    """Registration, step 1: the form. Nothing is created until the phone is verified (step 2,
    phone_verify); a number that already has an account is answered exactly as a free one, and
    its owner gets an SMS instead of a code (no enumeration)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    context = {"form": form, "terms_version": settings.TERMS_VERSION}
    if request.method == "POST":
        wait = ratelimit.hit(ratelimit.REGISTER_PER_ADDRESS, ratelimit.client_address(request))
        if wait:
            form.add_error(None, ratelimit.wait_message(wait))
            return render(request, "accounts/register.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        wait = ratelimit.sms_code_wait(phone=phone, request=request)
        if wait:
            form.add_error(None, ratelimit.wait_message(wait))
            return render(request, "accounts/register.html", context, status=429)
        request.session[PENDING] = {
            "purpose": PhoneCode.Purpose.REGISTER,
            "phone": phone,
            "full_name": form.cleaned_data["full_name"],
            "email": form.cleaned_data["email"],
            "password_hash": make_password(form.cleaned_data["password1"]),
            "terms_version": settings.TERMS_VERSION,
            "next": safe_next(request, settings.PHONE_VERIFIED_REDIRECT),
        }
        services.registration_code_send(phone=phone)
        return redirect("accounts:phone_verify")
    return render(request, "accounts/register.html", context)


def phone_verify(request):
    """Step 2 of registration and of a change of number: type the code sent by SMS."""
    pending = request.session.get(PENDING)
    if not pending or (pending["purpose"] != PhoneCode.Purpose.REGISTER and not request.user.is_authenticated):
        return redirect("accounts:register")
    form = SmsCodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        wait = ratelimit.sms_code_wait(phone=pending["phone"], request=request)
        if wait:
            return ratelimit.refused(request, wait)
        if pending["purpose"] == PhoneCode.Purpose.REGISTER:
            services.registration_code_send(phone=pending["phone"])
        else:
            phone_verification.phone_code_send(phone=pending["phone"], purpose=pending["purpose"])
        messages.info(request, _("A new code is on its way."))
        return redirect("accounts:phone_verify")
    if request.method == "POST" and form.is_valid():
        if phone_verification.phone_code_check(
            phone=pending["phone"], purpose=pending["purpose"], code=form.cleaned_data["code"]
        ):
            return _phone_verified(request, pending)
        form.add_error("code", _("That code is not right or has expired. Check the SMS, or ask for a new code."))
    context = {"form": form, "phone": mask_phone(pending["phone"]), "purpose": pending["purpose"]}
    return render(request, "accounts/phone_verify.html", context)


def _phone_verified(request, pending: dict):
    del request.session[PENDING]
    if pending["purpose"] == PhoneCode.Purpose.REGISTER:
        user = services.resident_register_verified(
            phone=pending["phone"],
            password_hash=pending["password_hash"],
            full_name=pending["full_name"],
            email=pending["email"],
            language=request.LANGUAGE_CODE,
            terms_version=pending["terms_version"],
        )
        login(request, user, backend="accounts.backends.PhoneOrUsernameBackend")
        messages.success(request, _("Welcome! Your account is ready and your mobile number is verified."))
    else:
        phone_verification.phone_verify(user=request.user, phone=pending["phone"])
        messages.success(request, _("Your mobile number is verified."))
    # Parties of cases named with this number are offered to the account next (disputes).
    return redirect(pending["next"])


@login_required
def phone_change(request):
    """A new number, or the account's own number verified for the first time (older accounts)."""
    verify_current = request.method == "GET" and "current" in request.GET and request.user.phone
    form = PhoneForm(request.POST or None, initial={"phone": request.user.phone} if verify_current else None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        wait = ratelimit.sms_code_wait(phone=phone, request=request)
        if wait:
            return ratelimit.refused(request, wait)
        purpose = PhoneCode.Purpose.VERIFY if phone == request.user.phone else PhoneCode.Purpose.CHANGE
        request.session[PENDING] = {
            "purpose": purpose,
            "phone": phone,
            "next": safe_next(request, settings.PHONE_VERIFIED_REDIRECT),
        }
        services.phone_change_code_send(user=request.user, phone=phone, purpose=purpose)
        return redirect("accounts:phone_verify")
    return render(request, "accounts/phone_change.html", {"form": form})


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
