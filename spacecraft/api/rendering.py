"""Fast JSON for the LL2 representations, compiled from the DRF serializers.

The serializers in ``serializers.py`` stay the only declaration of each
representation. ``plan_for(SerializerClass)`` walks a serializer's fields
once and compiles a ``Plan``:

* the columns every nested object needs, read with ``values_list`` (plain
  tuples, no model instances). To-one relations are joined into their
  parent's query, as ``select_related`` would; each to-many relation (image
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
from django.db import connection
from rest_framework import renderers, serializers
from rest_framework.reverse import reverse

from spacecraft import documents, figures
from spacecraft.fields import DetailURLField, ResponseModeField
from spacecraft.storage import counts


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


class Query:
    """One ``values_list`` query of ``model`` whose ``key`` column is in a list of ids.

    The columns are paths from ``model``, added while compiling. The SQL is
    built by the ORM once per database, then run with each request's ids
    (building a query of a hundred columns and a dozen joins costs the ORM
    milliseconds, every time); the ORM's own converters still turn the
    database's values into Python's.
    """

    def __init__(self, model, key, order=None):
        self.model = model
        self.key = key
        self.order = order
        self.columns = []
        self.index = {}
        self.compiled = {}  # database alias -> (sql, converters) or None

    def add(self, path):
        """The index of column ``path`` in each row (added if it is new)."""
        if path not in self.index:
            self.index[path] = len(self.columns)
            self.columns.append(path)
        return self.index[path]

    def queryset(self, ids):
        queryset = self.model._default_manager.filter(**{f"{self.key}__in": ids})
        queryset = queryset.order_by(*self.order) if self.order else queryset.order_by()
        return queryset.values_list(*self.columns)

    def run(self, ids):
        """The rows whose key is in ``ids`` (a non-empty list), in ``order``."""
        limit = connection.features.max_query_params
        if connection.vendor != "postgresql" and limit and len(ids) > limit:
            rows = [
                row
                for start in range(0, len(ids), limit)
                for row in self.run(ids[start : start + limit])
            ]
            if self.order:
                columns = [self.index[path] for path in self.order]
                rows.sort(key=lambda row: tuple(row[column] for column in columns))
            return rows
        compiled = self._compile()
        if compiled is None:  # SQL of a shape we do not expect: let the ORM run it
            return list(self.queryset(ids))
        sql, converters = compiled
        if connection.vendor == "postgresql":
            sql, params = sql.replace(_IN_ONE, "= ANY(%s)"), [list(ids)]
        else:
            sql, params = sql.replace(_IN_ONE, f"IN ({', '.join(['%s'] * len(ids))})"), ids
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [self._convert(row, converters) for row in rows]
        return rows

    def _compile(self):
        alias = connection.alias
        if alias not in self.compiled:
            compiler = self.queryset([0]).query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            fits = list(params) == [0] and sql.count("%s") == 1 and sql.count(_IN_ONE) == 1
            converters = compiler.get_converters([s[0] for s in compiler.select])
            self.compiled[alias] = (sql, converters) if fits else None
        return self.compiled[alias]

    @staticmethod
    def _convert(row, converters):
        row = list(row)
        for index, (functions, expression) in converters.items():
            value = row[index]
            for function in functions:
                value = function(value, expression, connection)
            row[index] = value
        return tuple(row)


_IN_ONE = "IN (%s)"


class Relation:
    """How to read a to-many relation of many parents in one query.

    ``model`` is queried, filtered on ``parent`` (a column holding the
    parent's id) and ordered by the listed objects' id, as the textbook
    prefetches order them; ``prefix`` leads from ``model`` to the listed
    object (the through table of a many-to-many, or the child itself).
    """

    def __init__(self, model, field_name):
        field = model._meta.get_field(field_name)
        if field.many_to_many and not field.auto_created:  # forward many-to-many
            self.model = field.remote_field.through
            self.parent = field.m2m_field_name() + "_id"
            self.prefix = field.m2m_reverse_field_name() + "__"
            self.target = field.related_model
        elif field.many_to_many:  # reverse many-to-many
            forward = field.field
            self.model = forward.remote_field.through
            self.parent = forward.m2m_reverse_field_name() + "_id"
            self.prefix = forward.m2m_field_name() + "__"
            self.target = field.related_model
        elif field.one_to_many:  # reverse foreign key
            self.model = field.related_model
            self.parent = field.field.attname
            self.prefix = ""
            self.target = field.related_model
        else:
            raise Unsupported(f"{model.__name__}.{field_name} is not a to-many relation")


class Group:
    """One to-many query: a relation and the serializer its objects take."""

    def __init__(self, relation):
        self.relation = relation
        # The listed model's own order (``id``; a flight's launch date, then id).
        order = tuple(relation.prefix + name for name in _ordering(relation.target))
        self.query = Query(relation.model, relation.parent, order)
        self.parent_index = self.query.add(relation.parent)
        for path in order:
            self.query.add(path)
        self.node = None  # the listed object's Node, rows from self.query
        self.feeders = []  # (source, pk index) where the parents' ids are found
        self.depends_on = set()


class Node:
    """One nested object of a representation, compiled to one function.

    ``make(row, context)`` returns the object's dict from the row of the
    query it was read with; it is generated from the serializer's fields as
    a single dict display (``{"id": row[3], "name": row[4], ...}``), which
    is several times faster than a getter call per key. ``source()`` shows
    the generated code.
    """

    def __init__(self, serializer, model, pk_index):
        self.name = type(serializer).__name__
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
    """A compiled representation: the root query, the to-many groups, the builders."""

    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        serializer = serializer_class()
        self.model = serializer.Meta.model
        self.query = Query(self.model, self.model._meta.pk.attname)
        self.groups = {}  # (relation model, field, serializer class) -> Group
        self.root = self._compile(serializer, self.model, "", self.query, source=None)
        self.order = self._group_order()

    # compiling

    def _compile(self, serializer, model, prefix, query, source):
        if not isinstance(serializer, serializers.ModelSerializer):
            raise Unsupported(f"{type(serializer).__name__} is not a ModelSerializer")
        if serializer.Meta.model is not model and not issubclass(model, serializer.Meta.model):
            raise Unsupported(f"{type(serializer).__name__} does not render {model.__name__}")
        pk_name = model._meta.pk.name
        node = Node(serializer, model, query.add(prefix + pk_name))
        node.attributes[pk_name] = node.attributes["pk"] = node.pk
        for key, field in serializer.fields.items():
            if field.write_only:
                continue
            node.items.append((key, self._expression(field, model, prefix, query, node, source)))
        node.finish()
        return node

    def _expression(self, field, model, prefix, query, node, source):
        """The Python expression that computes ``field`` from a row."""
        if isinstance(field, ResponseModeField):
            return repr(str(field.mode))
        if isinstance(field, DetailURLField):
            return f"context.url({field.view_name!r}, row[{node.pk}])"
        if isinstance(field, serializers.SerializerMethodField):
            method = node.bind(getattr(field.parent, field.method_name), "method")
            attributes = node.bind(node.attributes, "attributes")
            return f"{method}(row_object(row, {attributes}))"
        if isinstance(field, serializers.ListSerializer):
            return self._many(field, model, node, source)
        if isinstance(field, documents.DocumentField):
            return self._document(field, model, prefix, query, node)
        if isinstance(field, figures.ClockDurationField):
            return self._clock(field, prefix, query, node)
        if len(field.source_attrs) != 1:
            raise Unsupported(f"source {field.source!r} of {field.field_name!r}")
        name = field.source_attrs[0]
        if name == "pk":
            name = model._meta.pk.name
        if isinstance(field, serializers.ModelSerializer):
            relation = model._meta.get_field(name)
            if not (relation.many_to_one or relation.one_to_one) or relation.auto_created:
                raise Unsupported(f"{model.__name__}.{name} is not a forward to-one relation")
            child = self._compile(field, relation.related_model, f"{prefix}{name}__", query, source)
            child_name = node.bind(child, "node")
            return f"(None if row[{child.pk}] is None else build({child_name}, row, context))"
        if isinstance(field, (serializers.RelatedField, serializers.ManyRelatedField)):
            raise Unsupported(f"related field {field.field_name!r}")
        model_field = model._meta.get_field(name)
        if model_field.is_relation:
            raise Unsupported(f"{model.__name__}.{name} is a relation")
        index = query.add(prefix + name)
        node.attributes[name] = index
        convert = _converter(field, model_field)
        if convert is None:
            return f"row[{index}]"
        convert_name = node.bind(convert, "convert")
        return f"(None if row[{index}] is None else {convert_name}(row[{index}]))"

    def _clock(self, field, prefix, query, node):
        """A figure that grows with the clock: its column and the clock's (``figures.py``)."""
        (name,) = field.source_attrs
        indexes = [query.add(prefix + column) for column in (name, *field.clock_columns)]
        node.attributes[name] = indexes[0]
        grow, convert = node.bind(field.grow, "grow"), node.bind(field.to_representation, "convert")
        columns = ", ".join(f"row[{index}]" for index in indexes)
        return f"{convert}({grow}(context.request, {columns}))"

    def _document(self, field, model, prefix, query, node):
        """A stored document (``launch.document``): its text, spliced as it is."""
        *relations, name = field.source_attrs
        for relation_name in relations:
            relation = model._meta.get_field(relation_name)
            if not (relation.many_to_one or relation.one_to_one) or relation.auto_created:
                raise Unsupported(f"{model.__name__}.{relation_name} is not a forward to-one")
            model = relation.related_model
        if model._meta.get_field(name).get_internal_type() != "TextField":
            raise Unsupported(f"{model.__name__}.{name} is not a text column")
        index = query.add(prefix + "__".join(field.source_attrs))
        splice = node.bind(documents.fragment, "document")
        return f"(None if row[{index}] is None else {splice}(row[{index}], context.request))"

    def _many(self, field, model, node, source):
        child = field.child
        relation_name = field.source_attrs[0] if len(field.source_attrs) == 1 else None
        if relation_name is None:
            raise Unsupported(f"source {field.source!r} of {field.field_name!r}")
        key = (model, relation_name, type(child))
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(Relation(model, relation_name))
            group.node = self._compile(
                child, group.relation.target, group.relation.prefix, group.query, source=key
            )
        group.feeders.append((source, node.pk))
        if source is not None:
            group.depends_on.add(source)
        child_name = node.bind(group.node, "node")
        key_name = node.bind(key, "group")
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


# Model fields whose column values are already what the DRF field returns:
# CharField.to_representation is str(value), IntegerField's int(value),
# BooleanField's bool(value), identities on str, int and bool.
_IDENTITY = {
    serializers.CharField: {"CharField", "TextField"},
    serializers.URLField: {"CharField", "TextField"},
    serializers.IntegerField: {
        "AutoField",
        "BigAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
    },
    serializers.BooleanField: {"BooleanField"},
}


def _converter(field, model_field):
    """How a column's (non-null) value becomes the field's; None for "as it is".

    Anything but the identities above goes through the DRF field's own
    ``to_representation`` (memoized: durations and dates repeat, and
    isodate's formatting is slow); floats are marked to keep their ``repr``.
    """
    if model_field.get_internal_type() in _IDENTITY.get(type(field), ()):
        return None
    convert = functools.lru_cache(maxsize=4096, typed=True)(field.to_representation)
    if isinstance(field, serializers.FloatField):
        return lambda value: JSONFloat(convert(value))
    return convert


@functools.cache
def plan_for(serializer_class):
    """The compiled ``Plan`` of a serializer class, or None if it cannot be compiled."""
    try:
        return Plan(serializer_class)
    except Unsupported:
        return None
