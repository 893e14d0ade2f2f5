"""The hand-written SQL: rows selected, inserted and updated in bulk, by model.

Everything here takes a model, its columns (attribute names, as
``Field.attname``) and ids, and builds its statements from the model's
``_meta``: no table or column name is written anywhere else. The same code
runs in tests and in production (nothing depends on whether queries are
being logged).

Why not the ORM: for the importer's bulk writes, building a queryset or a
model instance per row costs more than running the query (1.5 ms for a
queryset of 35 columns, 0.1 ms per row and column in ``bulk_update``'s
expressions). The statements are the ones the ORM would send.
"""

import uuid

from django.core.management.color import no_style
from django.db import transaction

BATCH = 500  # rows per bulk statement
IN_BATCH = 900  # ids per "IN (...)" list; SQLite allows 999 parameters


def table(model):
    return model._meta.db_table


def tables(model_list):
    """The tables of ``model_list`` and of their many-to-many links, sorted."""
    names = {table(model) for model in model_list}
    for model in model_list:
        for relation in model._meta.local_many_to_many:
            names.add(table(relation.remote_field.through))
    return sorted(names)


def chunks(items, size=IN_BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _db():
    # The connection itself, not Django's proxy: its attributes cost a lookup each.
    return transaction.get_connection()


def batch_size(params_per_row, db=None):
    """Rows per statement, within the database's limit on parameters."""
    max_params = (db or _db()).features.max_query_params
    if not max_params:
        return BATCH
    return max(1, min(BATCH, max_params // params_per_row))


# --- select by ids ---------------------------------------------------------------------


def _where_in(db, key_field, ids):
    """``<key> IN (...)`` for ``ids``, or on PostgreSQL ``<key> = ANY(<array>)``: (sql, params).

    PostgreSQL reads the ids as one array literal (``'{1,2,3}'``) at once,
    where it parses and plans an IN list value by value (3 µs an id).
    """
    column = db.ops.quote_name(key_field.column)
    if db.vendor == "postgresql":
        array = "{" + ",".join(_array_item(pk) for pk in ids) + "}"
        return f"{column} = ANY(%s::{key_field.db_type(db)}[])", [array]
    params = [pk if type(pk) is int else key_field.get_db_prep_value(pk, db) for pk in ids]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", params


def _array_item(pk):
    """An id in a PostgreSQL array literal: an integer, or a UUID (a launch's)."""
    return str(pk) if isinstance(pk, uuid.UUID) else str(int(pk))


def select(model, columns, key, ids):
    """``model.objects.filter(<key>__in=ids).values_list(*columns)``, as a list of rows.

    The same rows and values, without the queryset, in one statement per
    ``IN_BATCH`` ids; each value goes through the converters a queryset
    applies (SQLite's booleans, dates and durations; none on PostgreSQL).
    """
    db = _db()
    quote = db.ops.quote_name
    name = table(model)
    fields = [model._meta.get_field(column) for column in columns]
    key_field = model._meta.get_field(key)
    selected = ", ".join(quote(model_field.column) for model_field in fields)
    rows = []
    with db.cursor() as cursor:
        for chunk in chunks(ids):
            where, params = _where_in(db, key_field, chunk)
            cursor.execute(f"SELECT {selected} FROM {quote(name)} WHERE {where}", params)
            rows.extend(cursor.fetchall())
    converters = []
    for index, model_field in enumerate(fields):
        column = model_field.get_col(name)
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


# --- insert and update -------------------------------------------------------------------


def insert(model, rows):
    """Insert ``rows`` ([(pk, {attname: value})]): one multi-row ``INSERT`` per batch.

    What ``bulk_create`` does without a model instance per row: a column a
    row leaves out gets the field's default, and every value goes through
    the field's ``get_db_prep_save``.
    """
    db = _db()
    quote = db.ops.quote_name
    pk_field = model._meta.pk
    fields = [pk_field, *(f for f in model._meta.concrete_fields if f is not pk_field)]
    row_sql = f"({', '.join(['%s'] * len(fields))})"
    columns = ", ".join(quote(model_field.column) for model_field in fields)
    size = batch_size(len(fields), db)
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
                f"INSERT INTO {quote(table(model))} ({columns}) "
                f"VALUES {', '.join([row_sql] * len(batch))}",
                params,
            )


def update(model, rows, columns):
    """Write ``columns`` (attnames) of ``rows`` ([(pk, {attname: value})]): one
    ``UPDATE ... SET c = CASE pk WHEN ... END`` per batch, the changed columns only.

    The SQL Django's ``bulk_update`` sends, built directly.
    """
    db = _db()
    quote = db.ops.quote_name
    fields = [model._meta.get_field(column) for column in columns]
    pk_column = quote(model._meta.pk.column)
    prepare = model._meta.pk.get_db_prep_value
    cast = db.features.requires_casted_case_in_updates
    size = batch_size(2 * len(fields) + 1, db)
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
                f"UPDATE {quote(table(model))} SET {', '.join(assignments)} "
                f"WHERE {pk_column} IN ({', '.join(['%s'] * len(batch))})",
                params,
            )


# --- upkeep -----------------------------------------------------------------------------


def reset_sequences(model_list):
    """Move the id sequences of ``model_list`` past their largest ids (PostgreSQL).

    SQLite needs nothing: its AUTOINCREMENT follows the largest id inserted.
    """
    db = _db()
    statements = db.ops.sequence_reset_sql(no_style(), list(model_list))
    if not statements:
        return
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # One round trip instead of one per table: without parameters the
            # statements go as one simple query.
            cursor.execute("\n".join(statements))
        else:
            for statement in statements:
                cursor.execute(statement)


def analyze(model_list):
    """Refresh PostgreSQL's planner statistics of the models' tables; whether it ran."""
    db = _db()
    if db.vendor != "postgresql":
        return False
    with db.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(db.ops.quote_name(t) for t in tables(model_list)))
    return True
