from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import services
from accounts.forms import ProfileForm, RegistrationForm
from accounts.redirects import safe_next


def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
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
