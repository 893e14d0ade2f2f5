"""Launch and landing documents: kept as LL2 sent them, checked, served as bytes.

A flight's ``launch`` (``LaunchNormal``) and ``landing`` (``Landing``), and a
detailed flight's crew and docking lists, are stored as JSON text, once per
LL2 id, and spliced into responses without being parsed again.

* **Stored form.** DRF's compact encoding of the parsed value (what LL2, a
  DRF server, writes): so a document LL2 sent is stored byte for byte as it
  was sent, whether it came alone, inside a page or from a saved browsable
  page. Hyperlinks (``url`` keys naming an LL2 API object) are stored without
  ``?format=``.
* **Checked** against the official schema's component, with LL2's
  nullability quirks (``spacecraft/ll2schema.py``), on import and in the
  admin. A document given with its stored text is checked once per
  process: the digest of each text found valid is remembered (a bounded
  set), so a launch met again in another file, page or import is not
  checked again. Validity depends on the stored text alone: the only thing
  it leaves out, a hyperlink's ``?format=``, cannot make a ``uri`` invalid
  (``tests/test_schema_agreement.py`` holds the schema to that).
* **Served** as stored, except that every hyperlink gets the request's
  ``?format=`` as DRF's ``reverse`` adds it to our own links. The fast path
  splices the text into orjson's output (``orjson.Fragment``); the DRF path
  parses it and DRF's encoder writes the same bytes.
"""

import functools
import hashlib
import json
import re
import uuid

import orjson
from django.apps import apps
from django.db import models
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.reverse import preserve_builtin_query_params
from rest_framework.utils.urls import remove_query_param

from spacecraft import ll2schema


class DocumentError(ValueError):
    """A document that does not fit its component; the message names the key."""


# An LL2 API hyperlink: https://ll.thespacedevs.com/2.3.0/pads/21/
API_LINK = re.compile(r"https?://[^/?#]+/2\.\d+\.\d+/", re.ASCII)
# The same, as a key in stored text: only after "{" or "," is `"url":"` a key
# (inside a string its quotes would be escaped).
STORED_LINK = re.compile(r'([{,]"url":")(https?://[^"\\/?#]+/2\.\d+\.\d+/[^"\\]*)"', re.ASCII)
LINE_SEPARATORS = re.compile("[\u2028\u2029]")


def _escape_separator(match):
    return "\\u2028" if match.group() == "\u2028" else "\\u2029"


def encode(value):
    """``value`` as DRF's JSONRenderer writes it: compact, UTF-8, U+2028/U+2029 escaped."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if "\u2028" in text or "\u2029" in text:  # a quick look (none in most texts)
        text = LINE_SEPARATORS.sub(_escape_separator, text)
    return text


def without_format(value):
    """``value`` with ``?format=`` taken off every LL2 API hyperlink (a copy)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if (
                key == "url"
                and isinstance(item, str)
                and API_LINK.match(item)
                and "format=" in item
            ):
                item = remove_query_param(item, "format")
            out[key] = without_format(item)
        return out
    if isinstance(value, list):
        return [without_format(item) for item in value]
    return value


def stored_form(value):
    """The text a document is stored as.

    Encoded first: a text without ``format=`` has no link to take it off
    (no character of it is escaped in JSON text), so only a document with
    one is walked and encoded again.
    """
    text = encode(value)
    if "format=" in text:
        text = encode(without_format(value))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DocumentError("contains a lone surrogate (\\ud800-\\udfff)") from None
    return text


# (component, digest of the stored text) of the documents found valid.
# Bounded: when full it starts again, so memory stays flat (about 15 MB at
# most) however many documents pass.
CHECKED_LIMIT = 100_000
_checked = set()


def _digest(component, text):
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return component, digest


def check(component, value, where="document", text=None):
    """Raise ``DocumentError`` naming the first problem if ``value`` breaks ``component``.

    ``text``: ``value``'s stored form, if known; a text already found valid
    is not checked again.
    """
    digest = None
    if text is not None:
        digest = _digest(component, text)
        if digest in _checked:
            return
    found = ll2schema.problems(component, value, closed=False, pin_defaults=False)
    if found:
        path, _, message = found[0].partition(": ")
        key = path.removeprefix("$").lstrip(".") or "(the whole document)"
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise DocumentError(f"{where} does not fit LL2's {component}: {key}: {message}{more}")
    if digest is not None:
        if len(_checked) >= CHECKED_LIMIT:
            _checked.clear()
        _checked.add(digest)


def check_list(component, value, where):
    """A list of ``component`` objects (a detailed flight's crews, docking events)."""
    if not isinstance(value, list):
        raise DocumentError(f"{where}: expected a list")
    for index, item in enumerate(value):
        check(component, item, f"{where}[{index}]")


def with_format(text, request):
    """The stored ``text`` with the request's ``?format=`` on every hyperlink."""
    if request is None or "format" not in request.GET:
        return text
    return STORED_LINK.sub(
        lambda match: f'{match.group(1)}{preserve_builtin_query_params(match.group(2), request)}"',
        text,
    )


def fragment(text, request):
    """The stored ``text`` for orjson to write as it is (the fast path)."""
    return orjson.Fragment(with_format(text, request))


class DocumentField(serializers.Field):
    """A stored JSON document, served as LL2 sent it (links with the request's format).

    ``source`` is the text column, on the model or through to-one relations
    (``launch.document``). The DRF path parses the text; ``rendering.py``
    splices it instead, to the same bytes.
    """

    def __init__(self, component, many=False, **kwargs):
        self.component = component  # the official schema's component
        self.many_documents = many  # a list of them (a detailed flight's crews)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return json.loads(with_format(value, self.context.get("request")))


# --- the rows that keep a document: their id and copied columns -----------------------
#
# A model keeping an LL2 document declares it in its inner class ``LL2`` (``component``,
# ``copied``: spacecraft/models.py). Everything below is read from that declaration and
# from the model's own fields, so the importer, the admin's forms and the serializers
# agree on it without naming a component themselves.


def stored_models():
    """The models that keep an LL2 document (a launch, a landing), in the app's order."""
    return [model for model in apps.get_app_config("spacecraft").get_models() if _declares(model)]


def _declares(model):
    return isinstance(model.__dict__.get("LL2"), type)


def component_of(model):
    """The official schema's component ``model``'s documents fit (``LaunchNormal``...)."""
    return declaration(model).component


def copied_of(model):
    """The names of ``model``'s columns copied from its document, in declared order."""
    return tuple(declaration(model).copied)


def declaration(model):
    if not _declares(model):
        raise TypeError(f"{model.__name__} keeps no LL2 document (it has no inner class LL2)")
    return model.LL2


def _model(model_or_component):
    """A model given itself, or by the component it declares (what a serializer's
    ``DocumentField`` names: the importer's kinds carry that)."""
    if not isinstance(model_or_component, str):
        return model_or_component
    model = _by_component().get(model_or_component)
    if model is None:
        raise LookupError(f"no model keeps {model_or_component} documents")
    return model


@functools.cache
def _by_component():
    return {model.LL2.component: model for model in stored_models()}


def document_id(model, document):
    """The LL2 id of a document ``model`` keeps, by the type of ``model``'s primary key:
    a UUID (a launch's) or a positive integer (a landing's). ``model`` may be named by
    its component."""
    model = _model(model)
    name, field = model._meta.model_name, model._meta.pk
    pk = document.get("id") if isinstance(document, dict) else None
    if isinstance(field, models.UUIDField):
        try:
            return uuid.UUID(pk)
        except (TypeError, ValueError, AttributeError):
            raise DocumentError(f"{name}: id: not a UUID: {str(pk)[:40]!r}") from None
    if isinstance(field, models.IntegerField):
        if type(pk) is not int or not 0 < pk < 2**31:
            raise DocumentError(f"{name}: id: not a positive integer id: {str(pk)[:40]!r}")
        return pk
    raise TypeError(f"{model.__name__}.{field.name}: no id rule for a {type(field).__name__}")


def copied_columns(model, document):
    """The values of ``model``'s columns copied from a (checked) document, by column;
    each converted after its field's type. ``model`` may be named by its component."""
    model = _model(model)
    name = model._meta.model_name
    values = {}
    for column, path in model.LL2.copied.items():
        value = document
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        values[column] = _column_value(name, model._meta.get_field(column), path, value)
    return values


def _column_value(name, field, path, value):
    if isinstance(field, models.DateTimeField):
        if not isinstance(value, str):
            raise DocumentError(f"{name}: {path}: a {name} needs its date ({path})")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise DocumentError(
                f"{name}: {path}: not an ISO 8601 date-time with a zone: {value[:40]!r}"
            )
        return parsed
    if isinstance(field, models.CharField):
        return value if isinstance(value, str) else ""
    raise TypeError(
        f"{field.model.__name__}.{field.name}: a copied column cannot be a {type(field).__name__}"
    )
