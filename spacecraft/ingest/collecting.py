"""Collecting: LL2 records validated and flattened into one row per (kind, id).

Nothing is written here: ``collect(document)`` validates a whole document
and returns the rows ``writing.write`` stores.
"""

from dataclasses import dataclass, field

import orjson

from spacecraft import documents
from spacecraft import values as checks
from spacecraft.ingest import sources
from spacecraft.ingest.errors import ImportFailure
from spacecraft.ingest.kinds import KINDS, Nested, NestedList, Scalar
from spacecraft.ingest.reading import records_of
from spacecraft.values import Invalid


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
        self.read = {}  # kind -> records of the document (not the objects nested in them)

    def add_record(self, index, record, endpoint=None):
        """One record of a document, from ``endpoint`` (None: the record's keys say which)."""
        self.written = []
        where = f"record {index}"
        if endpoint is None:
            endpoint = sources.endpoint_of_record(record, where)
        self.read[endpoint.kind] = self.read.get(endpoint.kind, 0) + 1
        return self.add(endpoint.kind, record, where)

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


def collect(document, endpoint=None):
    """Validate a parsed document whole; the rows to write, nothing written.

    ``endpoint`` (``sources.Endpoint``): where the document came from, so the
    kind of all its records; None for a file, whose records each say it
    (``sources.endpoint_of_record``).
    """
    collector = Collector()
    for index, record in enumerate(records_of(document)):
        collector.add_record(index, record, endpoint)
    return collector
