"""What an import shows while it runs and when it ends: file imports and syncs alike.

One ``Progress`` per command: a live bar (tqdm) on a terminal, plain lines
elsewhere (a pipe, a log), nothing but errors when quiet; and one summary,
a line per kind in write order. Counts are worded by ``words``, with their
plurals ("1 page", "2 pages", "1 retry", "3 retries", "5 spacecraft").
"""

from django.core.management.base import OutputWrapper
from tqdm import tqdm

from spacecraft.ingest.kinds import WRITE_ORDER
from spacecraft.ingest.writing import Tally


def summary_lines(tallies):
    """One line per kind, always all kinds, in write order."""
    return [
        f"{kind}: {t.created} created, {t.updated} updated, {t.unchanged} unchanged"
        for kind, t in ((kind, tallies.get(kind) or Tally()) for kind in WRITE_ORDER)
    ]


class Progress:
    """A live bar over ``unit`` (files, spacecraft, flights) on a terminal; lines elsewhere.

    ``bar``: whether a terminal gets the bar at all (a file import shows none
    for one file); ``quiet`` (``--verbosity 0``): no lines either.
    """

    def __init__(self, out, unit, bar=True, quiet=False, tty=None):
        # tqdm writes "\r" and half lines: to the stream itself, not through Django's wrapper.
        self.out = out._out if isinstance(out, OutputWrapper) else out
        self.tty = self.out.isatty() if tty is None else tty
        self.quiet = quiet
        self.live = bar and self.tty and not quiet
        self.unit = unit
        self.bar = None

    def line(self, text):
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(text, file=self.out)  # above the bar, which is redrawn below it
        else:
            self.out.write(text + "\n")
            self.out.flush()

    def status(self, text, done, total=None):
        """Show ``done`` of ``total`` (None: not known yet) and ``text`` on the bar.

        The first call draws the bar; what is already ``done`` then (a resumed
        sync's records) is not counted in its rate.
        """
        if not self.live:
            return
        if self.bar is None:
            self.bar = tqdm(
                file=self.out,
                total=total,
                unit=f" {self.unit}",
                initial=done,
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

    def clear(self):
        """Out of the way of a message written elsewhere (it comes back with the next status)."""
        if self.bar is not None:
            self.bar.clear()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def summary(self, tallies):
        self.close()
        for text in summary_lines(tallies):
            self.line(text)
