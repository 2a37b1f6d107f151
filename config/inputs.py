"""Parsing of the values a request carries outside forms: ids, dates and keys in URLs, query
strings and hidden fields. Each parser returns None for anything malformed, so the caller answers
with a 404, a form error or a fallback, never with a 500.

Why not `str.isdigit()` or `date.fromisoformat()` directly: "²".isdigit() is True and int("²")
then raises; "99999999999999999999" overflows the database's integer; 9999-12-31 is a date, but
the day after it (the end of a period) is not.
"""

import re
import uuid
from datetime import date

# Ids are BigAutoField (DEFAULT_AUTO_FIELD): at most 2**63 - 1, and never 0.
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
# The dates a dispute, a report or a drill-down can be about. Ends have room for the arithmetic
# the callers do (the day after a period, the month after a day, the year after a year).
MIN_YEAR = 1900
MAX_YEAR = 2100
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_id(value) -> int | None:
    """A positive database id written in ASCII digits, else None."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_year(value) -> int | None:
    """A year between MIN_YEAR and MAX_YEAR, else None."""
    text = value if isinstance(value, str) else str(value) if isinstance(value, int) else ""
    if not re.fullmatch(r"[0-9]{4}", text):
        return None
    year = int(text)
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def parse_date(value) -> date | None:
    """A YYYY-MM-DD date within MIN_YEAR..MAX_YEAR, else None."""
    match = _ISO_DATE.fullmatch(value) if isinstance(value, str) else None
    if match is None or parse_year(match[1]) is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # 2026-02-30
        return None


def parse_uuid(value) -> uuid.UUID | None:
    """A UUID in any of the usual spellings (with or without dashes), else None."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str) or len(value) > 45:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
