from django.contrib.auth.backends import ModelBackend

from accounts.validators import normalise_phone


class PhoneOrUsernameBackend(ModelBackend):
    """Residents sign in with their mobile number, staff with their user name."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username:
            from accounts.models import User

            phone = normalise_phone(username)
            match = User.objects.filter(phone=phone).only("username").first()
            if match:
                user = super().authenticate(request, username=match.username, password=password, **kwargs)
        return user
