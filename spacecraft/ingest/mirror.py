"""Mirroring an LL2-compatible server (``import_ll2 --from URL``): the public face.

- ``client``: the HTTP side: one httpx client per sync, the call budget,
  retries and ``Retry-After``;
- ``sync``: walking the pages, storing each with its checkpoint, resuming;
- ``progress``: the status bar, the lines and the summary (shared with file imports).

The command line (``--from`` and its options) is the management command's.
"""

from spacecraft.ingest.client import (
    DEFAULT_CALLS_PER_HOUR,
    TOKEN_ENV,
    Budget,
    Client,
    Settings,
    parse_retry_after,
)
from spacecraft.ingest.sync import MirrorError, Result, Sync, start_url, sync

__all__ = [
    "DEFAULT_CALLS_PER_HOUR",
    "TOKEN_ENV",
    "Budget",
    "Client",
    "MirrorError",
    "Result",
    "Settings",
    "Sync",
    "parse_retry_after",
    "start_url",
    "sync",
]
