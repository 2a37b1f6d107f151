import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland mobile numbers: 11 ASCII digits, 1 then 3–9 (13x–19x). Not \d: it matches any
# Unicode digit ("13８00000000" with a full-width 8).
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}\Z", re.ASCII)


# Full-width digits, plus, minus, brackets and space (what a Chinese keyboard types: １３８, ＋８６) to
# ASCII. Only these: NFKC would also turn "²" or "①" into digits, which nobody types for a number.
_FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "＋": "+", "－": "-", "（": "(", "）": ")", "\u3000": " "}
)


def full_width_to_ascii(raw: str) -> str:
    return (raw or "").translate(_FULL_WIDTH)


def normalise_phone(raw: str) -> str:
    """Full-width characters to ASCII, then strip spaces, dashes, brackets and a +86/0086
    prefix, the ways people type their number."""
    digits = full_width_to_ascii(raw)
    digits = re.sub(r"[\s\-()\u2010-\u2015]", "", digits)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def validate_mainland_mobile(value: str) -> None:
    if not MOBILE_RE.match(value or ""):
        raise ValidationError(
            _("Enter a mainland China mobile number of 11 digits, such as 13812345678."), code="invalid_phone"
        )


def mask_phone(value: str | None) -> str:
    """138****1234: the form phone numbers take in lists."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_id_number(value: str | None) -> str:
    """First 6 and last 4 characters of a resident ID number; the rest as stars."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
