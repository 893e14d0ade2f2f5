"""Response caching and conditional GET for the LL2 API, never stale.

Every write to the catalogue sets a new random stamp on the one
``CatalogueVersion`` row, in the writer's own transaction: model saves,
deletes and many-to-many changes through signals (the admin, ``loaddata``,
the shell), and the bulk importer by calling ``bump()``. A cached response is
stored under a key made of that stamp and the whole request (scheme, host,
path, sorted query, ``Accept``), so once a write has committed no instance
can find an entry made before it: every request reads the current stamp
from the database (one primary-key lookup) before it looks in the cache.
Code that writes with ``QuerySet.update()``, ``bulk_create()`` or raw SQL
sends no signals and must call ``bump()`` itself.

Entries live in a small in-process LRU and, when ``REDIS_URL`` is set, in
Redis shared by every worker and instance. ``API_CACHE_SECONDS`` is how long
an entry may be kept; ``0`` turns response caching off. Either way JSON
answers carry an ``ETag`` and ``If-None-Match`` gets ``304 Not Modified``.
The browsable API (``?format=api`` or a browser's ``Accept: text/html``) is
never cached.

Throttling and API keys do not turn caching off: before a cached answer is
served, the view class's ``admit(request)`` runs DRF's authentication and
throttling for it (``admission``), so an unknown or revoked key still gets its
401, a used-up rate its 429, and every answer from the cache counts as a call.
Answers do not depend on the key, so the key is not part of the cache key.

A client that sends ``Accept-Encoding: gzip`` gets JSON answers of at least
``GZIP_MIN_BYTES`` compressed, with ``Content-Encoding: gzip`` and
``Accept-Encoding`` added to ``Vary`` (answers sent uncompressed keep LL2's
``Vary: Accept``). The compressed body is an entry of its own (the key names
the encoding), made from the uncompressed entry the first time it is asked
for: a hit serves stored compressed bytes, never compressing again.
Compression is deterministic (no timestamp in the header), so every instance
makes the same bytes and the same ``ETag`` for them.
"""

import functools
import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from django.http import HttpResponse
from django.urls import Resolver404, get_urlconf, resolve
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import urlencode

from spacecraft import figures
from spacecraft.storage.stamp import current_stamp

log = logging.getLogger(__name__)

IDENTITY, GZIP = "identity", "gzip"  # the content codings an answer is stored in


# --- where entries live ------------------------------------------------------------


class LocalStore:
    """A thread-safe LRU of entries bounded by their total body size."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries = OrderedDict()  # key -> (expires, entry)
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            item = self.entries.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return item[1]

    def set(self, key, entry, seconds):
        size = len(entry[2])
        if size > self.max_bytes:
            return
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = (time.monotonic() + seconds, entry)
            self.size += size
            while self.size > self.max_bytes:
                self._drop(next(iter(self.entries)))

    def clear(self):
        with self.lock:
            self.entries.clear()
            self.size = 0

    def _drop(self, key):
        _, entry = self.entries.pop(key)
        self.size -= len(entry[2])


class ResponseStore:
    """The local LRU in front of the shared cache (Redis), if one is configured."""

    def __init__(self):
        self.local = LocalStore(settings.API_CACHE_LOCAL_BYTES)

    @property
    def shared(self):
        alias = settings.API_CACHE_SHARED
        return caches[alias] if alias else None

    def get(self, key):
        entry = self.local.get(key)
        if entry is None and self.shared is not None:
            try:
                entry = self.shared.get(key)
            except Exception:  # an unreachable Redis is a miss, never an error
                log.warning("shared cache unavailable for get", exc_info=True)
                return None
            if entry is not None:
                self.local.set(key, entry, settings.API_CACHE_SECONDS)
        return entry

    def set(self, key, entry, seconds):
        self.local.set(key, entry, seconds)
        if self.shared is not None:
            try:
                self.shared.set(key, entry, seconds)
            except Exception:
                log.warning("shared cache unavailable for set", exc_info=True)

    def clear(self):
        """Forget this process's entries (the shared ones expire, or go with the stamp)."""
        self.local.clear()


store = ResponseStore()


# --- the middleware -----------------------------------------------------------------


def request_key(request, stamp, encoding=IDENTITY):
    """The cache key of a request at a catalogue stamp, for one content coding."""
    query = urlencode(sorted(request.GET.lists()), doseq=True)
    accept = request.META.get("HTTP_ACCEPT", "")
    raw = "\n".join((request.scheme, request.get_host(), request.path, query, accept))
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
    return f"ll2:response:{stamp}:{encoding}:{digest}"


def catalogue_view(path):
    """The view class ``path`` goes to if it answers from the catalogue (its
    ``cache_responses`` is true), else None."""
    return _catalogue_view(path, get_urlconf() or settings.ROOT_URLCONF)


def serves_catalogue(path):
    return catalogue_view(path) is not None


def shows_clock_figures(path):
    """Whether ``path``'s answers may show a figure that grows with the clock
    (a spacecraft's ``time_in_space`` in space: ``spacecraft/figures.py``)."""
    view = _view_class(path, get_urlconf() or settings.ROOT_URLCONF)
    shows = getattr(view, "clock_figures", None)
    return bool(shows and shows())


def _catalogue_view(path, urlconf):
    view_class = _view_class(path, urlconf)
    return view_class if getattr(view_class, "cache_responses", False) else None


@functools.lru_cache(maxsize=4096)
def _view_class(path, urlconf):
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return None
    return getattr(match.func, "cls", None)


def admission(view_class, request):
    """What the view answers to ``request`` before it reads the catalogue (a 401 for a bad
    API key, a 429 once the caller's rate is used up), or None to let a cached answer go.

    The view class's ``admit(request)`` decides, and counts the call as the view itself
    would: serving from the cache never bypasses a key check or a rate.
    """
    admit = getattr(view_class, "admit", None)
    return admit(request) if admit is not None else None


def wants_browsable_api(request):
    fmt = request.GET.get("format")
    if fmt is not None:
        return fmt != "json"
    return "text/html" in request.META.get("HTTP_ACCEPT", "")


# --- content coding -------------------------------------------------------------------

GZIP_MIN_BYTES = 512  # smaller answers gain too little to be worth the work
GZIP_LEVEL = 6


def accepts_gzip(request):
    """Whether the request's ``Accept-Encoding`` allows gzip."""
    return gzip_accepted(request.META.get("HTTP_ACCEPT_ENCODING", ""))


def gzip_accepted(header):
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110: ``q=0`` refuses; ``*``)."""
    if not header:
        return False
    weights = {}
    for part in header.split(","):
        coding, _, params = part.partition(";")
        coding = coding.strip().lower()
        if not coding:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        weights[coding] = weight
    weight = weights.get(GZIP, weights.get("x-gzip", weights.get("*", 0.0)))
    return weight > 0


def compress_entry(entry):
    """The gzip form of an uncompressed entry, or None when it is too small."""
    status, headers, body, _ = entry
    if len(body) < GZIP_MIN_BYTES:
        return None
    packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return (status, headers + [("Content-Encoding", GZIP)], packed, make_etag(packed))


def make_etag(body):
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def to_entry(response):
    """(status, headers, body, etag) of a JSON 200, or None if it is not one."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    body = response.content
    headers = [(name, value) for name, value in response.items() if name != "Content-Length"]
    return (200, headers, body, make_etag(body))


def from_entry(entry):
    status, headers, body, etag = entry
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    if response.has_header("Content-Encoding"):
        patch_vary_headers(response, ("Accept-Encoding",))
    response["Content-Length"] = str(len(body))
    response["ETag"] = etag
    return response


def entry_seconds():
    """How long a cached answer may be kept (``API_CACHE_SECONDS``; 0: not cached)."""
    return settings.API_CACHE_SECONDS


def throttling_on():
    """Whether anonymous calls are counted, in which case each must reach the throttle
    (``admission``); keyed calls always carry ``Authorization``."""
    return bool(getattr(settings, "API_THROTTLE_ANON", None))


class ResponseCacheMiddleware:
    """Serves repeated API requests from the cache and answers ``If-None-Match``.

    Place it after ``SecurityMiddleware`` (its redirects and headers still
    apply to cached answers) and before the rest.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or not request.path_info.startswith(settings.API_CACHE_PATH_PREFIX)
            or wants_browsable_api(request)
        ):
            return self.get_response(request)
        view_class = catalogue_view(request.path_info)
        if view_class is None:
            return self.get_response(request)
        gzipped = accepts_gzip(request)
        seconds = entry_seconds()
        if seconds <= 0:
            response = self.get_response(request)
            entry = to_entry(response)
            if entry is None:
                return response
            packed = compress_entry(entry) if gzipped else None
            if packed is not None:
                entry, response = packed, from_entry(packed)
            response["ETag"] = entry[3]
            return get_conditional_response(request, etag=entry[3], response=response)
        try:
            stamp = current_stamp()
        except DatabaseError:
            log.warning("catalogue stamp unreadable; not caching", exc_info=True)
            return self.get_response(request)
        if shows_clock_figures(request.path_info):
            # Keyed by the clock's tick too: such an answer is at most
            # API_CLOCK_FIGURES_SECONDS old, and the view answers at the same tick.
            stamp = f"{stamp}@{int(figures.request_clock(request).timestamp())}"
        entry = self._entry(request, stamp, gzipped, seconds, view_class)
        if not isinstance(entry, tuple):  # an answer that is not cached (an error...)
            return entry
        response = from_entry(entry)
        response.front_cacheable = True  # the front door (front.py) may keep it as sent
        return get_conditional_response(request, etag=entry[3], response=response)

    def _entry(self, request, stamp, gzipped, seconds, view_class):
        """The cache entry to answer with, made and stored on a miss; or a response
        (the view's own on a miss; on a hit, a refusal from ``admission``)."""
        if gzipped:
            key = request_key(request, stamp, GZIP)
            entry = store.get(key)
            if entry is not None:
                refused = admission(view_class, request)
                return entry if refused is None else refused
        plain_key = request_key(request, stamp)
        entry = store.get(plain_key)
        if entry is not None:
            refused = admission(view_class, request)
            if refused is not None:
                return refused
        else:
            response = self.get_response(request)
            entry = to_entry(response)
            if entry is None:
                return response
            store.set(plain_key, entry, seconds)
        if gzipped:
            packed = compress_entry(entry)
            if packed is not None:
                store.set(key, packed, seconds)
                return packed
        return entry
