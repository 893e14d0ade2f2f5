"""Import LL2 data: parse, validate, then upsert in bulk (the importer's public face).

A file is read whole, validated whole, and written in one transaction, so a
bad file changes nothing. Records are flattened into one row per (kind, id);
when the same object appears several times in a file (an agency under many
configurations, a configuration in normal and in detailed form) its
appearances are merged key by key, so a key one appearance leaves out never
erases what another one (or an earlier import) brought.

The steps, one module each:

- ``reading``: the bytes of a file as one JSON value, and its records;
- ``sources``: where a record came from (an LL2 endpoint), and so its kind;
- ``kinds``: what each kind of object looks like, derived from ``shape.py``;
- ``collecting``: records validated and flattened into rows;
- ``writing``: the rows upserted in one transaction (``spacecraft.storage.sql``).

Other entry points (the command, mirroring over HTTP, the tests) use the
names below.
"""

from spacecraft.ingest.collecting import Collector, collect
from spacecraft.ingest.errors import ImportFailure
from spacecraft.ingest.kinds import (
    KINDS,
    WRITE_ORDER,
    Kind,
    Nested,
    NestedList,
    Scalar,
    converter,
    kind_name,
)
from spacecraft.ingest.reading import load_document, records_of
from spacecraft.ingest.sources import ENDPOINTS, Endpoint, endpoint_of_record, endpoint_of_url
from spacecraft.ingest.writing import (
    Tally,
    import_document,
    import_path,
    import_text,
    refresh_statistics,
)

__all__ = [
    "ENDPOINTS",
    "KINDS",
    "WRITE_ORDER",
    "Collector",
    "Endpoint",
    "ImportFailure",
    "Kind",
    "Nested",
    "NestedList",
    "Scalar",
    "Tally",
    "collect",
    "converter",
    "endpoint_of_record",
    "endpoint_of_url",
    "import_document",
    "import_path",
    "import_text",
    "kind_name",
    "load_document",
    "records_of",
    "refresh_statistics",
]
