"""LL2's scalar values: the one check of each, shared by the importer and the admin.

Each converter takes a value as decoded from LL2's JSON and returns what the
model field stores, or raises ``Invalid`` with a message a person can act on.
``parse_duration`` is the one rule for durations: the importer and the admin's
duration boxes accept the same values.
"""

import datetime
import json
import math
import re

import isodate

from spacecraft import documents


class Invalid(ValueError):
    pass


class NegativeDuration(Invalid):
    """A duration below zero: refused by ``parse_duration``, by name, not by its message."""


INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Durations are stored as 64-bit microseconds on SQLite; this bound is far
# beyond any real flight and keeps every database able to store the value.
MAX_DURATION = datetime.timedelta(days=100_000)
ZERO_DURATION = datetime.timedelta(0)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def text(max_length):
    def convert(value):
        if not isinstance(value, str):
            raise Invalid(f"expected a string, got {json_type(value)}")
        if "\x00" in value:
            raise Invalid("NUL characters are not allowed")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise Invalid("contains a lone surrogate (\\ud800-\\udfff)") from None
        if len(value) > max_length:
            raise Invalid(f"longer than {max_length} characters")
        return value

    return convert


def integer(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected an integer, got {json_type(value)}")
    if not INT_MIN <= value <= INT_MAX:
        raise Invalid(f"integer out of range: {value}")
    return value


def identifier(value):
    value = integer(value)
    if value < 1:
        raise Invalid(f"ids are positive, got {value}")
    return value


def count(value):
    value = integer(value)
    if value < 0:
        raise Invalid(f"must not be negative, got {value}")
    return value


def boolean(value):
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {json_type(value)}")
    return value


def number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"expected a number, got {json_type(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise Invalid("number out of range")
    return value


def date(value):
    if not isinstance(value, str):
        raise Invalid(f"expected a date string, got {json_type(value)}")
    try:
        if not DATE.fullmatch(value):
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"not a YYYY-MM-DD date: {short(value)}") from None


# LL2's form: ``2024-10-14T16:06:00Z``, seconds' fractions and offsets allowed.
DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})", re.ASCII
)


def date_time(value):
    """An ISO 8601 date and time with its time zone, as an aware datetime."""
    if not isinstance(value, str):
        raise Invalid(f"expected a date and time string, got {json_type(value)}")
    try:
        if not DATE_TIME.fullmatch(value):
            raise ValueError
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"not an ISO 8601 date and time with a time zone: {short(value)}") from None


def parse_duration(value):
    """An ISO 8601 duration as a timedelta; years, months and negatives are refused."""
    if not isinstance(value, str):
        raise Invalid(f"expected an ISO 8601 duration string, got {json_type(value)}")
    try:
        parsed = read_duration(value)
    except (isodate.ISO8601Error, ValueError, OverflowError):
        raise Invalid(f"not an ISO 8601 duration: {short(value)}") from None
    if not isinstance(parsed, datetime.timedelta):
        raise Invalid(f"durations with years or months are ambiguous: {short(value)}")
    if parsed < ZERO_DURATION:
        raise NegativeDuration(f"durations are never negative: {short(value)}")
    if parsed > MAX_DURATION:
        raise Invalid(f"duration out of range: {short(value)}")
    return parsed


def parse_signed_duration(value):
    """``parse_duration``, but a leading ``-`` is allowed (``-P10948DT2H``).

    For ``SignedDurationField``: a flight's duration runs from its launch to
    its mission end, and real LL2 data has mission ends before their launch.
    Spacecraft figures keep ``parse_duration``'s rule.
    """
    if isinstance(value, str) and value.startswith("-"):
        try:
            return -parse_duration(value[1:])
        except NegativeDuration:  # "--P1D": two signs
            raise Invalid(f"not an ISO 8601 duration: {short(value)}") from None
    return parse_duration(value)


def document_list(component):
    """A list of LL2 ``component`` objects, kept as LL2 sent it (JSON text)."""

    def convert(value):
        try:
            documents.check_list(component, value, "list")
            return documents.stored_form(value)
        except documents.DocumentError as error:
            raise Invalid(str(error).removeprefix("list")) from None

    return convert


# Whole days, hours, minutes and seconds, the form LL2 writes: read directly,
# as isodate reads them but ten times faster. Anything else goes to isodate.
SIMPLE_DURATION = re.compile(
    r"P(?:([0-9]{1,9})D)?(?:T(?:([0-9]{1,9})H)?(?:([0-9]{1,9})M)?(?:([0-9]{1,9})S)?)?"
)


def read_duration(value):
    match = SIMPLE_DURATION.fullmatch(value)
    if match is None or match.lastindex is None:  # not that form, or no number at all
        return isodate.parse_duration(value)
    days, hours, minutes, seconds = map(int, match.groups("0"))
    return datetime.timedelta(days, hours * 3600 + minutes * 60 + seconds)


def json_type(value):
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def short(value):
    """A JSON value, cut short, for a message."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return "(a huge number)"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
