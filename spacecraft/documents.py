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

import hashlib
import json
import re
import uuid

import orjson
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


# --- what a launch's columns copy from its document ----------------------------------


def launch_id(document):
    """A launch document's id, which LL2's schema says is a UUID."""
    try:
        return uuid.UUID(document.get("id"))
    except (TypeError, ValueError, AttributeError):
        raise DocumentError(f"launch: id: not a UUID: {str(document.get('id'))[:40]!r}") from None


def landing_id(document):
    pk = document.get("id")
    if type(pk) is not int or not 0 < pk < 2**31:
        raise DocumentError(f"landing: id: not a positive integer id: {str(pk)[:40]!r}")
    return pk


def document_id(component, document):
    """The LL2 id of a ``LaunchNormal`` (a UUID) or ``Landing`` (an integer) document."""
    return {"LaunchNormal": launch_id, "Landing": landing_id}[component](document)


def copied_columns(component, document):
    """The columns a document's row copies from it (a launch's name, date...)."""
    return launch_columns(document) if component == "LaunchNormal" else {}


def launch_columns(document):
    """The ``Launch`` columns copied from a (checked) ``LaunchNormal`` document."""
    status = document.get("status") or {}
    net = document.get("net")
    if not isinstance(net, str):
        raise DocumentError("launch: net: a launch needs its date (net)")
    try:
        parsed = parse_datetime(net)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise DocumentError(f"launch: net: not an ISO 8601 date-time with a zone: {net[:40]!r}")
    return {
        "name": document.get("name") or "",
        "slug": document.get("slug") or "",
        "net": parsed,
        "status": status.get("name") or "" if isinstance(status, dict) else "",
    }
