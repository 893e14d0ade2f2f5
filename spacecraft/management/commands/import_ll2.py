"""``import_ll2``: import LL2 files, or mirror a server with ``--from URL``.

The command line lives here: the paths, ``--from`` and its options. Files
go to the importer (``spacecraft.ingest.importer``), ``--from`` to a sync
(``spacecraft.ingest.mirror``); both show their progress and summary with
``spacecraft.ingest.progress``.
"""

import gc
import math
import os
import time

from django.core.management.base import BaseCommand, CommandError

from spacecraft.ingest import mirror
from spacecraft.ingest.importer import ImportFailure, import_path, refresh_statistics
from spacecraft.ingest.progress import Progress
from spacecraft.ingest.words import count

GC_THRESHOLD = 10_000  # allocations between runs of the cyclic garbage collector

# The options of --from, as the command line spells them.
OPTION_FLAGS = {
    "resume": "--resume",
    "calls_per_hour": "--calls-per-hour",
    "token": "--token",
    "timeout": "--timeout",
    "retries": "--retries",
    "retry_delay": "--retry-delay",
}


def add_mirror_arguments(parser):
    defaults = mirror.Settings()
    group = parser.add_argument_group("mirroring a live LL2-compatible server")
    group.add_argument(
        "--from",
        dest="from_url",
        metavar="URL",
        help="sync from an LL2-compatible list URL (/2.3.0/spacecraft/ or "
        "/2.3.0/spacecraft_flights/), following its next links "
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
        help=f"at most N calls in any hour (default {mirror.DEFAULT_CALLS_PER_HOUR}, LL2's "
        "anonymous budget; 0: no pacing)",
    )
    group.add_argument(
        "--token",
        help=f"LL2 API key, sent as 'Authorization: Token ...' (default: ${mirror.TOKEN_ENV})",
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


def mirror_wanted(options):
    """Whether the command was asked to mirror (``--from`` or one of its options)."""
    return options.get("from_url") is not None or any(
        options.get(name) not in (None, False) for name in OPTION_FLAGS
    )


def settings_from_options(options):
    settings = mirror.Settings()
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
        token = os.environ.get(mirror.TOKEN_ENV)
    settings.token = (token or "").strip() or None
    return settings


def mirror_from(options, out, settings=None, tty=None):
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
        return mirror.sync(
            url,
            out,
            settings,
            resume=options.get("resume", False),
            tty=tty,
            quiet=options.get("verbosity", 1) == 0,
        )
    except mirror.MirrorError as error:
        raise CommandError(str(error)) from None


def read_words(read):
    """ "250 spacecraft, 18 flights": the records the files held, by kind."""
    return ", ".join(count(number, kind) for kind, number in read.items()) or "0 records"


class Command(BaseCommand):
    help = (
        "Import LL2 2.3.0 data from /spacecraft/, /spacecraft_flights/ or /agencies/ (a page, "
        "a list or one object; any mode; JSON or a saved browsable-API page). Upserts by LL2 "
        "id, keeping stored values for keys a record leaves out; each file "
        "is one transaction: a bad file changes nothing and makes the command fail."
    )
    # A data command: Django's system checks (URLs, admin, models; 0.15 s of CPU,
    # 3% of importing 5,000 spacecraft) run with migrate, check and the server.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH")
        add_mirror_arguments(parser)

    def handle(self, *args, **options):
        if mirror_wanted(options):
            mirror_from(options, self.stdout)
            return
        paths = options["paths"]
        if not paths:
            raise CommandError("give one or more PATHs to import, or --from URL to mirror a server")
        verbosity = options["verbosity"]
        tallies, read, failed = {}, {}, []
        # A live bar over the files on a terminal, for more than one file.
        progress = Progress(
            self.stdout, "files", bar=verbosity == 1 and len(paths) > 1, quiet=verbosity == 0
        )
        progress.status("", 0, len(paths))
        started = time.monotonic()
        # A page makes a few hundred thousand objects, all freed by reference
        # counting; at the default threshold (700 allocations) the cyclic
        # collector runs hundreds of times a page for nothing, about a tenth
        # of the import's time. It still runs, just less often.
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
        try:
            for done, path in enumerate(paths, 1):
                try:
                    import_path(path, tallies, read)
                except ImportFailure as error:
                    failed.append(path)
                    progress.clear()
                    self.stderr.write(f"{path}: {error} (nothing from this file was saved)")
                else:
                    if verbosity > 1:
                        progress.line(f"{path}: imported")
                rate = sum(read.values()) / max(time.monotonic() - started, 1e-6)
                progress.status(f"{read_words(read)} · {rate:,.0f}/s", done, len(paths))
        finally:
            gc.set_threshold(*thresholds)
        refresh_statistics(tallies)
        progress.summary(tallies)
        if failed:
            raise CommandError(f"{len(failed)} of {len(paths)} files failed: {', '.join(failed)}")
