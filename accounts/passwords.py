"""A breached-password check that works offline."""

import functools

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@functools.cache
def _leaked() -> frozenset[str]:
    # 30,000 passwords most often found in published breaches (the Xato corpus), shipped inside the
    # zxcvbn package: no network at run time. Django's CommonPasswordValidator covers another 20,000;
    # together about 40,000 distinct passwords.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


class BreachedPasswordValidator:
    """Refuse a password that appears in a list of leaked passwords (ignoring case and the spaces
    around it), so a guesser's first tries never work."""

    def validate(self, password: str, user=None) -> None:
        if password.strip().lower() in _leaked():
            raise ValidationError(
                _("This password has appeared in a data breach. Choose another one."), code="password_breached"
            )

    def get_help_text(self) -> str:
        return _("Your password can't be one that has appeared in a data breach.")
