"""Fast JSON for the LL2 representations, compiled from the DRF serializers.

The serializers in ``serializers.py`` stay the only declaration of each
representation, read as every other interpreter reads it: ``shape.keys``
says what each key reads, ``fieldtypes`` how a column's value is written.
``plan_for(SerializerClass)`` walks a serializer's keys once and compiles a
``Plan``:

* the columns every nested object needs, read as ``values_list`` would
  read them (plain tuples, no model instances; ``storage.sql.Select``).
  To-one relations are joined into their parent's query, as
  ``select_related`` would; each to-many relation (image
  variants, agency countries, configuration families...) is read in one
  query per relation and nested serializer, shared by every place it occurs:
  all the images of a page get their variants in one query. So the number
  of queries is fixed by the representation, never by the rows;
* for each nested object, the list of (key, getter) pairs that turns its row
  into the dict DRF would build, in the serializer's key order, with the
  serializer field's own ``to_representation`` for anything but plain
  strings, integers and booleans. An object that occurs many times on a page
  (a configuration shared by many spacecraft) is built once.

The view gets a ``Document``, which ``JSONRenderer`` (DRF's, the default
renderer) encodes with orjson into exactly the bytes DRF's own encoder
writes: floats keep Python's ``repr`` (``JSONFloat``), U+2028 and U+2029 are
escaped as DRF escapes them. ``tests/test_fast_equivalence.py`` compares the
two, byte for byte, over varied data.

A field the compiler does not know makes ``plan_for`` return ``None``: the
view then uses the serializer itself, so an addition to ``serializers.py``
can make a representation slower, never wrong.
"""

import functools
import math
import re
from types import SimpleNamespace

import orjson
from rest_framework import renderers, serializers
from rest_framework.reverse import reverse

from spacecraft import documents, fieldtypes, figures, shape
from spacecraft.fields import DetailURLField, ResponseModeField
from spacecraft.storage import counts, sql


class Unsupported(Exception):
    """A serializer field the compiler cannot reproduce exactly."""


# --- JSON -------------------------------------------------------------------------------


class Document(dict):
    """A response body built by a ``Plan``: ``JSONRenderer`` encodes it with orjson."""


class JSONFloat(float):
    """A float written as Python's ``json`` writes it (``1e-05``, not orjson's ``0.00001``)."""


def _encode_default(value):
    if isinstance(value, JSONFloat):
        if not math.isfinite(value):
            raise ValueError("Out of range float values are not JSON compliant")
        return orjson.Fragment(float.__repr__(value))
    raise TypeError


_LINE_SEPARATORS = re.compile(b"\xe2\x80[\xa8\xa9]")


def _escape_separator(match):
    return b"\\u2028" if match.group() == b"\xe2\x80\xa8" else b"\\u2029"


def encode(data):
    """``data`` as DRF's JSONRenderer writes it: compact, UTF-8, U+2028/U+2029 escaped."""
    return _LINE_SEPARATORS.sub(_escape_separator, orjson.dumps(data, default=_encode_default))


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer; a ``Document`` is encoded with orjson, to the same bytes."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            isinstance(data, Document)
            and self.compact
            and not self.ensure_ascii
            and self.strict
            and self.get_indent(accepted_media_type, renderer_context or {}) is None
        ):
            try:
                return encode(data)
            except orjson.JSONEncodeError:
                pass  # e.g. a lone surrogate: let DRF's encoder decide, as without us
        return super().render(data, accepted_media_type, renderer_context)


# --- compiling a serializer ----------------------------------------------------------------

# The keys that are lists of objects, each read in one query per page.
LISTS = (shape.MANY, shape.CHILDREN, shape.BACK_REFERENCE)


class Group:
    """One to-many query: a list key's relation (``shape.listing``) and the serializer its
    objects take."""

    def __init__(self, listing):
        self.listing = listing
        # The listed model's own order (``id``; a flight's launch date, then id).
        order = tuple(listing.prefix + name for name in _ordering(listing.target))
        self.query = sql.Select(listing.model, listing.parent, order)
        self.parent_index = self.query.add(listing.parent)
        for path in order:
            self.query.add(path)
        self.node = None  # the listed object's Node, rows from self.query
        self.feeders = []  # (source, pk index) where the parents' ids are found
        self.depends_on = set()


class Node:
    """One nested object of a representation, compiled to one function.

    ``make(row, context)`` returns the object's dict from the row of the
    query it was read with; it is generated from the serializer's keys as
    a single dict display (``{"id": row[3], "name": row[4], ...}``), which
    is several times faster than a getter call per key. ``source()`` shows
    the generated code.
    """

    def __init__(self, serializer_class, model, pk_index):
        self.name = serializer_class.__name__
        self.model = model
        self.pk = pk_index
        self.items = []  # (key, Python expression over ``row`` and ``context``)
        self.names = {"build": _build, "row_object": _row_object}
        self.attributes = {}  # model attribute -> column index, for method fields
        self.make = None

    def bind(self, value, kind):
        name = f"{kind}{len(self.names)}"
        self.names[name] = value
        return name

    def source(self):
        lines = [f"def make_{self.name}(row, context):", "    return {"]
        lines += [f"        {key!r}: {expression}," for key, expression in self.items]
        lines.append("    }")
        return "\n".join(lines) + "\n"

    def finish(self):
        namespace = dict(self.names)
        exec(compile(self.source(), f"<rendering {self.name}>", "exec"), namespace)  # noqa: S102
        self.make = namespace[f"make_{self.name}"]


class Plan:
    """A compiled representation: the root query, the to-many groups, the builders.

    What each key reads is ``shape.keys``' answer, the one reading of the
    declaration; this compiles how to compute it from rows.
    """

    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        self.model = shape.model_of(serializer_class)
        self.query = sql.Select(self.model, self.model._meta.pk.attname)
        self.groups = {}  # (relation, serializer class) -> Group
        self.root = self._compile(serializer_class, self.model, "", self.query, source=None)
        self.order = self._group_order()

    # compiling

    def _compile(self, serializer_class, model, prefix, query, source):
        pk_name = model._meta.pk.name
        node = Node(serializer_class, model, query.add(prefix + pk_name))
        node.attributes[pk_name] = node.attributes["pk"] = node.pk
        for key in shape.keys(serializer_class):
            node.items.append((key.name, self._expression(key, prefix, query, node, source)))
        node.finish()
        return node

    def _expression(self, key, prefix, query, node, source):
        """The Python expression that computes ``key`` from a row."""
        field = key.field
        if key.reads == shape.COLUMN and isinstance(field, figures.ClockDurationField):
            return self._clock(field, key.source, prefix, query, node)
        if key.reads == shape.COLUMN:
            name = key.source
            index = query.add(prefix + name)
            node.attributes[name] = index
            convert = _converter(field, key.model_field)
            if convert is None:
                return f"row[{index}]"
            convert_name = node.bind(convert, "convert")
            return f"(None if row[{index}] is None else {convert_name}(row[{index}]))"
        if key.reads == shape.FOREIGN_KEY:
            child = self._compile(key.nested, key.target, f"{prefix}{key.source}__", query, source)
            child_name = node.bind(child, "node")
            return f"(None if row[{child.pk}] is None else build({child_name}, row, context))"
        if key.reads == shape.DOCUMENT:  # its text, spliced as it is
            index = query.add(prefix + key.document_path)
            splice = node.bind(documents.fragment, "document")
            return f"(None if row[{index}] is None else {splice}(row[{index}], context.request))"
        if key.reads in LISTS:
            return self._many(key, node, source)
        return self._computed(field, node)

    @staticmethod
    def _clock(field, name, prefix, query, node):
        """A figure that grows with the clock: its column and the clock's (``figures.py``)."""
        indexes = [query.add(prefix + column) for column in (name, *field.clock_columns)]
        node.attributes[name] = indexes[0]
        grow, convert = node.bind(field.grow, "grow"), node.bind(field.to_representation, "convert")
        columns = ", ".join(f"row[{index}]" for index in indexes)
        return f"{convert}({grow}(context.request, {columns}))"

    @staticmethod
    def _computed(field, node):
        if isinstance(field, ResponseModeField):
            return repr(str(field.mode))
        if isinstance(field, DetailURLField):
            return f"context.url({field.view_name!r}, row[{node.pk}])"
        if isinstance(field, serializers.SerializerMethodField):
            method = node.bind(getattr(field.parent, field.method_name), "method")
            attributes = node.bind(node.attributes, "attributes")
            return f"{method}(row_object(row, {attributes}))"
        raise Unsupported(f"{field.field_name!r} is computed from the model's {field.source!r}")

    def _many(self, key, node, source):
        group_key = (key.model_field, key.nested)
        group = self.groups.get(group_key)
        if group is None:
            listing = shape.listing(key)
            group = self.groups[group_key] = Group(listing)
            group.node = self._compile(
                key.nested, listing.target, listing.prefix, group.query, source=group_key
            )
        group.feeders.append((source, node.pk))
        if source is not None:
            group.depends_on.add(source)
        child_name = node.bind(group.node, "node")
        key_name = node.bind(group_key, "group")
        return (
            f"[build({child_name}, child, context) "
            f"for child in context.children[{key_name}].get(row[{node.pk}], ())]"
        )

    def _group_order(self):
        """The groups, each after those whose rows hold its parents' ids."""
        order, done = [], set()
        pending = dict(self.groups)
        while pending:
            ready = [key for key, group in pending.items() if group.depends_on <= done]
            if not ready:
                raise Unsupported("to-many relations nest in a cycle")
            for key in ready:
                order.append(key)
                done.add(key)
                del pending[key]
        return order

    # running

    def fetch(self, ids):
        """The root rows of the objects whose primary keys are ``ids``, in that order."""
        if not ids:
            return []
        by_pk = {row[self.root.pk]: row for row in self.query.run(list(ids))}
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def render(self, rows, request):
        """The representation of each root row, as DRF would build it."""
        context = Context(request)
        rows = list(rows)
        sources = {None: rows}
        for key in self.order:
            group = self.groups[key]
            parents = set()
            for source, index in group.feeders:
                parents.update(row[index] for row in sources[source])
            parents.discard(None)
            found = group.query.run(sorted(parents)) if parents else []
            sources[key] = found
            children = context.children[key] = {}
            for row in found:
                children.setdefault(row[group.parent_index], []).append(row)
        make = self.root.make
        return [make(row, context) for row in rows]


def _ordering(model):
    """``model``'s ``Meta.ordering`` (plain ascending paths ending with a unique one)."""
    names = list(model._meta.ordering or [model._meta.pk.name])
    if any(not isinstance(name, str) or name.startswith(("-", "?")) for name in names):
        raise Unsupported(f"{model.__name__}'s ordering is not plain ascending paths")
    return names


def plain(queryset):
    """``queryset`` without its joins and prefetches: for counting and for ids."""
    return queryset.select_related(None).prefetch_related(None)


class PageSource:
    """A filtered, ordered queryset as DRF's paginator slices it, yielding rows.

    ``count()`` counts without the joins; a slice reads the page's ids first
    (an index scan, however deep the offset) and then only those rows.
    """

    def __init__(self, queryset, plan):
        self.queryset = plain(queryset)
        self.plan = plan

    def count(self):
        return counts.exact_count(self.queryset)

    def __getitem__(self, window):
        return self.plan.fetch(list(self.queryset.values_list("pk", flat=True)[window]))


# --- what the generated functions call ----------------------------------------------------


class Context:
    """What one rendering shares: the request, built objects, fetched children."""

    def __init__(self, request):
        self.request = request
        self.built = {}  # (node, pk) -> dict
        self.children = {}  # group key -> {parent id: [rows]}
        self.urls = {}

    def url(self, view_name, pk):
        """DRF's absolute URL of ``pk`` for ``view_name``, as ``DetailURLField`` writes it."""
        parts = self.urls.get(view_name)
        if parts is None:
            marker = "__pk__"
            url = reverse(view_name, kwargs={"pk": marker}, request=self.request)
            before, _, after = url.partition(marker)
            parts = self.urls[view_name] = (before, after)
        return f"{parts[0]}{pk}{parts[1]}"


def _build(node, row, context):
    """``node.make(row)``, once per object and request however often it occurs."""
    key = (node, row[node.pk])
    built = context.built.get(key)
    if built is None:
        built = context.built[key] = node.make(row, context)
    return built


def _row_object(row, attributes):
    """The object a ``SerializerMethodField`` method gets: the row's columns as attributes."""
    return SimpleNamespace(**{name: row[index] for name, index in attributes.items()})


def _converter(field, model_field):
    """How a column's (non-null) value becomes the DRF field's; None for "as it is".

    The field types' registry says it (``fieldtypes.FieldType.render``): the
    value as it is, or the DRF field's own ``to_representation`` (memoized:
    durations and dates repeat, and isodate's formatting is slow), its floats
    marked to keep their ``repr``.
    """
    rule = fieldtypes.of(model_field).render.get(type(field))
    if rule == fieldtypes.AS_IS:
        return None
    convert = functools.lru_cache(maxsize=4096, typed=True)(field.to_representation)
    if rule == fieldtypes.FLOAT:
        return lambda value: JSONFloat(convert(value))
    return convert


@functools.cache
def plan_for(serializer_class):
    """The compiled ``Plan`` of a serializer class, or None if it cannot be compiled."""
    try:
        return Plan(serializer_class)
    except (Unsupported, shape.UndeclaredShape):
        return None
