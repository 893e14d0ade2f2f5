"""Import LL2 spacecraft data: parse, validate, then upsert in bulk.

A file is read whole, validated whole, and written in one transaction, so a
bad file changes nothing. Records are flattened into one row per (kind, id);
when the same object appears several times (an agency under many
configurations) the appearances are merged, so a normal-mode appearance never
erases a field a detailed-mode one brought. Rows are written with a few bulk
queries per kind, whatever the number of records.
"""

import datetime
import json
from dataclasses import dataclass, field

import isodate
from django.core.management.color import no_style
from django.db import connection, transaction

from . import models


class ImportFailure(Exception):
    """A file that cannot be imported; the message names the file and record."""


# --- field converters ----------------------------------------------------------


class Invalid(ValueError):
    pass


def _string(max_length):
    def convert(value):
        if not isinstance(value, str):
            raise Invalid(f"expected a string, got {_json_type(value)}")
        if "\x00" in value:
            raise Invalid("NUL characters are not allowed")
        if len(value) > max_length:
            raise Invalid(f"longer than {max_length} characters")
        return value

    return convert


def _integer(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected an integer, got {_json_type(value)}")
    if not -(2**31) <= value < 2**31:
        raise Invalid("integer out of range")
    return value


def _count(value):
    value = _integer(value)
    if value < 0:
        raise Invalid("must not be negative")
    return value


def _boolean(value):
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {_json_type(value)}")
    return value


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(f"expected a number, got {_json_type(value)}")
    return float(value)


def _date(value):
    if not isinstance(value, str):
        raise Invalid(f"expected a date string, got {_json_type(value)}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"not a date: {value!r}") from None


def parse_duration(value):
    """An ISO 8601 duration as a timedelta; years and months are refused."""
    if not isinstance(value, str):
        raise Invalid(f"expected an ISO 8601 duration string, got {_json_type(value)}")
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError, OverflowError):
        raise Invalid(f"not an ISO 8601 duration: {value!r}") from None
    if not isinstance(parsed, datetime.timedelta):
        raise Invalid(f"durations with years or months are ambiguous: {value!r}")
    return parsed


def _json_type(value):
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


# --- what each kind of object looks like in LL2 ---------------------------------


@dataclass(frozen=True)
class Scalar:
    key: str
    convert: object
    nullable: bool = False
    attr: str = ""

    @property
    def column(self):
        return self.attr or self.key


@dataclass(frozen=True)
class Nested:
    """A foreign key rendered as a nested object (``null`` where allowed)."""

    key: str
    kind: str
    nullable: bool = False
    attr: str = ""

    @property
    def column(self):
        return f"{self.attr or self.key}_id"


@dataclass(frozen=True)
class NestedList:
    """A many-to-many (or a child list) rendered as a list of objects."""

    key: str
    kind: str
    attr: str = ""
    children: bool = False  # True: the listed objects belong to this one


@dataclass(frozen=True)
class Kind:
    name: str
    model: object
    fields: tuple
    required: tuple = ("id",)


def _stats():
    return tuple(
        Scalar(name, _count, nullable=True)
        for name in (
            "spacecraft_flown",
            "total_launch_count",
            "successful_launches",
            "failed_launches",
            "attempted_landings",
            "successful_landings",
            "failed_landings",
        )
    )


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "license",
            models.ImageLicense,
            (
                Scalar("name", _string(255)),
                Scalar("priority", _integer),
                Scalar("link", _string(200), nullable=True),
            ),
        ),
        Kind("variant type", models.ImageVariantType, (Scalar("name", _string(255)),)),
        Kind(
            "image",
            models.Image,
            (
                Scalar("name", _string(255)),
                Scalar("image_url", _string(1024)),
                Scalar("thumbnail_url", _string(1024)),
                Scalar("credit", _string(255), nullable=True),
                Nested("license", "license"),
                Scalar("single_use", _boolean),
                NestedList("variants", "image variant", children=True),
            ),
            required=("id", "name", "image_url", "thumbnail_url", "license"),
        ),
        Kind(
            "image variant",
            models.ImageVariant,
            (Nested("type", "variant type"), Scalar("image_url", _string(1024))),
            required=("id", "type", "image_url"),
        ),
        Kind(
            "country",
            models.Country,
            (
                Scalar("name", _string(255)),
                Scalar("alpha_2_code", _string(2)),
                Scalar("alpha_3_code", _string(3)),
                Scalar("nationality_name", _string(255)),
                Scalar("nationality_name_composed", _string(255)),
            ),
        ),
        Kind("agency type", models.AgencyType, (Scalar("name", _string(255)),)),
        Kind(
            "agency",
            models.Agency,
            (
                Scalar("name", _string(200)),
                Scalar("abbrev", _string(255)),
                Nested("type", "agency type"),
                Scalar("featured", _boolean),
                NestedList("country", "country", attr="countries"),
                Scalar("description", _string(2048), nullable=True),
                Scalar("administrator", _string(200), nullable=True),
                Scalar("founding_year", _integer, nullable=True),
                Scalar("launchers", _string(500)),
                Scalar("spacecraft", _string(500)),
                Scalar("parent", _string(200), nullable=True),
                Nested("image", "image", nullable=True),
                Nested("logo", "image", nullable=True),
                Nested("social_logo", "image", nullable=True),
                Scalar("info_url", _string(200), nullable=True),
                Scalar("wiki_url", _string(200), nullable=True),
            ),
            required=("id", "name", "type"),
        ),
        Kind(
            "family",
            models.SpacecraftConfigFamily,
            (
                Scalar("name", _string(200)),
                Scalar("description", _string(2048)),
                Nested("manufacturer", "agency", nullable=True),
                Nested("parent", "family", nullable=True),
                Scalar("maiden_flight", _date, nullable=True),
                *_stats(),
            ),
            required=("id", "name"),
        ),
        Kind("configuration type", models.SpacecraftConfigType, (Scalar("name", _string(255)),)),
        Kind(
            "configuration",
            models.SpacecraftConfig,
            (
                Scalar("name", _string(200)),
                Nested("type", "configuration type"),
                Nested("agency", "agency"),
                NestedList("family", "family", attr="families"),
                Scalar("in_use", _boolean),
                Nested("image", "image", nullable=True),
                Scalar("capability", _string(2048)),
                Scalar("history", _string(1000)),
                Scalar("details", _string(1000)),
                Scalar("maiden_flight", _date, nullable=True),
                Scalar("height", _number, nullable=True),
                Scalar("diameter", _number, nullable=True),
                Scalar("human_rated", _boolean),
                Scalar("crew_capacity", _count, nullable=True),
                Scalar("payload_capacity", _count, nullable=True),
                Scalar("payload_return_capacity", _count, nullable=True),
                Scalar("flight_life", _string(2048), nullable=True),
                Scalar("wiki_link", _string(200)),
                Scalar("info_link", _string(200)),
                *_stats(),
                Scalar("fastest_turnaround", parse_duration, nullable=True),
            ),
            required=("id", "name", "type", "agency"),
        ),
        Kind("status", models.SpacecraftStatus, (Scalar("name", _string(255)),)),
        Kind(
            "spacecraft",
            models.Spacecraft,
            (
                Scalar("name", _string(255)),
                Scalar("serial_number", _string(255), nullable=True),
                Scalar("is_placeholder", _boolean),
                Nested("image", "image", nullable=True),
                Scalar("in_space", _boolean),
                Scalar("time_in_space", parse_duration, nullable=True),
                Scalar("time_docked", parse_duration, nullable=True),
                Scalar("flights_count", _count, nullable=True),
                Scalar("mission_ends_count", _count, nullable=True),
                Nested("status", "status"),
                Scalar("description", _string(2048)),
                Nested("spacecraft_config", "configuration"),
                Scalar("fastest_turnaround", parse_duration, nullable=True),
            ),
            required=("id", "name", "status", "spacecraft_config"),
        ),
    )
}

# Parents before children, so foreign keys exist when a row is written.
WRITE_ORDER = [
    "license",
    "variant type",
    "image",
    "image variant",
    "country",
    "agency type",
    "agency",
    "family",
    "configuration type",
    "configuration",
    "status",
    "spacecraft",
]


# --- reading a file ---------------------------------------------------------------


def load_document(text):
    """The JSON in ``text``: plain JSON, or a saved browsable-API page."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        first_error = error
    # A browsable-API page: help text, request line and headers, then JSON.
    decoder = json.JSONDecoder()
    position = 0
    while True:
        starts = [i for i in (text.find("\n{", position), text.find("\n[", position)) if i >= 0]
        if not starts:
            break
        start = min(starts) + 1
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start
            continue
        if text[end:].strip():
            position = start
            continue
        return value
    raise ImportFailure(
        f"not JSON (line {first_error.lineno}, column {first_error.colno}: {first_error.msg})"
    )


def records_of(document):
    """The spacecraft records of a page, a list, or a single object."""
    if isinstance(document, dict) and "results" in document:
        records = document["results"]
        if not isinstance(records, list):
            raise ImportFailure('"results" is not a list')
        return records
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "id" in document:
        return [document]
    raise ImportFailure(
        "wrong shape: expected an LL2 page (with results), a list of spacecraft or one spacecraft"
    )


# --- flattening records into rows -----------------------------------------------


@dataclass
class Row:
    values: dict = field(default_factory=dict)
    many: dict = field(default_factory=dict)  # attr -> [ids]


class Collector:
    """Flattens nested LL2 objects into one merged row per (kind, id)."""

    def __init__(self):
        self.rows = {name: {} for name in KINDS}
        self.children = []  # (parent kind, parent id, child kind, [child ids])

    def add(self, kind_name, data, where):
        kind = KINDS[kind_name]
        if not isinstance(data, dict):
            raise ImportFailure(f"{where}: expected {kind_name} object, got {_json_type(data)}")
        for key in kind.required:
            if key not in data:
                raise ImportFailure(f"{where}: {kind_name} is missing {key!r}")
        try:
            pk = _integer(data["id"])
        except Invalid as error:
            raise ImportFailure(f"{where}: {kind_name} id: {error}") from None
        where = f"{where} > {kind_name} {pk}" if where else f"{kind_name} {pk}"
        row = self.rows[kind_name].setdefault(pk, Row())
        for spec in kind.fields:
            if spec.key not in data:
                continue
            value = data[spec.key]
            if isinstance(spec, Scalar):
                row.values[spec.column] = self._scalar(spec, value, where)
            elif isinstance(spec, Nested):
                if value is None:
                    if not spec.nullable:
                        raise ImportFailure(f"{where}: {spec.key} must not be null")
                    row.values[spec.column] = None
                else:
                    row.values[spec.column] = self.add(spec.kind, value, f"{where} > {spec.key}")
            else:
                if value is None:
                    value = []
                if not isinstance(value, list):
                    raise ImportFailure(f"{where}: {spec.key}: expected a list")
                ids = [self.add(spec.kind, item, f"{where} > {spec.key}") for item in value]
                if spec.children:
                    for child_id in ids:
                        self.rows[spec.kind][child_id].values[f"{kind_name_attr(kind)}_id"] = pk
                    self.children.append((kind_name, pk, spec.kind, ids))
                else:
                    row.many[spec.attr or spec.key] = ids
        return pk

    @staticmethod
    def _scalar(spec, value, where):
        if value is None:
            if spec.nullable:
                return None
            raise ImportFailure(f"{where}: {spec.key} must not be null")
        try:
            return spec.convert(value)
        except Invalid as error:
            raise ImportFailure(f"{where}: {spec.key}: {error}") from None


def kind_name_attr(kind):
    """The foreign key name a child uses for its parent (``image``)."""
    return kind.model._meta.model_name


# --- writing rows -------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def write(collector, tallies):
    for kind_name in WRITE_ORDER:
        kind = KINDS[kind_name]
        rows = collector.rows[kind_name]
        if not rows:
            continue
        tally = tallies.setdefault(kind_name, Tally())
        _write_kind(kind, rows, tally)
    for parent_kind, parent_id, child_kind, ids in collector.children:
        model = KINDS[child_kind].model
        fk = f"{KINDS[parent_kind].model._meta.model_name}_id"
        model.objects.filter(**{fk: parent_id}).exclude(id__in=ids).delete()


def _write_kind(kind, rows, tally):
    model = kind.model
    existing = model.objects.in_bulk(list(rows))
    to_create, to_update, changed_columns = [], [], set()
    m2m_changes = {}
    m2m_attrs = {
        spec.attr or spec.key
        for spec in kind.fields
        if isinstance(spec, NestedList) and not spec.children
    }
    current_m2m = _current_m2m(model, m2m_attrs, [pk for pk in rows if pk in existing])
    for pk, row in rows.items():
        instance = existing.get(pk)
        if instance is None:
            to_create.append(model(id=pk, **row.values))
            m2m_changes[pk] = row.many
            tally.created += 1
            continue
        changed = False
        for column, value in row.values.items():
            if getattr(instance, column) != value:
                setattr(instance, column, value)
                changed_columns.add(column)
                changed = True
        if changed:
            to_update.append(instance)
        many = {
            attr: ids
            for attr, ids in row.many.items()
            if current_m2m.get(attr, {}).get(pk, []) != sorted(set(ids))
        }
        if many:
            m2m_changes[pk] = many
            changed = True
        if changed:
            tally.updated += 1
        else:
            tally.unchanged += 1
    if to_create:
        model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_columns), batch_size=500)
    for attr in m2m_attrs:
        _set_many(model, attr, {pk: many[attr] for pk, many in m2m_changes.items() if attr in many})


def _m2m_columns(model, attr):
    relation = model._meta.get_field(attr)
    through = relation.remote_field.through
    return through, relation.m2m_column_name(), relation.m2m_reverse_name()


def _current_m2m(model, attrs, pks):
    current = {}
    for attr in attrs:
        through, source, target = _m2m_columns(model, attr)
        links = {}
        for source_id, target_id in through.objects.filter(**{f"{source}__in": pks}).values_list(
            source, target
        ):
            links.setdefault(source_id, []).append(target_id)
        current[attr] = {pk: sorted(ids) for pk, ids in links.items()}
    return current


def _set_many(model, attr, wanted):
    if not wanted:
        return
    through, source, target = _m2m_columns(model, attr)
    through.objects.filter(**{f"{source}__in": list(wanted)}).delete()
    through.objects.bulk_create(
        [
            through(**{source: pk, target: target_id})
            for pk, ids in wanted.items()
            for target_id in dict.fromkeys(ids)
        ],
        batch_size=500,
    )


def _reset_sequences():
    """Keep ids entered through the admin clear of imported LL2 ids."""
    statements = connection.ops.sequence_reset_sql(no_style(), [k.model for k in KINDS.values()])
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


# --- entry points ---------------------------------------------------------------------


def import_document(document, tallies=None):
    """Import one parsed LL2 document in one transaction; returns the tallies."""
    tallies = {} if tallies is None else tallies
    records = records_of(document)
    collector = Collector()
    for index, record in enumerate(records):
        ident = record.get("id") if isinstance(record, dict) else None
        where = f"record {index}" + (f" (id {ident})" if ident is not None else "")
        collector.add("spacecraft", record, where)
    staged = {}
    with transaction.atomic():
        write(collector, staged)
        _reset_sequences()
    for name, tally in staged.items():
        total = tallies.setdefault(name, Tally())
        total.created += tally.created
        total.updated += tally.updated
        total.unchanged += tally.unchanged
    return tallies


def import_text(text, tallies=None):
    return import_document(load_document(text), tallies)


def import_path(path, tallies=None):
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise ImportFailure(f"cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailure(f"not UTF-8 (byte {error.start})") from None
    return import_text(text, tallies)
