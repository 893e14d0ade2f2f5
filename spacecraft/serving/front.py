"""The front door: repeated API answers served before Django builds a request.

``ResponseCacheMiddleware`` (``cache.py``) already answers a repeated request
from stored bytes, but only after Django has built a ``WSGIRequest`` and run
the middleware in front of it, and the answer then goes back out through the
same stack. At the rates a cache hit allows, that stack is most of the cost.

``FrontDoorHandler`` is Django's own WSGI handler with one step before it: a
``GET`` or ``HEAD`` below ``API_CACHE_PATH_PREFIX`` whose exact request (method,
scheme, host, path, query string, ``Accept``, whether gzip is accepted, the
proxy headers that change links) was answered by the whole stack since the
catalogue's current stamp is answered with the bytes and headers that answer
left with, after one stamp query (``storage.stamp.current_stamp``). So a hit
is never stale: a write anywhere gives the catalogue a new stamp, and no entry
made before it matches again; it is no less secure either, since an entry is
made only from an answer the whole stack gave (host checks, HTTPS redirects and
security headers included) to the same request.

Only what the middleware itself caches is kept (it marks those responses);
requests with ``Authorization``, conditional headers or a body go through the
stack, and so does everything while anonymous calls are counted (every call
must reach the throttle) or caching is off. The key holds the clock's tick of
the figures that grow with it (``figures.clock()``), which the stack then
answers at, so an entry is never older than ``API_CLOCK_FIGURES_SECONDS``.
The entries are this process's own (a bounded LRU); the entries every
instance shares stay the middleware's.
"""

import hashlib

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import DatabaseError

from spacecraft import figures
from spacecraft.serving import cache
from spacecraft.storage.stamp import current_stamp

# Request headers that change the answer's bytes (links take the scheme and host).
KEYED_HEADERS = ("HTTP_HOST", "HTTP_ACCEPT", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")
# Request headers that make an answer personal or conditional: never served here.
BYPASS_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")

_local = None


def front_store():
    """This process's entries (made on first use, sized by ``API_CACHE_LOCAL_MB``)."""
    global _local
    if _local is None:
        _local = cache.LocalStore(settings.API_CACHE_LOCAL_BYTES)
    return _local


def enabled():
    return settings.API_CACHE_SECONDS > 0 and not cache.throttling_on()


def front_key(environ, stamp):
    """The key of a request at a stamp (and clock tick), from the WSGI environ alone; None: not
    for here."""
    method = environ.get("REQUEST_METHOD")
    if method not in ("GET", "HEAD"):
        return None
    path = environ.get("PATH_INFO", "")
    if not path.startswith(settings.API_CACHE_PATH_PREFIX):
        return None
    if any(environ.get(name) for name in BYPASS_HEADERS):
        return None
    if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
        return None
    gzipped = cache.gzip_accepted(environ.get("HTTP_ACCEPT_ENCODING", ""))
    parts = [
        method,
        environ.get("wsgi.url_scheme", ""),
        environ.get("SCRIPT_NAME", ""),
        path,
        environ.get("QUERY_STRING", ""),
        "gzip" if gzipped else "identity",
        *(environ.get(name, "") for name in KEYED_HEADERS),
    ]
    raw = "\n".join(parts).encode("latin-1", "backslashreplace")
    return f"{stamp}:{hashlib.blake2b(raw, digest_size=20).hexdigest()}"


class FrontDoorHandler(WSGIHandler):
    """Django's WSGI handler, answering repeated cached API requests itself."""

    def __call__(self, environ, start_response):
        key = None
        # The clock figures that grow are read at (``figures.clock()``): an entry made at one
        # tick is never served at the next, and the stack answers at the same tick.
        now = figures.clock()
        if enabled() and front_key(environ, 0) is not None:
            try:
                key = front_key(environ, f"{current_stamp()}@{int(now.timestamp())}")
            except DatabaseError:
                key = None  # the stack will say what is wrong
            if key is not None:
                entry = front_store().get(key)
                if entry is not None:
                    status, headers, body = entry
                    start_response(status, headers)
                    return [body]
        environ["ll2.front_key"] = key
        environ["ll2.clock"] = now
        return super().__call__(environ, start_response)

    def get_response(self, request):
        request.ll2_clock = request.environ.get("ll2.clock") or figures.clock()
        response = super().get_response(request)
        key = request.environ.get("ll2.front_key")
        if key is not None and getattr(response, "front_cacheable", False):
            if response.status_code == 200 and not response.cookies:
                body = response.content
                headers = [(name, value) for name, value in response.items()]
                status = f"{response.status_code} {response.reason_phrase}"
                front_store().set(key, (status, headers, body), cache.entry_seconds())
        return response
