import gc
import time

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from tqdm import tqdm

from spacecraft.ingest import mirror
from spacecraft.ingest.importer import (
    WRITE_ORDER,
    ImportFailure,
    Tally,
    import_path,
    refresh_statistics,
)

GC_THRESHOLD = 10_000  # allocations between runs of the cyclic garbage collector


def summary_lines(tallies):
    """One line per kind, always all kinds, in write order."""
    lines = []
    for kind in WRITE_ORDER:
        t = tallies.get(kind) or Tally()
        lines.append(f"{kind}: {t.created} created, {t.updated} updated, {t.unchanged} unchanged")
    return lines


class Progress:
    """A live bar (tqdm) over the files, on a terminal only: a pipe or a log gets no progress."""

    def __init__(self, out, total, enabled):
        stream = out._out if isinstance(out, OutputWrapper) else out
        self.bar = None
        if enabled and total > 1 and stream.isatty():
            self.bar = tqdm(
                total=total, unit=" files", file=stream, leave=False, mininterval=0, disable=False
            )
        self.started = time.monotonic()

    def update(self, done, tallies):
        if self.bar is None:
            return
        spacecraft = tallies.get("spacecraft") or Tally()
        records = spacecraft.created + spacecraft.updated + spacecraft.unchanged
        rate = records / max(time.monotonic() - self.started, 1e-6)
        self.bar.set_postfix_str(f"{records:,} spacecraft · {rate:,.0f}/s", refresh=False)
        self.bar.update(done - self.bar.n)
        self.bar.refresh()

    def clear(self):
        """Out of the way of a message (it comes back with the next update)."""
        if self.bar is not None:
            self.bar.clear()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Import LL2 2.3.0 spacecraft data (a page, a list or one object; normal or "
        "detailed; JSON or a saved browsable-API page). Upserts by LL2 id; each file "
        "is one transaction: a bad file changes nothing and makes the command fail."
    )
    # A data command: Django's system checks (URLs, admin, models; 0.15 s of CPU,
    # 3% of importing 5,000 spacecraft) run with migrate, check and the server.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH")
        mirror.add_arguments(parser)  # --from URL and its options

    def handle(self, *args, **options):
        if mirror.wanted(options):
            mirror.handle(options, self.stdout)
            return
        paths = options["paths"]
        if not paths:
            raise CommandError("give one or more PATHs to import, or --from URL to mirror a server")
        tallies, failed = {}, []
        progress = Progress(self.stdout, len(paths), options["verbosity"] == 1)
        # A page makes a few hundred thousand objects, all freed by reference
        # counting; at the default threshold (700 allocations) the cyclic
        # collector runs hundreds of times a page for nothing, about a tenth
        # of the import's time. It still runs, just less often.
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
        try:
            for done, path in enumerate(paths, 1):
                try:
                    import_path(path, tallies)
                except ImportFailure as error:
                    failed.append(path)
                    progress.clear()
                    self.stderr.write(f"{path}: {error} (nothing from this file was saved)")
                else:
                    if options["verbosity"] > 1:
                        self.stdout.write(f"{path}: imported")
                progress.update(done, tallies)
        finally:
            gc.set_threshold(*thresholds)
        progress.close()
        refresh_statistics(tallies)
        if options["verbosity"] > 0:
            for line in summary_lines(tallies):
                self.stdout.write(line)
        if failed:
            raise CommandError(f"{len(failed)} of {len(paths)} files failed: {', '.join(failed)}")
