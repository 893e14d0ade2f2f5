"""Import LL2 spacecraft data: parse, validate, then upsert in bulk.

A file is read whole, validated whole, and written in one transaction, so a
bad file changes nothing. Records are flattened into one row per (kind, id);
when the same object appears several times in a file (an agency under many
configurations, a configuration in normal and in detailed form) its
appearances are merged key by key, so a key one appearance leaves out never
erases what another one (or an earlier import) brought. Rows are written with
a fixed number of bulk queries per kind (per 500 rows), whatever the number
of records.

Public API (also used by other entry points, e.g. mirroring over HTTP):
``load_document(text_or_bytes)``, ``import_document(document, tallies)``,
``import_path(path, tallies)`` and ``ImportFailure``.
"""

import json
import math
import re
import uuid
from dataclasses import dataclass, field
from functools import cached_property

import orjson
from django.apps import apps
from django.core.management.color import no_style
from django.core.validators import MinValueValidator
from django.db import DatabaseError, connection, transaction
from django.db.models import fields as dj

from spacecraft import documents, models, shape
from spacecraft import values as checks
from spacecraft.declarations import required_keys
from spacecraft.storage import stamp
from spacecraft.values import Invalid, parse_duration, parse_signed_duration


class ImportFailure(Exception):
    """A file that cannot be imported; the message names the record and key."""


BATCH = 500  # rows per bulk query
IN_BATCH = 900  # ids per "IN (...)" query; SQLite allows 999 parameters


# --- what each kind of object looks like in LL2 ---------------------------------
#
# Derived, once, from the serializers and the models' fields (``shape.py``):
# one kind per model a serializer renders; its keys are those its forms
# (normal, detailed, an endpoint's own) store, in their key order; each key's
# column is the serializer field's source, its check the model field's type,
# length and nullability; the write order follows the foreign keys.


@dataclass(frozen=True)
class Scalar:
    key: str
    convert: object
    nullable: bool = False
    attr: str = ""

    @cached_property
    def column(self):
        return self.attr or self.key


@dataclass(frozen=True)
class Nested:
    """A foreign key rendered as a nested object (``null`` where allowed)."""

    key: str
    kind: str
    nullable: bool = False
    attr: str = ""

    @cached_property
    def column(self):
        return f"{self.attr or self.key}_id"


@dataclass(frozen=True)
class NestedList:
    """A many-to-many (or a child list) rendered as a list of objects.

    ``children``: the listed objects belong to this one (an image's
    variants) through their foreign key ``parent_key``; a child left out of
    the list is deleted. Otherwise ``attr`` is a many-to-many field.
    """

    key: str
    kind: str
    attr: str = ""
    parent_key: str = ""

    @property
    def children(self):
        return bool(self.parent_key)


@dataclass(frozen=True)
class Kind:
    """One model and the keys of its LL2 object.

    ``required``: the keys required in every form the object takes, as our
    OpenAPI document lists them (LL2's own required lists; ``response_mode``
    and ``url`` aside, which are derived, not stored). A key that is optional
    may be left out: the stored value is then kept as it is.
    """

    name: str
    model: object
    fields: tuple
    required: tuple = ("id",)
    # A kind kept as the document LL2 sent (a launch, a landing): the official
    # schema's component it must fit (spacecraft/documents.py). Its ``fields``
    # are then empty.
    component: str = ""


# The names kinds go by in messages and in the summary: the model's verbose
# name, or a shorter one where the context says the rest.
SHORT_NAMES = {
    models.ImageLicense: "license",
    models.ImageVariantType: "variant type",
    models.SpacecraftConfigFamily: "family",
    models.SpacecraftConfigType: "configuration type",
    models.SpacecraftConfig: "configuration",
    models.SpacecraftStatus: "status",
    models.SpacecraftFlight: "flight",
}


def kind_name(model):
    return SHORT_NAMES.get(model) or str(model._meta.verbose_name)


def _lower_bound(model_field):
    """The least value the model field's validators allow (the column's own range included)."""
    bounds = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
    return max(bounds) if bounds else None


def converter(model_field):
    """The check and conversion of an LL2 value for ``model_field``, from its type."""
    if isinstance(model_field, (dj.CharField, dj.TextField)):  # URLField is a CharField
        return checks.text(model_field.max_length or math.inf)
    if isinstance(model_field, dj.BooleanField):
        return checks.boolean
    if isinstance(model_field, dj.FloatField):
        return checks.number
    if isinstance(model_field, models.SignedDurationField):
        return parse_signed_duration
    if isinstance(model_field, dj.DurationField):
        return parse_duration
    if isinstance(model_field, dj.DateTimeField):
        return checks.date_time
    if isinstance(model_field, dj.DateField):
        return checks.date
    if type(model_field) in (dj.IntegerField, dj.PositiveIntegerField):
        lower = _lower_bound(model_field)
        if lower is None or lower <= checks.INT_MIN:  # any 32-bit integer
            return checks.integer
        if lower == 0:  # PositiveIntegerField, count_field()
            return checks.count
    raise shape.UndeclaredShape(
        f"{model_field.model.__name__}.{model_field.name}: no importer check for "
        f"{type(model_field).__name__} (add one to importer.converter)"
    )


def _spec(key):
    """The importer's spec of one stored key (``shape.Key``)."""
    model_field = key.model_field
    if key.reads == shape.DOCUMENT:
        if model_field.is_relation:  # a launch or landing, a kind of its own
            return Nested(key.name, kind_name(key.target), model_field.null, model_field.name)
        component = key.field.component
        return Scalar(
            key.name, checks.document_list(component), model_field.null, model_field.attname
        )
    if key.reads == shape.COLUMN:
        return Scalar(key.name, converter(model_field), model_field.null, model_field.attname)
    target = kind_name(key.target)
    if key.reads == shape.FOREIGN_KEY:
        return Nested(key.name, target, model_field.null, model_field.name)
    if key.reads == shape.MANY:
        return NestedList(key.name, target, attr=model_field.name)
    return NestedList(key.name, target, parent_key=model_field.field.attname)  # CHILDREN


def _required(forms, stored):
    """The stored keys required in every form, with ``id``, in key order."""
    in_every_form = set.intersection(*(set(required_keys(form)) for form in forms))
    return ("id", *(key.name for key in stored if key.name in in_every_form))


def _kind(model, forms):
    stored = shape.union_of_keys(forms)
    return Kind(
        kind_name(model),
        model,
        tuple(_spec(key) for key in stored),
        required=_required(forms, stored),
    )


def _document_kinds(forms):
    """{model: Kind} of the documents the forms' keys point at (launches, landings)."""
    found = {}
    for model_forms in forms.values():
        for key in shape.union_of_keys(model_forms):
            if key.reads == shape.DOCUMENT and key.model_field.is_relation:
                component = key.field.component
                found[key.target] = Kind(kind_name(key.target), key.target, (), component=component)
    return found


def _derive_kinds():
    forms = shape.forms()
    document_kinds = _document_kinds(forms)
    defined = [
        model
        for model in apps.get_app_config("spacecraft").get_models()
        if model in forms or model in document_kinds
    ]
    return {
        kind_name(model): document_kinds.get(model) or _kind(model, forms[model])
        for model in shape.write_order(defined)
    }


KINDS = _derive_kinds()

# Parents before children, so foreign keys exist when a row is written.
WRITE_ORDER = list(KINDS)

# --- reading a file ---------------------------------------------------------------

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
    """The spacecraft records of a page, a list, or a single object."""
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
        "wrong shape: expected an LL2 page (with results), a list of spacecraft "
        f"or one spacecraft, got {checks.json_type(document)}"
        + (" without id or results" if isinstance(document, dict) else "")
    )


# --- flattening records into rows -----------------------------------------------


@dataclass
class Row:
    values: dict = field(default_factory=dict)  # column -> value
    many: dict = field(default_factory=dict)  # many-to-many attr -> [ids]
    children: dict = field(default_factory=dict)  # child kind -> [ids]
    changed: int = 0  # the collector's clock at this row's latest write


@dataclass
class Applied:
    """The latest appearance of one object that was validated and merged."""

    data: dict
    rows: list  # every row merging it wrote to: its own, its children's, nested ones'
    clock: int  # the collector's clock once it was merged
    fingerprint: bytes | None = None  # ``data`` as JSON, computed when first needed


_FINGERPRINT = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _fingerprint(data):
    """``data`` as JSON text, or None if it holds anything but plain JSON values."""
    try:
        return orjson.dumps(data, option=_FINGERPRINT)
    except orjson.JSONEncodeError:
        return None


class Collector:
    """Validates nested LL2 objects and flattens them into one row per (kind, id).

    The appearances of one object are merged key by key; for a key present in
    several appearances the last one wins.

    A page repeats shared objects many times (an agency with its images under
    every configuration it made), so an appearance identical to the latest
    one merged for its object is skipped when none of the rows that merge
    wrote to has been written since: validating and merging it again would
    change nothing. "Identical" is strict: equal as Python values and as JSON
    text, so ``1``, ``1.0`` and ``true`` differ, as do a list and a tuple.
    """

    def __init__(self):
        self.rows = {name: {} for name in KINDS}
        self.applied = {name: {} for name in KINDS}  # kind -> {id: Applied}
        self.clock = 0  # counts writes; a row's ``changed`` is the count at its latest
        self.written = []  # rows written by the appearances being merged

    def add_record(self, index, record):
        self.written = []
        where = f"record {index}"
        if isinstance(record, dict) and "launch" in record and "spacecraft_config" not in record:
            return self.add("flight", record, where)  # a /spacecraft_flights/ record
        return self.add("spacecraft", record, where)

    def add(self, kind_name, data, where):
        """Validate one object; ``where`` names it in messages (``record 3 > agency``)."""
        kind = KINDS[kind_name]
        if not isinstance(data, dict):
            raise ImportFailure(
                f"{where}: expected a {kind_name} object, got {checks.json_type(data)}"
            )
        if "id" not in data:
            raise ImportFailure(f"{where}: {kind_name} is missing 'id'")
        if kind.component:
            return self._add_document(kind, data, where)
        pk = data["id"]
        if type(pk) is not int or not 0 < pk <= checks.INT_MAX:  # else surely valid
            try:
                pk = checks.identifier(pk)
            except Invalid as error:
                raise ImportFailure(
                    f"{where} (id {checks.short(pk)}): {kind_name} id: {error}"
                ) from None
        applied = self.applied[kind_name].get(pk)
        if applied is not None and self._unchanged(applied, data):
            self.written.extend(applied.rows)
            return pk
        start = len(self.written)
        self._merge(kind, pk, data, f"{where} (id {pk})")
        self.applied[kind_name][pk] = Applied(data, self.written[start:], self.clock)
        return pk

    def _add_document(self, kind, data, where):
        """A launch or landing: checked against the official schema, kept as sent."""
        try:
            pk = documents.document_id(kind.component, data)
        except documents.DocumentError as error:
            raise ImportFailure(f"{where}: {error}") from None
        where = f"{where} (id {pk})"
        try:
            text = documents.stored_form(data)
            row = self.rows[kind.name].get(pk)
            if row is not None and row.values["document"] == text:
                return pk  # the same launch again (shared by several flights)
            documents.check(kind.component, data, kind.name, text=text)
            values = {"document": text, **documents.copied_columns(kind.component, data)}
        except documents.DocumentError as error:
            raise ImportFailure(f"{where}: {error}") from None
        if row is None:
            row = self.rows[kind.name][pk] = Row()
        row.values = values
        self.clock += 1
        row.changed = self.clock
        self.written.append(row)
        return pk

    def _unchanged(self, applied, data):
        """Whether merging ``data`` again would change nothing."""
        if any(row.changed > applied.clock for row in applied.rows):
            return False
        if applied.fingerprint is None:
            applied.fingerprint = _fingerprint(applied.data)
        return (
            applied.fingerprint is not None
            and _fingerprint(data) == applied.fingerprint
            and data == applied.data
        )

    def _merge(self, kind, pk, data, where):
        kind_name = kind.name
        missing = [key for key in kind.required if key not in data]
        if missing:
            keys = ", ".join(repr(key) for key in missing)
            raise ImportFailure(f"{where}: {kind_name} is missing {keys}")
        row = self.rows[kind_name].get(pk)
        if row is None:
            row = self.rows[kind_name][pk] = Row()
        self.clock += 1
        row.changed = self.clock
        self.written.append(row)
        values = row.values
        for spec in kind.fields:
            if spec.key not in data:
                continue
            value = data[spec.key]
            if value is None and not isinstance(spec, NestedList):
                if not spec.nullable:
                    raise ImportFailure(f"{where}: {spec.key} must not be null")
                values[spec.column] = None
            elif isinstance(spec, Scalar):
                try:
                    values[spec.column] = spec.convert(value)
                except Invalid as error:
                    raise ImportFailure(f"{where}: {spec.key}: {error}") from None
            elif isinstance(spec, Nested):
                values[spec.column] = self.add(spec.kind, value, f"{where} > {spec.key}")
            else:
                if value is None:
                    value = []
                if not isinstance(value, list):
                    raise ImportFailure(
                        f"{where}: {spec.key}: expected a list, got {checks.json_type(value)}"
                    )
                ids = [
                    self.add(spec.kind, item, f"{where} > {spec.key}[{position}]")
                    for position, item in enumerate(value)
                ]
                if spec.children:
                    for child_id in ids:
                        child = self.rows[spec.kind][child_id]
                        if child.values.get(spec.parent_key) != pk:
                            child.values[spec.parent_key] = pk
                            self.clock += 1
                            child.changed = self.clock
                    row.children[spec.kind] = ids
                else:
                    row.many[spec.attr or spec.key] = ids
        row.changed = self.clock  # written until now, after the nested objects


# --- writing rows -------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other):
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def _chunks(items, size=IN_BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def write(collector, tallies):
    """Upsert every collected row; ``tallies`` gets one count per (kind, id)."""
    stale = {}  # child kind -> ids of children their parents no longer list
    for kind_name in WRITE_ORDER:
        rows = collector.rows[kind_name]
        if rows:
            tally = tallies.setdefault(kind_name, Tally())
            _write_kind(KINDS[kind_name], rows, tally, stale)
    for kind_name, ids in stale.items():
        for chunk in _chunks(sorted(ids)):
            KINDS[kind_name].model.objects.filter(id__in=chunk).delete()


def _write_kind(kind, rows, tally, stale):
    model = kind.model
    existing = _current_rows(model, rows)
    m2m_attrs = [
        spec.attr or spec.key
        for spec in kind.fields
        if isinstance(spec, NestedList) and not spec.children
    ]
    child_specs = [spec for spec in kind.fields if isinstance(spec, NestedList) and spec.children]
    current_m2m = {attr: _current_m2m(model, attr, existing) for attr in m2m_attrs}
    current_children = {spec.kind: _current_children(spec, existing) for spec in child_specs}
    wanted_children = {
        spec.kind: {child for row in rows.values() for child in row.children.get(spec.kind, ())}
        for spec in child_specs
    }

    to_create, to_update, changed_columns, m2m_changes = [], [], set(), {}
    for pk, row in rows.items():
        stored = existing.get(pk)
        if stored is None:
            to_create.append((pk, row.values))
            m2m_changes[pk] = row.many
            tally.created += 1
            continue
        changed = False
        for column, value in row.values.items():
            if stored[column] != value:
                stored[column] = value
                changed_columns.add(column)
                changed = True
        if changed:
            to_update.append((pk, stored))
        many = {
            attr: ids
            for attr, ids in row.many.items()
            if current_m2m[attr].get(pk, set()) != set(ids)
        }
        if many:
            m2m_changes[pk] = many
            changed = True
        for child_kind, ids in row.children.items():
            current = current_children[child_kind].get(pk, set())
            if current != set(ids):
                changed = True
                stale.setdefault(child_kind, set()).update(current - wanted_children[child_kind])
        if changed:
            tally.updated += 1
        else:
            tally.unchanged += 1
    if to_create:
        _bulk_insert(model, to_create)
    if to_update:
        _bulk_update(model, to_update, sorted(changed_columns))
    for attr in m2m_attrs:
        _set_many(model, attr, {pk: many[attr] for pk, many in m2m_changes.items() if attr in many})


def _current_rows(model, pks):
    """{pk: {column: value}} for the rows of ``pks`` already stored.

    Plain values, as the model's attributes would hold them: building a
    model instance per row costs more than the query.
    """
    columns = [model_field.attname for model_field in model._meta.concrete_fields]
    pk_index = columns.index(model._meta.pk.attname)
    stored = {}
    for chunk in _chunks(pks):
        for row in _select(model, columns, model._meta.pk.attname, chunk):
            stored[row[pk_index]] = dict(zip(columns, row, strict=True))
    return stored


def _select(model, names, key, ids):
    """``model.objects.filter(<key>__in=ids).values_list(*names)``, as a list.

    The same rows and values, without the queryset: building one costs more
    than running it (1.5 ms for a configuration's 35 columns), and its
    ``__in`` prepares the ids one by one (2 µs each).
    """
    db = transaction.get_connection()
    quote = db.ops.quote_name
    table = model._meta.db_table
    fields = [model._meta.get_field(name) for name in names]
    key_field = model._meta.get_field(key)
    if db.vendor == "postgresql":
        # The ids as one array literal ('{1,2,3}'): PostgreSQL reads it at
        # once, where it parses and plans an IN list value by value (3 µs an id).
        where = f"{quote(key_field.column)} = ANY(%s::{key_field.db_type(db)}[])"
        params = ["{" + ",".join(_array_item(pk) for pk in ids) + "}"]
    else:
        where = f"{quote(key_field.column)} IN ({', '.join(['%s'] * len(ids))})"
        params = [pk if type(pk) is int else key_field.get_db_prep_value(pk, db) for pk in ids]
    columns = ", ".join(quote(model_field.column) for model_field in fields)
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(table)} WHERE {where}", params)
        rows = cursor.fetchall()
    # What a queryset passes each value through (SQLite's booleans, dates and
    # durations; nothing on PostgreSQL).
    converters = []
    for index, model_field in enumerate(fields):
        column = model_field.get_col(table)
        functions = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if functions:
            converters.append((index, column, functions))
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for index, column, functions in converters:
            for function in functions:
                row[index] = function(row[index], column, db)
        converted.append(row)
    return converted


def _array_item(pk):
    """An id in a PostgreSQL array literal: an integer, or a launch's UUID."""
    return str(pk) if isinstance(pk, uuid.UUID) else str(int(pk))


def _batch_size(params_per_row):
    """Rows per query, within the database's limit on parameters."""
    max_params = connection.features.max_query_params
    if not max_params:
        return BATCH
    return max(1, min(BATCH, max_params // params_per_row))


def _bulk_insert(model, rows):
    """Insert ``rows`` ([(pk, {column: value})]): one multi-row ``INSERT`` per batch.

    What ``bulk_create`` does without a model instance per row (which costs
    more than the query): a column a row leaves out gets the field's
    default, and every value goes through the field's ``get_db_prep_save``.
    """
    db = transaction.get_connection()  # not the proxy: its attributes cost a lookup each
    quote = db.ops.quote_name
    pk_field = model._meta.pk
    fields = [pk_field, *(f for f in model._meta.concrete_fields if f is not pk_field)]
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    size = _batch_size(len(fields))
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            params = []
            for pk, values in batch:
                params.append(pk_field.get_db_prep_save(pk, db))
                for model_field in fields[1:]:
                    name = model_field.attname
                    value = values[name] if name in values else model_field.get_default()
                    params.append(model_field.get_db_prep_save(value, db))
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} "
                f"({', '.join(quote(model_field.column) for model_field in fields)}) "
                f"VALUES {', '.join([row_sql] * len(batch))}",
                params,
            )


def _bulk_update(model, rows, columns):
    """Write ``columns`` of ``rows`` ([(pk, {column: value})]): one ``UPDATE ... CASE``
    per batch of rows.

    The SQL Django's ``bulk_update`` sends, built directly: its expression
    API costs about 0.1 ms per row and column, too slow for large files.
    """
    db = transaction.get_connection()
    quote = db.ops.quote_name
    fields = [model._meta.get_field(column) for column in columns]
    pk_column = quote(model._meta.pk.column)
    prepare = model._meta.pk.get_db_prep_value
    cast = db.features.requires_casted_case_in_updates
    size = _batch_size(2 * len(fields) + 1)
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            whens = " ".join(["WHEN %s THEN %s"] * len(batch))
            assignments, params = [], []
            for model_field in fields:
                value = f"CASE {pk_column} {whens} END"
                if cast:
                    value = f"CAST({value} AS {model_field.cast_db_type(db)})"
                assignments.append(f"{quote(model_field.column)} = {value}")
                for pk, values in batch:
                    params.append(prepare(pk, db))
                    params.append(model_field.get_db_prep_save(values[model_field.attname], db))
            params.extend(prepare(pk, db) for pk, _ in batch)
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} SET {', '.join(assignments)} "
                f"WHERE {pk_column} IN ({', '.join(['%s'] * len(batch))})",
                params,
            )


def _m2m_columns(model, attr):
    relation = model._meta.get_field(attr)
    through = relation.remote_field.through
    return through, relation.m2m_column_name(), relation.m2m_reverse_name()


def _current_m2m(model, attr, existing):
    """{pk: set of linked ids} for the existing rows."""
    through, source, target = _m2m_columns(model, attr)
    links = {}
    for chunk in _chunks(existing):
        for source_id, target_id in _select(through, (source, target), source, chunk):
            links.setdefault(source_id, set()).add(target_id)
    return links


def _current_children(spec, existing):
    """{parent pk: set of child ids} for the existing parents."""
    child_model = KINDS[spec.kind].model
    children = {}
    for chunk in _chunks(existing):
        pairs = _select(child_model, (spec.parent_key, "id"), spec.parent_key, chunk)
        for parent_id, child_id in pairs:
            children.setdefault(parent_id, set()).add(child_id)
    return children


def _set_many(model, attr, wanted):
    if not wanted:
        return
    through, source, target = _m2m_columns(model, attr)
    for chunk in _chunks(wanted):
        through.objects.filter(**{f"{source}__in": chunk}).delete()
    through.objects.bulk_create(
        [
            through(**{source: pk, target: target_id})
            for pk, ids in wanted.items()
            for target_id in dict.fromkeys(ids)
        ],
        batch_size=BATCH,
    )


def _reset_sequences():
    """Keep ids entered through the admin clear of imported LL2 ids (PostgreSQL).

    SQLite needs nothing: its AUTOINCREMENT follows the largest id inserted.
    """
    statements = connection.ops.sequence_reset_sql(no_style(), [k.model for k in KINDS.values()])
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip instead of one per table: without parameters the
            # statements go as one simple query.
            cursor.execute("\n".join(statements))
        else:
            for statement in statements:
                cursor.execute(statement)


# --- entry points ---------------------------------------------------------------------


def collect(document):
    """Validate a parsed document whole; the rows to write, nothing written."""
    collector = Collector()
    for index, record in enumerate(records_of(document)):
        collector.add_record(index, record)
    return collector


def import_document(document, tallies=None):
    """Import one parsed LL2 document in one transaction.

    Adds this document's counts to ``tallies`` ({kind: Tally}) only once the
    transaction has committed, and returns ``tallies``. Raises
    ``ImportFailure`` (and changes nothing) if any part of it is invalid.
    """
    tallies = {} if tallies is None else tallies
    collector = collect(document)
    staged = {}
    try:
        with transaction.atomic():
            write(collector, staged)
            _reset_sequences()
            # Bulk writes send no signals: give the catalogue a new stamp in
            # this transaction, so no cached response outlives it (cache.py).
            if any(tally.created or tally.updated for tally in staged.values()):
                stamp.bump()
    except DatabaseError as error:
        # Validation should leave nothing for the database to refuse; if it
        # does, the file still fails cleanly and the transaction is undone.
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ImportFailure(f"the database refused the data: {message}") from None
    for name, tally in staged.items():
        tallies.setdefault(name, Tally()).add(tally)
    return tallies


# Rows written by one command after which PostgreSQL's statistics are refreshed.
ANALYZE_AFTER = 1000


def refresh_statistics(tallies):
    """After a large import, ``ANALYZE`` the catalogue's tables (PostgreSQL); whether it did.

    The planner picks its joins from table statistics. Autovacuum refreshes
    them a while after a bulk load (never, where it is turned off); until
    then it plans a page of 100 rows as if the tables were still small or
    empty, e.g. reading every image variant instead of the hundred it needs.
    """
    written = sum(tally.created + tally.updated for tally in tallies.values())
    if connection.vendor != "postgresql" or written < ANALYZE_AFTER:
        return False
    tables = sorted(
        {model._meta.db_table for model in _catalogue_models()}
        | {
            relation.remote_field.through._meta.db_table
            for model in _catalogue_models()
            for relation in model._meta.local_many_to_many
        }
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    return True


def _catalogue_models():
    return [KINDS[name].model for name in WRITE_ORDER]


def import_text(text, tallies=None):
    return import_document(load_document(text), tallies)


def import_path(path, tallies=None):
    """Import one file (JSON or a saved browsable-API page) in one transaction."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise ImportFailure(f"cannot read: {error.strerror or error}") from None
    return import_text(raw, tallies)
