"""Reading a file: its bytes as one JSON value, and the records it holds.

Plain JSON or a saved browsable-API page (``.browsable.txt``); strict JSON
only. orjson reads the usual file; the standard decoder reads what orjson
would read differently, and gives the messages.
"""

import json
import math
import re

import orjson

from spacecraft import values as checks
from spacecraft.ingest.errors import ImportFailure
from spacecraft.values import Invalid

# A saved browsable-API page: help text, the request line, then the response's
# status line and headers, a blank line, and the JSON body.
JSON_SPACE = " \t\r\n"
JSON_START = re.compile(rb"[ \t\r\n]*[\[{]")
BROWSABLE_HEAD = re.compile(r"^HTTP (\d{3})[^\n]*\n(?:[^\n]+\n)*?\n", re.MULTILINE)


def _refuse_constant(name):
    raise Invalid(f"{name} is not a JSON number")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise Invalid(f"number out of range: {text[:40]}")
    return value


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def load_document(text):
    """The JSON value in ``text`` (str or UTF-8 bytes).

    ``text`` is plain JSON or a saved browsable-API page (``.browsable.txt``).
    Strict JSON only: ``NaN``, ``Infinity`` and numbers beyond a double are
    refused, as are empty files.
    """
    if isinstance(text, bytes | bytearray):
        if JSON_START.match(text) and not _has_long_number(text):
            # The usual file: orjson reads the bytes directly (and checks the
            # UTF-8 itself); whatever it refuses is read again below.
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                pass
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ImportFailure(f"not UTF-8 (byte {error.start})") from None
    text = text.removeprefix("\ufeff")
    start = _skip_space(text, 0)
    if start == len(text):
        raise ImportFailure("empty file: expected JSON")
    if text[start] not in "{[":
        head = BROWSABLE_HEAD.search(text.replace("\r\n", "\n"))
        if head:
            status = head.group(1)
            if status != "200":
                raise ImportFailure(f"the saved page is an HTTP {status} response, not data")
            text = text.replace("\r\n", "\n")
            start = _skip_space(text, head.end())
    return _decode(text, start)


def _skip_space(text, position):
    """The position of the first non-whitespace (as JSON counts it) character."""
    return len(text) - len(text[position:].lstrip(JSON_SPACE))


# orjson reads a page several times faster. It is used only where it reads
# exactly what the standard decoder does: it turns integers beyond 64 bits into
# floats, so a text with a run of 19 digits goes to the standard decoder, as
# does any text orjson refuses (which then gets the standard decoder's message).
# The run is looked for in the UTF-8 bytes with every digit made "0" and every
# other byte a space: ten times faster than a regular expression.
_DIGITS_ONLY = bytes(ord("0") if chr(b) in "0123456789" else ord(" ") for b in range(256))
_LONG_NUMBER = b"0" * 19


def _has_long_number(data):
    """Whether ``data`` (UTF-8 bytes) has a run of 19 digits."""
    return _LONG_NUMBER in data.translate(_DIGITS_ONLY)


def _decode(text, start):
    if not _has_long_number(text.encode("utf-8", "surrogatepass")):
        try:
            return orjson.loads(text[start:] if start else text)
        except orjson.JSONDecodeError:
            pass
    try:
        value, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as error:
        raise ImportFailure(
            f"not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except Invalid as error:
        raise ImportFailure(f"not JSON: {error}") from None
    except ValueError:  # Python refuses integers with thousands of digits
        raise ImportFailure("not JSON: a number too long to read") from None
    except RecursionError:
        raise ImportFailure("not JSON: nested too deeply") from None
    offset = _skip_space(text, end)
    if offset < len(text):
        line = text.count("\n", 0, offset) + 1
        raise ImportFailure(f"not JSON (line {line}: extra data after the JSON value)")
    return value


def records_of(document):
    """The records of a page, a list, or a single object (spacecraft or flights)."""
    if isinstance(document, dict) and "results" in document:
        records = document["results"]
        if not isinstance(records, list):
            raise ImportFailure(
                f'wrong shape: "results" is {checks.json_type(records)}, not a list'
            )
        return records
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "id" in document:
        return [document]
    raise ImportFailure(
        "wrong shape: expected an LL2 page (with results), a list of records "
        f"or one record, got {checks.json_type(document)}"
        + (" without id or results" if isinstance(document, dict) else "")
    )
