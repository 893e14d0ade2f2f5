"""Trigram indexes for the searched names, on PostgreSQL only.

Search is ``UPPER(name) LIKE UPPER('%term%')`` (``icontains``), which a
B-tree cannot serve; a ``pg_trgm`` GIN index on ``UPPER(name)`` can, so
searching 100,000 spacecraft reads the matching rows instead of them all
(see ``LL2SearchFilter``). SQLite has no such index and scans, as before.
"""

from django.db import migrations

INDEXES = [
    ("spacecraft_spacecraft_name_trgm", "spacecraft_spacecraft"),
    ("spacecraft_spacecraftconfig_name_trgm", "spacecraft_spacecraftconfig"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            "USING gin (UPPER(name::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("spacecraft", "0003_catalogue_version")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
