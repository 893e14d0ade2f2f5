"""``spacecraft.storage.sql``: the hand-written select, insert and update, on the real database.

Run on SQLite and on PostgreSQL (``DATABASE_URL``): each has its own form of
"these ids" (an ``IN`` list; ``= ANY`` of one array), and the select is chunked
below SQLite's 999 parameters.
"""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from spacecraft import models
from spacecraft.storage import sql

from . import factories


def test_tables_come_from_the_models_meta():
    assert sql.tables([models.Agency, models.SpacecraftStatus]) == sorted(
        [
            models.Agency._meta.db_table,
            models.Agency.countries.through._meta.db_table,
            models.SpacecraftStatus._meta.db_table,
        ]
    )


def test_insert_select_and_update_in_bulk_agree_with_the_orm(db):
    rows = [(pk, {"name": f"Status {pk}"}) for pk in range(1, 2001)]
    with CaptureQueriesContext(connection) as queries:
        sql.insert(models.SpacecraftStatus, rows)
    assert len(queries) == -(-2000 // sql.batch_size(2))
    assert models.SpacecraftStatus.objects.count() == 2000
    assert models.SpacecraftStatus.objects.get(pk=1234).name == "Status 1234"

    wanted = list(range(1, 2001, 2)) + [5000]  # 1,000 ids that exist, one that does not
    with CaptureQueriesContext(connection) as queries:
        found = sql.select(models.SpacecraftStatus, ["id", "name"], "id", wanted)
    assert len(queries) == 2  # 900 ids a statement
    assert sorted(tuple(row) for row in found) == [(pk, f"Status {pk}") for pk in wanted[:-1]]

    sql.update(models.SpacecraftStatus, [(7, {"name": "Seven"}), (8, {"name": "Eight"})], ["name"])
    assert dict(models.SpacecraftStatus.objects.filter(pk__in=[6, 7, 8]).values_list()) == {
        6: "Status 6",
        7: "Seven",
        8: "Eight",
    }


def test_select_converts_values_as_a_queryset_does(db):
    spacecraft = factories.spacecraft(time_in_space=datetime.timedelta(days=3, seconds=5))
    columns = ["id", "in_space", "time_in_space", "status_id"]
    (row,) = sql.select(models.Spacecraft, columns, "id", [spacecraft.pk])
    assert list(row) == list(
        models.Spacecraft.objects.filter(pk=spacecraft.pk).values_list(*columns).get()
    )
    assert row[2] == datetime.timedelta(days=3, seconds=5) and isinstance(row[1], bool)
