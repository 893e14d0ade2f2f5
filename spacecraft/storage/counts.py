"""Exact row counts kept per catalogue stamp, so a list's ``count`` is not recomputed.

LL2's envelope carries the exact ``count`` of the filtered rows. Counting is the one part of
a list whose cost grows with the catalogue (every matching row is visited), while the page
itself is read by index. A count depends only on the query and on the catalogue's state, and
the catalogue's stamp (``stamp.py``) changes with every write, so a count stored under
(stamp, SQL, parameters) is exact for as long as that stamp is current, and is never found
again once it is not. The stamp is read in the caller's transaction, which for an API read is
its snapshot (``serving/snapshot.py``), so count and stamp come from one state.

Counts live in Django's default cache (Redis when ``REDIS_URL`` is set, shared by every
instance; else each process's memory) for ``API_COUNT_CACHE_SECONDS`` (0: always count).
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError

from spacecraft.storage.stamp import current_stamp

log = logging.getLogger(__name__)


def exact_count(queryset):
    """``queryset.count()``, from the cache when this stamp's answer is known."""
    seconds = getattr(settings, "API_COUNT_CACHE_SECONDS", 0)
    if seconds <= 0:
        return queryset.count()
    try:
        sql, params = queryset.query.sql_with_params()
    except Exception:  # an empty result (EmptyResultSet) and the like: let Django say
        return queryset.count()
    try:
        stamp = current_stamp()
    except DatabaseError:
        return queryset.count()
    raw = repr((queryset.db, sql, params)).encode("utf-8", "surrogatepass")
    key = f"ll2:count:{stamp}:{hashlib.blake2b(raw, digest_size=20).hexdigest()}"
    store = caches["default"]
    try:
        known = store.get(key)
    except Exception:  # an unreachable Redis: count, never fail
        log.warning("count cache unavailable for get", exc_info=True)
        known = None
    if known is not None:
        return known
    count = queryset.count()
    try:
        store.set(key, count, seconds)
    except Exception:
        log.warning("count cache unavailable for set", exc_info=True)
    return count
