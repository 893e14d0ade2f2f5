"""The HTTP side of a sync: one httpx client, the call budget, retries and Retry-After.

``Client`` GETs pages with one ``httpx.AsyncClient`` (so one connection
pool: a connection is reused from page to page) in one event loop, both
opened for a whole sync (``with Client(...) as client``). Each call is
bounded by ``asyncio.timeout``: from connecting to the last byte, however
slowly the server sends. A failed call is a ``Fault`` (worth trying again)
or ``Refused`` (an answer that trying again will not change).

``Budget`` paces the calls: LL2 lets an anonymous client make 15 calls in
any hour, so at most ``calls_per_hour`` calls start within any ``window``
(a sliding hour, as LL2's throttle counts them). ``retrying`` is tenacity's
loop over one page: exponential backoff, or what ``Retry-After`` asks plus
a margin; a ``Retry-After`` longer than a sync waits stops it.

Delays, the clock and the sleep function live in ``Settings`` so the tests
can make them small.
"""

import asyncio
import datetime
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
import tenacity

from spacecraft.ingest.errors import ImportFailure
from spacecraft.ingest.reading import load_document
from spacecraft.ingest.words import seconds

TOKEN_ENV = "LL2_API_TOKEN"
DEFAULT_CALLS_PER_HOUR = 15  # LL2's budget for anonymous clients
USER_AGENT = f"ll2-spacecraft-replica-mirror/1 (httpx {httpx.__version__})"


@dataclass
class Settings:
    calls_per_hour: int = DEFAULT_CALLS_PER_HOUR  # 0: no pacing
    window: float = 3600.0  # the budget's period, in seconds
    token: str | None = None
    timeout: float = 60.0  # for one call, from connecting to the last byte
    retries: int = 5  # further attempts at a page after a failed one
    retry_delay: float = 10.0  # the first backoff; it doubles on each retry
    max_retry_delay: float = 600.0
    retry_after_margin: float = 5.0  # added to what Retry-After asks
    # A longer Retry-After (LL2's budget is hourly) stops the sync, to be resumed later.
    max_retry_after: float = 7200.0
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


def origin(url):
    """(scheme, host, port) of ``url``: where a token may be sent."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port or default)


# --- the call budget --------------------------------------------------------------------


class Budget:
    """At most ``calls`` calls in any ``window`` seconds (``calls`` 0: no limit).

    A call is counted from the moment its answer (or failure) came back, which
    is never earlier than when the server counted it, so a slot this budget
    frees is always free on the server too.
    """

    def __init__(self, calls, window, history=()):
        self.calls = calls
        self.window = window
        self.history = deque(sorted(history))

    def _forget(self, now):
        while self.history and self.history[0] <= now - self.window:
            self.history.popleft()

    def left(self, now):
        """Calls that may start now, or None without a limit."""
        if not self.calls:
            return None
        self._forget(now)
        return max(self.calls - len(self.history), 0)

    def wait(self, now):
        """Seconds until the next call may start."""
        if not self.calls:
            return 0.0
        self._forget(now)
        if len(self.history) < self.calls:
            return 0.0
        return max(self.history[-self.calls] + self.window - now, 0.0)

    def record(self, now):
        self.history.append(now)

    def recent(self, now):
        self._forget(now)
        return list(self.history)


# --- failed calls -----------------------------------------------------------------------


class Fault(Exception):
    """A failed call that is worth trying again."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """An answer that trying again will not change (a 4xx other than 408 and 429)."""


class RetryAfterTooLong(Exception):
    """A ``Retry-After`` longer than a sync waits: stop, to be resumed later."""

    def __init__(self, fault):
        super().__init__(str(fault))
        self.fault = fault


def parse_retry_after(value, now):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        wait = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        wait = when.timestamp() - now
    if not math.isfinite(wait):
        return None
    return max(wait, 0.0)


# --- the client ---------------------------------------------------------------------------


class Client:
    """GETs pages with one httpx client and event loop, opened for a whole sync.

    The sync itself, and so the database, stays synchronous: each call runs
    in the client's own event loop (``asyncio.Runner``), inside
    ``asyncio.timeout``.
    """

    def __init__(self, settings, token_origin):
        self.settings = settings
        self.token_origin = token_origin
        self._runner = None
        self.http = None  # the httpx.AsyncClient, while open

    def __enter__(self):
        self._runner = asyncio.Runner()
        self.http = self._runner.run(self._open())
        return self

    async def _open(self):
        return httpx.AsyncClient(follow_redirects=True, timeout=self.settings.timeout)

    def __exit__(self, *exc):
        try:
            self._runner.run(self.http.aclose())
        finally:
            self._runner.close()
            self._runner = self.http = None

    def get(self, url):
        """The JSON document at ``url``; raises ``Fault`` or ``Refused``."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.settings.token and origin(url) == self.token_origin:
            # httpx drops it on a redirect to another origin.
            headers["Authorization"] = f"Token {self.settings.token}"
        timeout = self.settings.timeout
        answered = []  # set once the status line and headers are in
        try:
            status, reason, response_headers, body = self._runner.run(
                self._call(url, headers, answered)
            )
        except (TimeoutError, httpx.TimeoutException):
            what = "no complete answer" if answered else "no answer"
            raise Fault(f"{what} within {seconds(timeout)}") from None
        except httpx.DecodingError:
            encoding = answered[0].get("Content-Encoding", "") if answered else ""
            raise Fault(f"a corrupt {encoding or 'compressed'} answer") from None
        except httpx.RemoteProtocolError as error:
            if answered and answered[0].get("Content-Length", "").isdigit():
                expected, received = answered[0]["Content-Length"], answered[1]()
                raise Fault(f"a truncated answer ({received} of {expected} bytes)") from None
            raise Fault(f"a broken connection ({_describe(_root(error))})") from None
        except httpx.ConnectError as error:
            raise Fault(f"a connection error ({_describe(_root(error))})") from None
        except (httpx.TransportError, OSError) as error:
            raise Fault(f"a broken connection ({_describe(_root(error))})") from None
        except httpx.HTTPError as error:  # too many redirects, a bad redirect URL...
            raise Fault(f"a failed call ({_describe(error)})") from None
        if status >= 400:
            raise self._http_error(status, reason, response_headers, body)
        if "html" in response_headers.get("Content-Type", "").lower():
            raise Fault(f"an HTML page instead of JSON (HTTP {status})")
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise Fault(f"an answer that is not UTF-8 (byte {error.start})") from None
        try:
            return load_document(text)
        except ImportFailure as error:
            raise Fault(f"an answer that is {error}") from None

    async def _call(self, url, headers, answered):
        async with asyncio.timeout(self.settings.timeout):
            async with self.http.stream("GET", url, headers=headers) as response:
                answered += [response.headers, lambda: response.num_bytes_downloaded]
                body = b"".join([chunk async for chunk in response.aiter_bytes()])
                return response.status_code, response.reason_phrase, response.headers, body

    def _http_error(self, status, reason, headers, body):
        what = f"HTTP {status} {reason}".rstrip()
        content_type = (headers.get("Content-Type") or "").lower()
        if status == 429:
            header = headers.get("Retry-After")
            retry_after = parse_retry_after(header, self.settings.clock())
            what += f" (Retry-After: {header.strip()})" if header else " (no Retry-After)"
            return Fault(what, retry_after=retry_after)
        if status >= 500 or status == 408:
            return Fault(what + (" (an HTML error page)" if "html" in content_type else ""))
        detail = _detail(body[:4096])
        message = what + (f": {detail}" if detail else "")
        if status in (401, 403):
            message += f" (check the API key given with --token or {TOKEN_ENV})"
        return Refused(message)


def _root(error):
    """The first cause of an exception (httpx wraps httpcore's, which wraps the OSError)."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    return error


def _detail(body):
    """LL2's ``{"detail": ...}`` message from an error body, if there is one."""
    try:
        detail = load_document(body.decode("utf-8", "replace")).get("detail")
    except (ImportFailure, AttributeError):
        return ""
    return detail if isinstance(detail, str) else ""


def _describe(error):
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text and text != name else name


# --- retries ------------------------------------------------------------------------------


class _RetryAfterOrBackoff(tenacity.wait.wait_base):
    """What ``Retry-After`` asks plus the margin, else exponential backoff (capped)."""

    def __init__(self, settings):
        self.margin = settings.retry_after_margin
        self.backoff = tenacity.wait_exponential(
            multiplier=settings.retry_delay, max=settings.max_retry_delay
        )

    def __call__(self, retry_state):
        error = retry_state.outcome.exception()
        if getattr(error, "retry_after", None) is not None:
            return error.retry_after + self.margin
        return self.backoff(retry_state)


def retrying(settings, sleep, before_sleep):
    """tenacity's loop over the attempts at one page: ``Fault`` is retried, anything
    else (``Refused``, ``RetryAfterTooLong``) raised at once; the last ``Fault`` too.

    ``sleep(seconds)`` waits (the sync shows it); ``before_sleep(error, seconds,
    attempt)`` announces the retry.
    """
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(Fault),
        stop=tenacity.stop_after_attempt(settings.retries + 1),
        wait=_RetryAfterOrBackoff(settings),
        sleep=sleep,
        before_sleep=lambda state: before_sleep(
            state.outcome.exception(), state.next_action.sleep, state.attempt_number
        ),
        reraise=True,
    )
