"""Writing: the collected rows upserted in bulk, one transaction per document.

Rows are written with a fixed number of bulk statements per kind (per 500
rows), whatever the number of records: the rows already stored are read
in one select per kind, then new rows inserted and changed ones updated
(their changed columns only), all through ``spacecraft.storage.sql``.
"""

from dataclasses import dataclass

from django.db import DatabaseError, transaction

from spacecraft import figures
from spacecraft.ingest.collecting import collect
from spacecraft.ingest.errors import ImportFailure
from spacecraft.ingest.kinds import KINDS, WRITE_ORDER, NestedList
from spacecraft.ingest.reading import load_document
from spacecraft.storage import sql, stamp


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other):
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def write(collector, tallies):
    """Upsert every collected row; ``tallies`` gets one count per (kind, id)."""
    stale = {}  # child kind -> ids of children their parents no longer list
    for kind_name in WRITE_ORDER:
        rows = collector.rows[kind_name]
        if rows:
            tally = tallies.setdefault(kind_name, Tally())
            _write_kind(KINDS[kind_name], rows, tally, stale)
    for kind_name, ids in stale.items():
        for chunk in sql.chunks(sorted(ids)):
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
    now = figures.clock()
    for pk, row in rows.items():
        stored = existing.get(pk)
        row.values.update(figures.imported_clock(model, row.values, stored, now))
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
        sql.insert(model, to_create)
    if to_update:
        sql.update(model, to_update, sorted(changed_columns))
    for attr in m2m_attrs:
        _set_many(model, attr, {pk: many[attr] for pk, many in m2m_changes.items() if attr in many})


def _current_rows(model, pks):
    """{pk: {attname: value}} for the rows of ``pks`` already stored.

    Plain values, as the model's attributes would hold them: building a
    model instance per row costs more than the query.
    """
    columns = [model_field.attname for model_field in model._meta.concrete_fields]
    pk_index = columns.index(model._meta.pk.attname)
    return {
        row[pk_index]: dict(zip(columns, row, strict=True))
        for row in sql.select(model, columns, model._meta.pk.attname, pks)
    }


def _m2m_columns(model, attr):
    relation = model._meta.get_field(attr)
    through = relation.remote_field.through
    return through, relation.m2m_column_name(), relation.m2m_reverse_name()


def _current_m2m(model, attr, existing):
    """{pk: set of linked ids} for the existing rows."""
    through, source, target = _m2m_columns(model, attr)
    links = {}
    for source_id, target_id in sql.select(through, (source, target), source, existing):
        links.setdefault(source_id, set()).add(target_id)
    return links


def _current_children(spec, existing):
    """{parent pk: set of child ids} for the existing parents."""
    child_model = KINDS[spec.kind].model
    children = {}
    for parent_id, child_id in sql.select(
        child_model, (spec.parent_key, "id"), spec.parent_key, existing
    ):
        children.setdefault(parent_id, set()).add(child_id)
    return children


def _set_many(model, attr, wanted):
    if not wanted:
        return
    through, source, target = _m2m_columns(model, attr)
    for chunk in sql.chunks(wanted):
        through.objects.filter(**{f"{source}__in": chunk}).delete()
    through.objects.bulk_create(
        [
            through(**{source: pk, target: target_id})
            for pk, ids in wanted.items()
            for target_id in dict.fromkeys(ids)
        ],
        batch_size=sql.BATCH,
    )


def catalogue_models():
    """The models an import writes, in write order."""
    return [KINDS[name].model for name in WRITE_ORDER]


# --- entry points ---------------------------------------------------------------------


def import_document(document, tallies=None, endpoint=None, read=None):
    """Import one parsed LL2 document in one transaction.

    ``endpoint``: where it came from (``sources.Endpoint``; None for a file).
    Adds this document's counts to ``tallies`` ({kind: Tally}) and its
    records to ``read`` ({kind: records}, if given) only once the
    transaction has committed, and returns ``tallies``. Raises
    ``ImportFailure`` (and changes nothing) if any part of it is invalid.
    """
    tallies = {} if tallies is None else tallies
    collector = collect(document, endpoint)
    staged = {}
    try:
        with transaction.atomic():
            write(collector, staged)
            # Keep ids entered through the admin clear of imported LL2 ids.
            sql.reset_sequences(catalogue_models())
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
    if read is not None:
        for kind, records in collector.read.items():
            read[kind] = read.get(kind, 0) + records
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
    if written < ANALYZE_AFTER:
        return False
    return sql.analyze(catalogue_models())


def import_text(text, tallies=None, read=None):
    return import_document(load_document(text), tallies, read=read)


def import_path(path, tallies=None, read=None):
    """Import one file (JSON or a saved browsable-API page) in one transaction."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise ImportFailure(f"cannot read: {error.strerror or error}") from None
    return import_text(raw, tallies, read)
