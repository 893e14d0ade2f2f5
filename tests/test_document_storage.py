"""Stored documents are compressed with lz4 on PostgreSQL (migration 0009).

The migration names its columns; here they are held to the documents
``spacecraft/shape.py`` finds in the serializers, so a new document column
cannot be left out.
"""

import importlib

import pytest
from django.db import connection

from spacecraft import shape

from . import factories

MIGRATION = importlib.import_module("spacecraft.migrations.0009_document_compression")


def document_columns():
    """(table, column) of every document a serializer reads (``shape.DOCUMENT``)."""
    found = set()
    for forms in shape.forms().values():
        for key in shape.union_of_keys(forms):
            if key.reads != shape.DOCUMENT:
                continue
            if key.model_field.is_relation:  # launch.document
                column = key.target._meta.get_field("document")
            else:  # a flight's launch_crew
                column = key.model_field
            found.add((column.model._meta.db_table, column.column))
    return found


def test_the_migration_names_every_document_column():
    assert set(MIGRATION.DOCUMENT_COLUMNS) == document_columns()
    assert len(MIGRATION.DOCUMENT_COLUMNS) == len(document_columns()) == 6


def _lz4_available():
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return row is not None and "lz4" in row[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TOAST compression is PostgreSQL's")
def test_a_launch_document_is_stored_lz4_compressed(db):
    if not _lz4_available():
        pytest.skip("this PostgreSQL has no lz4")
    launch = factories.launch(0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(document), octet_length(document) "
            "FROM spacecraft_launch WHERE id = %s",
            [launch.id],
        )
        method, size = cursor.fetchone()
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute "
            "WHERE attrelid = 'spacecraft_spacecraftflight'::regclass AND attcompression <> ''"
        )
        flight_columns = dict(cursor.fetchall())
    assert size > 2048  # over TOAST's threshold: compressed when stored
    assert method == "lz4"
    assert flight_columns == {
        "launch_crew": "l",
        "onboard_crew": "l",
        "landing_crew": "l",
        "docking_events": "l",
    }
