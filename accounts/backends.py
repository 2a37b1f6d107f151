from django.contrib.auth.backends import ModelBackend

from accounts.validators import MOBILE_RE, normalise_phone


class PhoneOrUsernameBackend(ModelBackend):
    """Residents sign in with their mobile number, staff with their user name.

    The account is found first and the password checked once, so a known and an unknown number
    cost the same (one hash; ModelBackend hashes a dummy password for an unknown user): the
    answer's time does not tell which numbers are registered (bench/login_timing.py).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            from accounts.models import User

            phone = normalise_phone(username)
            if MOBILE_RE.match(phone):
                match = User.objects.filter(phone=phone).values_list("username", flat=True).first()
                if match:
                    username = match
        return super().authenticate(request, username=username, password=password, **kwargs)
