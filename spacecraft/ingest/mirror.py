"""Mirror an LL2-compatible server into the catalogue (``import_ll2 --from URL``).

A sync walks a list endpoint page by page, following the ``next`` links the
server gives (never assuming the page size it asked for), and stores each page
with the file importer's ``import_document`` in one transaction together with
its ``MirrorCheckpoint``. So an interrupted sync keeps every page it stored,
and ``--resume`` starts at the first page it did not.

Calls are paced to the server's budget: LL2 lets an anonymous client make 15
calls in any hour, so at most ``calls_per_hour`` calls start within any
``window`` (a sliding hour, as LL2's throttle counts them). A 429 waits what
``Retry-After`` says plus a margin. Timeouts, connection errors, 5xx answers,
HTML pages and truncated or invalid JSON are retried with exponential backoff,
a bounded number of times; after that, or on an answer that retrying cannot
change (another 4xx, a page the importer refuses), the sync stops with a
message that names the URL and says how to continue. Every wait is announced.

The calls are httpx's (redirects, decompression; its async client, so that
``asyncio.timeout`` bounds a whole call, however slowly the server sends);
the retries, their backoff and the ``Retry-After`` waits are tenacity's, with
our budget and announcements in its hooks; the live status line is tqdm's.
Delays, the clock and the sleep function live in ``Settings`` so the tests
can make them small.
"""

import asyncio
import datetime
import math
import os
import shlex
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx
import tenacity
from django.core.management.base import CommandError, OutputWrapper
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from spacecraft.ingest.importer import (
    WRITE_ORDER,
    ImportFailure,
    Tally,
    import_document,
    load_document,
    refresh_statistics,
)
from spacecraft.models import MirrorCheckpoint

TOKEN_ENV = "LL2_API_TOKEN"
DEFAULT_CALLS_PER_HOUR = 15  # LL2's budget for anonymous clients
USER_AGENT = f"ll2-spacecraft-replica-mirror/1 (httpx {httpx.__version__})"
MAX_URL_LENGTH = 2000  # MirrorCheckpoint.source_url


class MirrorError(Exception):
    """Stops a sync; the message says what happened and how to continue."""


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


# --- URLs -------------------------------------------------------------------------------


def start_url(url):
    """``url`` with ``mode=detailed`` and ``limit=100`` unless it says otherwise.

    Query parameters are sorted, so the same list always gets the same
    checkpoint however it was typed.
    """
    parts = urlsplit(url.strip())
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise MirrorError(f"not a valid URL (bad port): {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MirrorError(f"not an http(s) URL: {url!r}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = {name for name, _ in query}
    query += [(k, v) for k, v in (("mode", "detailed"), ("limit", "100")) if k not in names]
    query.sort(key=lambda item: item[0])
    normal = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), ""))
    if len(normal) > MAX_URL_LENGTH:
        raise MirrorError(f"URL longer than {MAX_URL_LENGTH} characters")
    return normal


def origin(url):
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port or default)


def _is_http_url(value):
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


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


def _earlier_calls(source_origin, now, window):
    """Calls to the same server saved by earlier runs, still inside the window."""
    times = set()
    for checkpoint in MirrorCheckpoint.objects.only("source_url", "recent_calls"):
        if origin(checkpoint.source_url) != source_origin:
            continue
        for moment in checkpoint.recent_calls or []:
            if isinstance(moment, (int, float)) and now - window < moment <= now:
                times.add(float(moment))
    return sorted(times)


# --- one call -------------------------------------------------------------------------------


class Fault(Exception):
    """A failed call that is worth trying again."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """An answer that trying again will not change (a 4xx other than 408 and 429)."""


def parse_retry_after(value, now):
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


class RetryAfterTooLong(Exception):
    """A ``Retry-After`` longer than a sync waits: stop, to be resumed later."""

    def __init__(self, fault):
        super().__init__(str(fault))
        self.fault = fault


class Client:
    """GETs one page with httpx; raises ``Fault`` or ``Refused``.

    Each call runs in an event loop of its own (the sync itself, and so the
    database, stays synchronous), inside ``asyncio.timeout``: the timeout is
    for the whole call, from connecting to the last byte, not for each read.
    """

    def __init__(self, settings, token_origin):
        self.settings = settings
        self.token_origin = token_origin
        self._tls_context = None

    def _tls(self):
        """httpx's default TLS settings, loaded once, not on every call."""
        if self._tls_context is None:
            self._tls_context = httpx.create_ssl_context()
        return self._tls_context

    def get(self, url):
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.settings.token and origin(url) == self.token_origin:
            # httpx drops it on a redirect to another origin.
            headers["Authorization"] = f"Token {self.settings.token}"
        timeout = self.settings.timeout
        answered = []  # set once the status line and headers are in
        try:
            status, reason, response_headers, body = asyncio.run(self._call(url, headers, answered))
        except (TimeoutError, httpx.TimeoutException):
            what = "no complete answer" if answered else "no answer"
            raise Fault(f"{what} within {_seconds(timeout)}") from None
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
        # The client is made before the clock starts: the call is timed, not our set-up.
        async with httpx.AsyncClient(
            follow_redirects=True, timeout=self.settings.timeout, verify=self._tls()
        ) as client:
            async with asyncio.timeout(self.settings.timeout):
                async with client.stream("GET", url, headers=headers) as response:
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


# --- output ---------------------------------------------------------------------------------


def _seconds(seconds):
    """A duration for people: 0.25s, 42s, 3m 05s, 1h 02m."""
    if seconds < 10:
        return f"{seconds:.2f}s" if seconds < 1 else f"{seconds:.1f}s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


class Display:
    """A live status bar (tqdm) on a terminal; plain lines elsewhere (a pipe, a log)."""

    def __init__(self, out, tty=None, quiet=False):
        # tqdm writes "\r" and half lines: to the stream itself, not through Django's wrapper.
        self.out = out._out if isinstance(out, OutputWrapper) else out
        self.tty = self.out.isatty() if tty is None else tty
        self.quiet = quiet  # --verbosity 0: nothing but errors
        self.bar = None

    def line(self, text):
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(text, file=self.out)  # above the bar, which is redrawn below it
        else:
            self.out.write(text + "\n")
            self.out.flush()

    def status(self, text, done, total):
        """Show ``done`` of ``total`` records (total None: not known yet) and ``text``."""
        if not self.tty or self.quiet:
            return
        if self.bar is None:
            self.bar = tqdm(
                file=self.out,
                total=total,
                unit=" records",
                initial=done,  # a resumed sync's records: not counted in the rate
                leave=False,
                dynamic_ncols=True,
                mininterval=0,
                disable=False,
            )
        if total is not None and self.bar.total != total:
            self.bar.total = total
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(done - self.bar.n)
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# --- a sync -----------------------------------------------------------------------------------


@dataclass
class Result:
    source_url: str
    pages: int = 0  # stored by this run
    records: int = 0
    calls: int = 0
    retries: int = 0
    tallies: dict = field(default_factory=dict)
    finished: bool = False
    seconds: float = 0.0


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


class Sync:
    def __init__(self, url, out, settings=None, resume=False, tty=None, quiet=False):
        self.settings = settings or Settings()
        self.given_url = url
        self.source = start_url(url)
        self.origin = origin(self.source)
        self.resume = resume
        self.display = Display(out, tty, quiet)
        self.client = Client(self.settings, self.origin)
        now = self.settings.clock()
        window = self.settings.window
        self.budget = Budget(
            self.settings.calls_per_hour, window, _earlier_calls(self.origin, now, window)
        )
        self.result = Result(self.source)
        self.checkpoint = None

    # the loop

    def run(self):
        clock = self.settings.clock
        started = clock()
        self.display.line(f"Syncing {self.source} ({self._pacing()}).")
        self.checkpoint = self._open_checkpoint()
        if self.checkpoint is None:
            return self.result
        url = self.checkpoint.next_url
        fetched = set()
        try:
            while url:
                if url in fetched:
                    raise self._stop(
                        f"the server's next link leads back to {url}, a page already "
                        "fetched in this run",
                        retry_hint=False,
                    )
                fetched.add(url)
                url = self._store(url, self._fetch(url))
        except KeyboardInterrupt:
            raise self._stop("interrupted") from None
        finally:
            self.display.close()
            MirrorCheckpoint.objects.filter(pk=self.checkpoint.pk).update(
                recent_calls=self.budget.recent(clock())
            )
        self.result.finished = True
        self.result.seconds = clock() - started
        refresh_statistics(self.result.tallies)
        self._summary()
        return self.result

    def _open_checkpoint(self):
        source = self.source
        checkpoint = MirrorCheckpoint.objects.filter(source_url=source).first()
        if self.resume and checkpoint is not None:
            if checkpoint.next_url is None:
                self.display.line(
                    f"Nothing to resume: the sync of {source} finished on "
                    f"{checkpoint.finished_at:%Y-%m-%d at %H:%M:%S} UTC ({checkpoint.pages} "
                    f"pages, {checkpoint.records} records). Run without --resume to sync again."
                )
                return None
            self.display.line(
                f"Resuming at page {checkpoint.pages + 1} ({checkpoint.pages} pages, "
                f"{checkpoint.records} records already stored): {checkpoint.next_url}"
            )
            return checkpoint
        if self.resume:
            self.display.line("No earlier sync of this URL to resume: starting at the first page.")
        elif checkpoint is not None and checkpoint.next_url:
            self.display.line(
                f"Starting again at the first page (an unfinished sync of this URL had stored "
                f"{checkpoint.pages} pages; --resume would have continued it)."
            )
        checkpoint, _ = MirrorCheckpoint.objects.update_or_create(
            source_url=source,
            defaults={
                "next_url": source,
                "pages": 0,
                "records": 0,
                "count": None,
                "started_at": timezone.now(),
                "finished_at": None,
            },
        )
        return checkpoint

    def _fetch(self, url):
        settings = self.settings
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(Fault),
            stop=tenacity.stop_after_attempt(settings.retries + 1),
            wait=_RetryAfterOrBackoff(settings),
            sleep=lambda seconds: self._wait(settings.clock() + seconds),
            before_sleep=lambda state: self._announce_retry(url, state),
            reraise=True,
        )
        try:
            return retrying(self._attempt, url)
        except Refused as error:
            raise self._stop(f"{url} answered {error}", retry_hint=False) from None
        except RetryAfterTooLong as error:
            raise self._stop(
                f"{url} got {error.fault}: a wait of {_seconds(error.fault.retry_after)}, longer "
                f"than the {_seconds(settings.max_retry_after)} a sync waits"
            ) from None
        except Fault as error:
            attempts = settings.retries + 1
            raise self._stop(
                f"giving up on {url} after {attempts} attempts; the last one got {error}"
            ) from None

    def _attempt(self, url):
        """One call, once the budget allows it; every call counts against the budget."""
        settings = self.settings
        self._wait(0.0)
        self.display.status(*self._status("calling the server"))
        try:
            return self.client.get(url)
        except Fault as error:
            if error.retry_after is not None and error.retry_after > settings.max_retry_after:
                raise RetryAfterTooLong(error) from None
            raise
        finally:
            self.budget.record(settings.clock())
            self.result.calls += 1

    def _announce_retry(self, url, state):
        settings = self.settings
        error = state.outcome.exception()
        self.result.retries += 1
        if error.retry_after is not None:
            why = f"honouring Retry-After plus a {_seconds(settings.retry_after_margin)} margin"
        else:
            why = "backing off"
        self.display.line(
            f"{url} got {error}; {why}: waiting {_seconds(state.next_action.sleep)} before "
            f"retry {state.attempt_number} of {settings.retries}."
        )

    def _store(self, url, document):
        """Stores one fetched page with its checkpoint; returns the next page's URL."""
        checkpoint = self.checkpoint
        page = document if isinstance(document, dict) else {}
        next_url = page.get("next")
        if isinstance(next_url, str) and next_url:
            next_url = urljoin(url, next_url)  # LL2's are absolute; be lenient
        if next_url and not _is_http_url(next_url):
            raise self._stop(
                f"{url} answered a page whose next link is not an http(s) URL: {next_url!r}",
                retry_hint=False,
            )
        count = page.get("count")
        page_tallies = {}
        try:
            with transaction.atomic():
                import_document(document, page_tallies)
                checkpoint.next_url = next_url or None
                checkpoint.pages += 1
                checkpoint.records += _record_count(document)
                if isinstance(count, int) and not isinstance(count, bool):
                    checkpoint.count = count
                if not checkpoint.next_url:
                    checkpoint.finished_at = timezone.now()
                checkpoint.recent_calls = self.budget.recent(self.settings.clock())
                checkpoint.save()
        except ImportFailure as error:
            raise self._stop(
                f"{url}: {error} (nothing from this page was saved)", retry_hint=False
            ) from None
        for kind, tally in page_tallies.items():
            total = self.result.tallies.setdefault(kind, Tally())
            total.created += tally.created
            total.updated += tally.updated
            total.unchanged += tally.unchanged
        self.result.pages += 1
        self.result.records += _record_count(document)
        self._report_page(url, _record_count(document))
        return checkpoint.next_url

    # waiting

    def _wait(self, not_before):
        clock = self.settings.clock
        now = clock()
        for_budget = self.budget.wait(now)
        total = max(not_before - now, for_budget)
        if total <= 0:
            return
        if for_budget > not_before - now:
            used = self.settings.calls_per_hour
            self.display.line(
                f"Waiting {_seconds(for_budget)} before the next call: {used} calls were made "
                f"in the last {self._window_words()}, the budget set by --calls-per-hour."
            )
        end = now + total
        while (left := end - clock()) > 0:
            self.display.status(*self._status(f"next call in {_seconds(left)}"))
            self.settings.sleep(min(left, 1.0) if self.display.tty else left)

    # messages

    def _window_words(self):
        return "hour" if self.settings.window == 3600 else _seconds(self.settings.window)

    def _pacing(self):
        calls = self.settings.calls_per_hour
        pacing = f"at most {calls} calls per {self._window_words()}" if calls else "no pacing"
        return pacing + (", with an API key" if self.settings.token else "")

    def _budget_words(self):
        left = self.budget.left(self.settings.clock())
        if left is None:
            return "no pacing"
        return f"{left} of {self.settings.calls_per_hour} calls left this {self._window_words()}"

    def _records_words(self):
        checkpoint = self.checkpoint
        total = f" of {checkpoint.count}" if checkpoint.count is not None else ""
        return f"{checkpoint.records}{total} records"

    def _status(self, doing):
        """(text, records stored, records in all) for the status bar."""
        checkpoint = self.checkpoint
        text = f"page {checkpoint.pages} stored · {self._budget_words()} · {doing}"
        return text, checkpoint.records, checkpoint.count

    def _report_page(self, url, stored):
        if self.display.tty:
            self.display.status(*self._status("page stored"))
            return
        self.display.line(
            f"page {self.checkpoint.pages}: stored {stored} records from {url} "
            f"({self._records_words()} so far; {self._budget_words()})"
        )

    def _summary(self):
        result = self.result
        checkpoint = self.checkpoint
        retries = f"{result.retries} retr{'y' if result.retries == 1 else 'ies'}"
        overall = ""
        if checkpoint.pages != result.pages:
            overall = f" ({checkpoint.pages} pages, {checkpoint.records} records in all)"
        self.display.line(
            f"Finished: {result.pages} pages, {result.records} records stored{overall} "
            f"in {result.calls} calls ({retries}), {_seconds(result.seconds)}."
        )
        for line in tally_lines(result.tallies):
            self.display.line(line)

    def _stop(self, what, retry_hint=True):
        checkpoint = self.checkpoint
        command = f"python manage.py import_ll2 --from {shlex.quote(self.given_url)} --resume"
        how = (
            f"To continue from this page, run: {command}"
            if retry_hint
            else f"Once that is sorted out, continue from this page with: {command}"
        )
        return MirrorError(
            f"{what}.\nEverything stored before stays: {checkpoint.pages} pages, "
            f"{checkpoint.records} records of this sync ({self.result.pages} pages in this run).\n"
            f"{how}"
        )


def _record_count(document):
    """Spacecraft in a document ``import_document`` accepted."""
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        return len(document["results"])
    return len(document) if isinstance(document, list) else 1


def tally_lines(tallies):
    """One line per kind, all kinds, in write order (as a file import ends)."""
    return [
        f"{kind}: {t.created} created, {t.updated} updated, {t.unchanged} unchanged"
        for kind, t in ((kind, tallies.get(kind) or Tally()) for kind in WRITE_ORDER)
    ]


# --- the import_ll2 options -------------------------------------------------------------------

OPTION_FLAGS = {
    "resume": "--resume",
    "calls_per_hour": "--calls-per-hour",
    "token": "--token",
    "timeout": "--timeout",
    "retries": "--retries",
    "retry_delay": "--retry-delay",
}


def add_arguments(parser):
    defaults = Settings()
    group = parser.add_argument_group("mirroring a live LL2-compatible server")
    group.add_argument(
        "--from",
        dest="from_url",
        metavar="URL",
        help="sync from an LL2-compatible list URL, following its next links "
        "(mode=detailed and limit=100 are asked unless the URL says otherwise)",
    )
    group.add_argument(
        "--resume",
        action="store_true",
        help="continue from the first page not yet stored by the last sync of URL",
    )
    group.add_argument(
        "--calls-per-hour",
        type=int,
        metavar="N",
        help=f"at most N calls in any hour (default {DEFAULT_CALLS_PER_HOUR}, LL2's anonymous "
        "budget; 0: no pacing)",
    )
    group.add_argument(
        "--token",
        help=f"LL2 API key, sent as 'Authorization: Token ...' (default: ${TOKEN_ENV})",
    )
    group.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help=f"give up on a call after this long (default {defaults.timeout:g})",
    )
    group.add_argument(
        "--retries",
        type=int,
        metavar="N",
        help=f"retries of a failing page before stopping (default {defaults.retries})",
    )
    group.add_argument(
        "--retry-delay",
        type=float,
        metavar="SECONDS",
        help=f"first backoff delay, doubled on each retry (default {defaults.retry_delay:g})",
    )


def wanted(options):
    """Whether ``import_ll2`` was asked to mirror (``--from`` or one of its options)."""
    return options.get("from_url") is not None or any(
        options.get(name) not in (None, False) for name in OPTION_FLAGS
    )


def settings_from_options(options):
    settings = Settings()
    checks = {
        "calls_per_hour": (lambda v: v >= 0, "must be 0 or more"),
        "timeout": (lambda v: math.isfinite(v) and v > 0, "must be more than 0"),
        "retries": (lambda v: v >= 0, "must be 0 or more"),
        "retry_delay": (lambda v: math.isfinite(v) and v >= 0, "must be 0 or more"),
    }
    for name, (valid, rule) in checks.items():
        value = options.get(name)
        if value is None:
            continue
        if not valid(value):
            raise CommandError(f"{OPTION_FLAGS[name]} {rule} (got {value:g})")
        setattr(settings, name, value)
    token = options.get("token")
    if token is None:
        token = os.environ.get(TOKEN_ENV)
    settings.token = (token or "").strip() or None
    return settings


def handle(options, out, settings=None, tty=None):
    """``import_ll2 --from URL``; raises CommandError with a clear message."""
    url = options.get("from_url")
    if url is None:
        given = [
            flag for name, flag in OPTION_FLAGS.items() if options.get(name) not in (None, False)
        ]
        raise CommandError(f"{', '.join(given)}: only with --from URL")
    if options.get("paths"):
        raise CommandError("give PATHs to import files, or --from URL to mirror a server, not both")
    settings = settings or settings_from_options(options)
    try:
        sync = Sync(
            url,
            out,
            settings,
            resume=options.get("resume", False),
            tty=tty,
            quiet=options.get("verbosity", 1) == 0,
        )
        return sync.run()
    except MirrorError as error:
        raise CommandError(str(error)) from None
