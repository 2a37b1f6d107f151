"""Phone and ID numbers never reach the access log (DESIGN §11, issue 12): an admin search by phone
puts the number into the query string, and the request line, the referer and the query string
are logged for every request. Used by gunicorn (config/gunicorn.py: its logger class) and by
Django's development server (the django.server logger in config/settings/base.py).

A number is masked as the lists show phones (138****1234) when it is a run of 7 or more digits,
or digits split by spaces, '+' or '-' (typed "138 0013 8001", sent "138+0013+8001" or
"138%200013%208001") that add up to 11 or more: a phone with or without +86, an ID number. Dates
(8 digits with dashes) and case numbers (LL-2026-000123: 10) stay readable.
"""

import logging
import re

# A digit, then digits each optionally after one separator: a space, '+', '-', %20 or %2B.
_NUMBER = re.compile(r"\d(?:(?:%20|%2[bB]|[ +\-])?\d)*")
_SEPARATORS = re.compile(r"%20|%2[bB]|[ +\-]")


def _mask(match: re.Match) -> str:
    text = match.group()
    digits = _SEPARATORS.sub("", text)
    if (digits == text and len(digits) >= 7) or len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return text


def mask_numbers(text: str) -> str:
    """`text` with every phone-like number masked (see the module docstring)."""
    return _NUMBER.sub(_mask, text) if text else text


class MaskNumbersFilter(logging.Filter):
    """For the development server's request log ("GET /admin/...?q=13800138001 HTTP/1.1" 200)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_numbers(record.getMessage())
        record.args = None
        return True
