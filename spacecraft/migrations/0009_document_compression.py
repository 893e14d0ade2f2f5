"""Launch, landing and crew documents compressed with lz4 (PostgreSQL 14+ built with it).

PostgreSQL compresses a text value over about 2 KB when it stores it
(TOAST), with pglz by default. A launch document is about 9 KB: pglz costs
the import about 0.2 ms a launch in the database server, lz4 about a third
of that, and reads back faster (about 10% more disk). Only values written
from now on are compressed so; rows already stored keep theirs until
rewritten. Elsewhere (SQLite, a PostgreSQL without lz4) nothing changes.

The columns are those ``spacecraft/shape.py`` finds documents in
(``tests/test_schema_agreement.py`` holds this list to it).
"""

from django.db import migrations

# (table, column) of every stored document
DOCUMENT_COLUMNS = [
    ("spacecraft_launch", "document"),
    ("spacecraft_landing", "document"),
    ("spacecraft_spacecraftflight", "launch_crew"),
    ("spacecraft_spacecraftflight", "onboard_crew"),
    ("spacecraft_spacecraftflight", "landing_crew"),
    ("spacecraft_spacecraftflight", "docking_events"),
]


def _set_compression(schema_editor, method):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if row is None or "lz4" not in row[0]:
            return  # before PostgreSQL 14, or built without lz4
        quote = connection.ops.quote_name
        for table, column in DOCUMENT_COLUMNS:
            cursor.execute(
                f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET COMPRESSION {method}"
            )


def to_lz4(apps, schema_editor):
    _set_compression(schema_editor, "lz4")


def to_default(apps, schema_editor):
    _set_compression(schema_editor, "DEFAULT")


class Migration(migrations.Migration):
    dependencies = [
        ("spacecraft", "0008_figures"),
    ]

    operations = [
        migrations.RunPython(to_lz4, to_default, elidable=False),
    ]
