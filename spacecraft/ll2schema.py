"""LL2's official OpenAPI components as JSON Schema, for ``jsonschema``.

Shared by the server (launch and landing documents are validated against
the official components on import and in the admin) and the tests.

An OpenAPI 3.0 schema object is not quite JSON Schema. The translation:

* ``nullable: true`` means "or null": the translated schema becomes
  ``{"anyOf": [{"type": "null"}, <the rest>]}``. This also covers LL2's
  ``{"allOf": [{"$ref": ...}], "nullable": true}`` (a nested object or
  null), which plain JSON Schema would read as "never null".
* ``$ref: "#/components/schemas/X"`` points at ``#/$defs/X`` of one
  self-contained document holding every component, so references (also
  recursive ones) resolve inside it. As in OpenAPI 3.0, keys next to a
  ``$ref`` are ignored.
* ``oneOf`` with a ``discriminator`` picks the schema named by the
  discriminator property (``response_mode``), as OpenAPI clients do: the
  property must hold a mapped value and the object must match that value's
  schema. Plain ``oneOf`` would refuse LL2's own records, because a normal
  record is also a valid mini record (components are open objects).
* OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become
  JSON Schema's numeric ones; ``discriminator``, ``example``, ``xml`` and
  ``externalDocs`` are dropped.

Two options make the check stricter than the document itself, for our own
output: ``closed`` refuses keys a component does not declare (LL2's
components never combine property sets, so closing each is safe), and
``pin_defaults`` requires a read-only property with a default to hold that
default (LL2's ``response_mode``: ``SpacecraftNormal`` says ``"normal"``).

Formats: ``date`` is checked; ``uri`` must be an absolute http(s) URL or
empty (LL2 sends ``""`` for a blank URL field such as ``wiki_link``).

Two validators check the same schema: ``jsonschema``'s (``validator``), the
precise one, which names every problem, and a compiled one (``jsonschema_rs``,
``fast_validator``), 200 times faster (65 µs for a launch document instead
of 13 ms), which only says yes or no. ``problems`` asks the compiled one
first and trusts its yes; on a no (or a value it cannot read) the precise
one decides and words the problems. So the answers are the precise
validator's, and only documents that fail pay for it. Both check formats
with the same functions (``FORMATS``); a format not in ``FORMATS``
(``date-time``, ``uuid``) is checked by neither. Where the two could differ,
the compiled one is the stricter: ``pattern`` follows ECMA 262, whose ``$``
does not match before a final newline as Python's does, and then the
precise validator's yes stands (``tests/test_schema_agreement.py``).
"""

import datetime
import functools
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema_rs

SCHEMA_FILE = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "ll2"
    / "schema"
    / "ll2-2.3.0-spacecraft-subset.openapi.json"
)
COMPONENT_REF = "#/components/schemas/"
DROPPED = {"discriminator", "example", "xml", "externalDocs", "nullable"}
SCHEMA_VALUED = {"items", "not", "additionalProperties"}
SCHEMA_LISTS = {"allOf", "anyOf", "oneOf"}


@functools.cache
def openapi():
    """The official document, parsed once."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def components():
    return openapi()["components"]["schemas"]


def component_name(ref):
    if not ref.startswith(COMPONENT_REF):
        raise ValueError(f"not a component reference: {ref}")
    return ref[len(COMPONENT_REF) :]


def translate(node, closed=False, pin_defaults=False):
    """One OpenAPI 3.0 schema object as a JSON Schema (2020-12) object."""

    def convert(node):
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return {"$ref": "#/$defs/" + component_name(node["$ref"])}
        out = {}
        for key, value in node.items():
            if key in DROPPED:
                continue
            if key in SCHEMA_VALUED:
                out[key] = convert(value)
            elif key in SCHEMA_LISTS:
                out[key] = [convert(item) for item in value]
            elif key == "properties":
                out[key] = {name: convert(schema) for name, schema in value.items()}
            else:
                out[key] = value
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if out.get(bound) is True:
                out[bound] = out.pop(limit)
            elif out.get(bound) is False:
                del out[bound]
        if pin_defaults and out.get("readOnly") and "default" in out:
            out["const"] = out["default"]
        if closed and "properties" in out:
            out.setdefault("additionalProperties", False)
        if "discriminator" in node and "oneOf" in node:
            out = _dispatch(node, out)
        if node.get("nullable"):
            out = {"anyOf": [{"type": "null"}, out]}
        return out

    return convert(node)


def _dispatch(node, out):
    """``oneOf`` + ``discriminator``: the mapped schema for the property's value."""
    prop = node["discriminator"]["propertyName"]
    mapping = node["discriminator"].get("mapping") or {
        component_name(option["$ref"]): option["$ref"] for option in node["oneOf"]
    }
    rest = {key: value for key, value in out.items() if key != "oneOf"}
    return {
        **rest,
        "type": "object",
        "required": [prop],
        "properties": {prop: {"enum": list(mapping)}},
        "allOf": [
            {
                "if": {"properties": {prop: {"const": value}}},
                "then": {"$ref": "#/$defs/" + component_name(ref)},
            }
            for value, ref in mapping.items()
        ],
    }


# Properties LL2's document does not let be null but real LL2 data has null
# (a flight without a landing, a duration or a turn-around time): read as
# ``nullable`` here, as our own OpenAPI document declares them.
REAL_NULLS = {
    flight: ("landing", "duration", "turn_around_time")
    for flight in ("SpacecraftFlightNormal", "SpacecraftFlightDetailed")
}


def _as_sent(name, schema):
    """Component ``name`` with ``REAL_NULLS`` applied."""
    nulls = REAL_NULLS.get(name)
    if not nulls:
        return schema
    schema = {**schema, "properties": dict(schema["properties"])}
    for prop in nulls:
        value = schema["properties"][prop]
        if "$ref" in value:
            value = {"allOf": [value]}
        schema["properties"][prop] = {**value, "nullable": True}
    return schema


def json_schema(name, closed=False, pin_defaults=False):
    """A self-contained JSON Schema for component ``name`` (with ``REAL_NULLS``)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {
            key: translate(_as_sent(key, value), closed, pin_defaults)
            for key, value in components().items()
        },
        "$ref": "#/$defs/" + name,
    }


DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date(value):
    """RFC 3339's full-date: four, two and two digits, a real calendar day."""
    if not isinstance(value, str):
        return True
    if not DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# The usual link, which ``urlsplit`` surely reads as http(s) with a host: a
# host of letters, digits, dots and hyphens, then a path, query or fragment
# without the tab and newlines it would take out. Checked without it.
PLAIN_URI = re.compile(r"https?://[A-Za-z0-9.-]+(?:[/?#][^\t\r\n]*)?")


def _is_uri(value):
    """An absolute http(s) URL (as ``urlsplit`` reads it), or empty."""
    if not isinstance(value, str) or value == "" or PLAIN_URI.fullmatch(value):
        return True
    try:
        parts = urlsplit(value)
    except ValueError:  # an unclosed IPv6 bracket, a bad port
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# The formats checked, by both validators; any other (date-time, uuid...) is not.
FORMATS = {"date": _is_date, "uri": _is_uri}


@functools.cache
def validator(name, closed=False, pin_defaults=False):
    """The precise validator (``jsonschema``), imported when first needed: the
    compiled one answers every valid document, so an import of valid files
    never loads it."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    for format_name, check in FORMATS.items():
        checker.checks(format_name)(check)
    schema = json_schema(name, closed, pin_defaults)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=checker)


def _checked_formats_only(node):
    """``node`` without the ``format`` keywords ``FORMATS`` does not check
    (``date-time``, ``uuid``...), which the compiled validator would check."""
    if isinstance(node, dict):
        return {
            key: _checked_formats_only(value)
            for key, value in node.items()
            if not (key == "format" and isinstance(value, str) and value not in FORMATS)
        }
    if isinstance(node, list):
        return [_checked_formats_only(item) for item in node]
    return node


@functools.cache
def fast_validator(name, closed=False, pin_defaults=False):
    """The compiled validator of the same schema, formats checked by ``FORMATS``."""
    return jsonschema_rs.Draft202012Validator(
        _checked_formats_only(json_schema(name, closed, pin_defaults)),
        validate_formats=True,
        formats=FORMATS,
    )


def fast_says_valid(name, instance, closed=False, pin_defaults=False):
    """The compiled validator's answer; False where it cannot read ``instance``
    (a key that is not a string), so that the precise validator decides."""
    try:
        return fast_validator(name, closed, pin_defaults).is_valid(instance)
    except ValueError:
        return False


def problems(name, instance, closed=True, pin_defaults=True):
    """Every way ``instance`` breaks component ``name``, as "path: message".

    Strict by default (see the module docstring); an empty list means valid.
    The compiled validator answers a valid ``instance``; the precise one
    finds and words the problems.
    """
    if fast_says_valid(name, instance, closed, pin_defaults):
        return []
    return precise_problems(name, instance, closed, pin_defaults)


def precise_problems(name, instance, closed=True, pin_defaults=True):
    """``problems``, by the precise validator alone."""
    errors = validator(name, closed, pin_defaults).iter_errors(instance)
    return sorted(f"{error.json_path}: {error.message}" for error in _leaves(errors))


def _leaves(errors):
    """The innermost errors, so that a failed "or null" names its real cause."""
    for error in errors:
        if error.context:
            yield from _leaves(error.context)
        elif not (error.validator == "type" and error.validator_value == "null"):
            yield error
