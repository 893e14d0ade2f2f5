"""The SQL the app writes itself, in one place; every table and column name from ``_meta``.

Everything here takes a model, its columns and ids, and builds its statements
from the model's ``_meta``: no table or column name is written anywhere else.
The same code runs in tests and in production (nothing depends on whether
queries are being logged).

- ``ids_condition``: the one way a list of ids goes into a query: ``= ANY``
  of one array literal on PostgreSQL (read at once, where an ``IN`` list is
  parsed and planned value by value, 3 µs an id), an ``IN`` list elsewhere;
- the importer's bulk reads and writes: ``select`` (rows by ids), ``insert``,
  ``update`` (changed columns only), ``reset_sequences``, ``analyze``. For
  bulk writes, building a queryset or a model instance per row costs more
  than running the query (1.5 ms for a queryset of 35 columns, 0.1 ms per row
  and column in ``bulk_update``'s expressions); the statements are the ones
  the ORM would send;
- ``Select``: the fast renderer's reads (``spacecraft.api.rendering``): the
  columns of a model and of the rows its foreign keys point at, for a list of
  ids. The ORM builds the SQL of the joins once per database (a query of a
  hundred columns and a dozen joins costs it milliseconds, every time); each
  run then puts the request's ids in with ``ids_condition`` and passes the
  values through the converters a queryset would (``convert_rows``);
- ``read_stamp``: the catalogue stamp (``spacecraft.storage.stamp``), on the
  driver's own cursor.
"""

import functools
import time
import uuid

from django.core.management.color import no_style
from django.db import connection, transaction

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
    """``<key> IN (...)`` for ``ids``, or on PostgreSQL ``<key> = ANY(<array>)``: (sql, params)
    (``ids_condition``, the one rule)."""
    operator, params = ids_condition(db, key_field, ids)
    return f"{db.ops.quote_name(key_field.column)} {operator}", params


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
    return convert_rows(rows, converters, db)


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


# --- the renderer's reads and the stamp -------------------------------------------------

_IN_ONE = "IN (%s)"


def ids_condition(db, key_field, ids):
    """``(operator, params)``: the SQL after a column that keeps the rows whose
    ``key_field`` is one of ``ids`` (a non-empty list), and its parameters."""
    if db.vendor == "postgresql":
        array = "{" + ",".join(_array_item(pk) for pk in ids) + "}"
        return f"= ANY(%s::{key_field.db_type(db)}[])", [array]
    params = [pk if type(pk) is int else key_field.get_db_prep_value(pk, db) for pk in ids]
    return f"IN ({', '.join(['%s'] * len(ids))})", params


def convert_rows(rows, converters, db):
    """``rows`` with each value passed through its column's converters, as a queryset does
    (SQLite's booleans, dates and durations; nothing on PostgreSQL).

    ``converters``: [(index in the row, column expression, [functions])].
    """
    converted = []
    for row in rows:
        row = list(row)
        for index, expression, functions in converters:
            value = row[index]
            for function in functions:
                value = function(value, expression, db)
            row[index] = value
        converted.append(tuple(row))
    return converted


class Select:
    """The ``columns`` (ORM paths from ``model``) of the rows whose ``key`` is in a list of
    ids, in ``order``: ``values_list`` rows, without building a queryset per run.

    Columns may be added (``add``) until the first run.
    """

    def __init__(self, model, key, order=None):
        self.model = model
        self.key = key
        self.key_field = model._meta.get_field(key)
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
        condition, params = ids_condition(connection, self.key_field, ids)
        with connection.cursor() as cursor:
            cursor.execute(sql.replace(_IN_ONE, condition), params)
            rows = cursor.fetchall()
        if converters:
            rows = convert_rows(rows, converters, connection)
        return rows

    def _compile(self):
        alias = connection.alias
        if alias not in self.compiled:
            compiler = self.queryset([0]).query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            fits = list(params) == [0] and sql.count("%s") == 1 and sql.count(_IN_ONE) == 1
            converters = [
                (index, expression, functions)
                for index, (functions, expression) in compiler.get_converters(
                    [column[0] for column in compiler.select]
                ).items()
            ]
            self.compiled[alias] = (sql, converters) if fits else None
        return self.compiled[alias]


# --- the catalogue stamp --------------------------------------------------------------


@functools.cache
def _stamp_sql(vendor):
    from spacecraft.models import CatalogueVersion

    meta = CatalogueVersion._meta
    quote = connection.ops.quote_name
    return (
        f"SELECT {quote(meta.get_field('stamp').column)} FROM {quote(meta.db_table)} "
        f"WHERE {quote(meta.pk.column)} = 1"
    )


def stamp_sql():
    """The query of the catalogue's stamp (its one row has id 1)."""
    return _stamp_sql(connection.vendor)


def read_stamp(raw_connection):
    """The stamp as the driver's cursor on ``raw_connection`` reads it (0 without the row).

    The query is recorded where Django's own cursor would record it (when
    queries are logged: ``DEBUG``, or a test counting them), so the same code
    runs in tests and in production and the tests still count it.
    """
    sql = stamp_sql()
    start = time.monotonic()
    cursor = raw_connection.cursor()
    try:
        cursor.execute(sql)
        row = cursor.fetchone()
    finally:
        cursor.close()
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": sql, "time": f"{time.monotonic() - start:.3f}", "alias": connection.alias}
        )
    return row[0] if row else 0
