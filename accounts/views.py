from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _

from accounts import services
from accounts.forms import ProfileForm, RegistrationForm


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
        return redirect(request.GET.get("next") or "home")
    return render(request, "accounts/register.html", {"form": form})


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your details were saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})
