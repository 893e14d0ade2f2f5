"""The SQL the app writes itself, in one place; every table and column name from ``_meta``.

- ``ids_condition``: the one way a list of ids goes into a query: ``= ANY``
  of one array literal on PostgreSQL (read at once, where an ``IN`` list is
  parsed and planned value by value), an ``IN`` list elsewhere;
- ``Select``: the fast renderer's reads (``spacecraft.api.rendering``): the
  columns of a model and of the rows its foreign keys point at, for a list of
  ids. The ORM builds the SQL of the joins once per database (a query of a
  hundred columns and a dozen joins costs it milliseconds, every time);
  each run then puts the request's ids in with ``ids_condition`` and passes
  the values through the converters a queryset would;
- ``read_stamp``: the catalogue stamp (``spacecraft.storage.stamp``), on the
  driver's own cursor.
"""

import functools
import time
import uuid

from django.db import connection

_IN_ONE = "IN (%s)"


def _array_item(pk):
    """An id in a PostgreSQL array literal: an integer, or a launch's UUID."""
    return str(pk) if isinstance(pk, uuid.UUID) else str(int(pk))


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
