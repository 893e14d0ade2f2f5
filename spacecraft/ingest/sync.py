"""A sync: an LL2-compatible list endpoint mirrored page by page (``import_ll2 --from URL``).

A sync walks a list endpoint page by page, following the ``next`` links the
server gives (never assuming the page size it asked for), and stores each page
with the file importer's ``import_document`` in one transaction together with
its ``MirrorCheckpoint``. So an interrupted sync keeps every page it stored,
and ``--resume`` starts at the first page it did not.

The endpoint, read from the URL's path (``sources.endpoint_of_url``), gives
the kind of every record of its pages: spacecraft or flights. The calls go
through one ``client.Client`` for the whole sync, paced by its ``Budget``
and retried by ``client.retrying``; every wait is announced. After a failure
retrying cannot mend, the sync stops with a message that names the URL and
says how to continue.
"""

import shlex
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from django.db import transaction
from django.utils import timezone

from spacecraft.ingest import sources
from spacecraft.ingest.client import (
    Budget,
    Client,
    Fault,
    Refused,
    RetryAfterTooLong,
    Settings,
    origin,
    retrying,
)
from spacecraft.ingest.errors import ImportFailure
from spacecraft.ingest.progress import Progress
from spacecraft.ingest.words import count, plural_of, seconds
from spacecraft.ingest.writing import Tally, import_document, refresh_statistics
from spacecraft.models import MirrorCheckpoint

MAX_URL_LENGTH = 2000  # MirrorCheckpoint.source_url


class MirrorError(Exception):
    """Stops a sync; the message says what happened and how to continue."""


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


def _is_http_url(value):
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


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


def _record_count(document):
    """The records of a document ``import_document`` accepted."""
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        return len(document["results"])
    return len(document) if isinstance(document, list) else 1


# --- a sync -----------------------------------------------------------------------------


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


class Sync:
    def __init__(self, url, out, settings=None, resume=False, tty=None, quiet=False):
        self.settings = settings or Settings()
        self.given_url = url
        self.source = start_url(url)
        self.endpoint = sources.endpoint_of_url(urlsplit(self.source).path)
        if self.endpoint is None:
            raise MirrorError(
                f"{url}: not a list endpoint this mirror reads (it reads {sources.paths()})"
            )
        self.record = self.endpoint.kind  # what the records are called: "spacecraft", "flight"
        self.origin = origin(self.source)
        self.resume = resume
        self.progress = Progress(out, plural_of(self.record), quiet=quiet, tty=tty)
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
        self.progress.line(f"Syncing {self.source} ({self._pacing()}).")
        self.checkpoint = self._open_checkpoint()
        if self.checkpoint is None:
            return self.result
        url = self.checkpoint.next_url
        fetched = set()
        try:
            with self.client:  # one client, one connection pool, for every page
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
            self.progress.close()
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
                self.progress.line(
                    f"Nothing to resume: the sync of {source} finished on "
                    f"{checkpoint.finished_at:%Y-%m-%d at %H:%M:%S} UTC "
                    f"({self._stored(checkpoint)}). Run without --resume to sync again."
                )
                return None
            self.progress.line(
                f"Resuming at page {checkpoint.pages + 1} ({self._stored(checkpoint)} "
                f"already stored): {checkpoint.next_url}"
            )
            return checkpoint
        if self.resume:
            self.progress.line("No earlier sync of this URL to resume: starting at the first page.")
        elif checkpoint is not None and checkpoint.next_url:
            self.progress.line(
                f"Starting again at the first page (an unfinished sync of this URL had stored "
                f"{count(checkpoint.pages, 'page')}; --resume would have continued it)."
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
        attempts = retrying(
            settings,
            sleep=lambda wait: self._wait(settings.clock() + wait),
            before_sleep=lambda error, wait, attempt: self._announce_retry(
                url, error, wait, attempt
            ),
        )
        try:
            return attempts(self._attempt, url)
        except Refused as error:
            raise self._stop(f"{url} answered {error}", retry_hint=False) from None
        except RetryAfterTooLong as error:
            raise self._stop(
                f"{url} got {error.fault}: a wait of {seconds(error.fault.retry_after)}, longer "
                f"than the {seconds(settings.max_retry_after)} a sync waits"
            ) from None
        except Fault as error:
            raise self._stop(
                f"giving up on {url} after {count(settings.retries + 1, 'attempt')}; "
                f"the last one got {error}"
            ) from None

    def _attempt(self, url):
        """One call, once the budget allows it; every call counts against the budget."""
        settings = self.settings
        self._wait(0.0)
        self.progress.status(*self._status("calling the server"))
        try:
            return self.client.get(url)
        except Fault as error:
            if error.retry_after is not None and error.retry_after > settings.max_retry_after:
                raise RetryAfterTooLong(error) from None
            raise
        finally:
            self.budget.record(settings.clock())
            self.result.calls += 1

    def _announce_retry(self, url, error, wait, attempt):
        settings = self.settings
        self.result.retries += 1
        if error.retry_after is not None:
            why = f"honouring Retry-After plus a {seconds(settings.retry_after_margin)} margin"
        else:
            why = "backing off"
        self.progress.line(
            f"{url} got {error}; {why}: waiting {seconds(wait)} before "
            f"retry {attempt} of {settings.retries}."
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
        total = page.get("count")
        page_tallies = {}
        records = _record_count(document)
        try:
            with transaction.atomic():
                import_document(document, page_tallies, endpoint=self.endpoint)
                checkpoint.next_url = next_url or None
                checkpoint.pages += 1
                checkpoint.records += records
                if isinstance(total, int) and not isinstance(total, bool):
                    checkpoint.count = total
                if not checkpoint.next_url:
                    checkpoint.finished_at = timezone.now()
                checkpoint.recent_calls = self.budget.recent(self.settings.clock())
                checkpoint.save()
        except ImportFailure as error:
            raise self._stop(
                f"{url}: {error} (nothing from this page was saved)", retry_hint=False
            ) from None
        for kind, tally in page_tallies.items():
            self.result.tallies.setdefault(kind, Tally()).add(tally)
        self.result.pages += 1
        self.result.records += records
        self._report_page(url, records)
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
            were = "was" if used == 1 else "were"
            self.progress.line(
                f"Waiting {seconds(for_budget)} before the next call: {count(used, 'call')} "
                f"{were} made in the last {self._window_words()}, the budget set by "
                "--calls-per-hour."
            )
        end = now + total
        while (left := end - clock()) > 0:
            self.progress.status(*self._status(f"next call in {seconds(left)}"))
            self.settings.sleep(min(left, 1.0) if self.progress.tty else left)

    # messages

    def _records(self, number):
        return count(number, self.record)

    def _stored(self, checkpoint):
        """ "3 pages, 20 spacecraft": what a checkpoint says was stored."""
        return f"{count(checkpoint.pages, 'page')}, {self._records(checkpoint.records)}"

    def _window_words(self):
        return "hour" if self.settings.window == 3600 else seconds(self.settings.window)

    def _pacing(self):
        calls = self.settings.calls_per_hour
        if calls:
            pacing = f"at most {count(calls, 'call')} per {self._window_words()}"
        else:
            pacing = "no pacing"
        return pacing + (", with an API key" if self.settings.token else "")

    def _budget_words(self):
        left = self.budget.left(self.settings.clock())
        if left is None:
            return "no pacing"
        calls = count(self.settings.calls_per_hour, "call")
        return f"{left} of {calls} left this {self._window_words()}"

    def _so_far(self):
        checkpoint = self.checkpoint
        if checkpoint.count is None:
            return self._records(checkpoint.records)
        return f"{checkpoint.records:,} of {self._records(checkpoint.count)}"

    def _status(self, doing):
        """(text, records stored, records in all) for the status bar."""
        checkpoint = self.checkpoint
        text = f"page {checkpoint.pages} stored · {self._budget_words()} · {doing}"
        return text, checkpoint.records, checkpoint.count

    def _report_page(self, url, stored):
        if self.progress.live:
            self.progress.status(*self._status("page stored"))
            return
        self.progress.line(
            f"page {self.checkpoint.pages}: stored {self._records(stored)} from {url} "
            f"({self._so_far()} so far; {self._budget_words()})"
        )

    def _summary(self):
        result = self.result
        checkpoint = self.checkpoint
        overall = ""
        if checkpoint.pages != result.pages:
            overall = f" ({self._stored(checkpoint)} in all)"
        self.progress.line(
            f"Finished: {count(result.pages, 'page')}, {self._records(result.records)} stored"
            f"{overall} in {count(result.calls, 'call')} ({count(result.retries, 'retry')}), "
            f"{seconds(result.seconds)}."
        )
        self.progress.summary(result.tallies)

    def _stop(self, what, retry_hint=True):
        checkpoint = self.checkpoint
        command = f"python manage.py import_ll2 --from {shlex.quote(self.given_url)} --resume"
        how = (
            f"To continue from this page, run: {command}"
            if retry_hint
            else f"Once that is sorted out, continue from this page with: {command}"
        )
        return MirrorError(
            f"{what}.\nEverything stored before stays: {self._stored(checkpoint)} of this "
            f"sync ({count(self.result.pages, 'page')} in this run).\n{how}"
        )


def sync(url, out, settings=None, resume=False, tty=None, quiet=False):
    """Mirror the list at ``url``; the ``Result``. Raises ``MirrorError`` with a clear message."""
    return Sync(url, out, settings, resume=resume, tty=tty, quiet=quiet).run()
