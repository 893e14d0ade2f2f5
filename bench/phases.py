"""Where an import's time goes: ``python -m bench.phases PATH...`` (run by ``bench/run.py``).

Runs ``manage.py import_ll2 PATH...`` in this process (``call_command``) on
the configured, migrated database, with a timer around each phase, and
prints one JSON object of seconds:

* ``decode``: reading a file's bytes into Python values (``load_document``);
* ``encode``: a launch's or landing's stored text (``documents.stored_form``);
* ``check``: launches and landings against the official schema
  (``documents.check``, a detailed flight's crews and docking events too);
* ``merge``: the rest of validating and flattening records into rows
  (``collect`` without the two above);
* ``write``: the upserts (``write``);
* ``other``: the rest of the command (opening files, commits, the catalogue
  stamp, sequences, ``ANALYZE``);
* ``total``: the command, without Python's and Django's start-up.

The timers wrap the functions the importer calls, by their names below
(``PHASES``); each phase's figure leaves out the phases inside it.
"""

import json
import sys
import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from spacecraft import documents  # noqa: E402
from spacecraft.ingest import writing  # noqa: E402

# phase: (module, name of the function the importer calls through it): a file's import is
# ``writing.import_path``, which calls these by the names it imported them under.
PHASES = {
    "decode": (writing, "load_document"),
    "encode": (documents, "stored_form"),
    "check": (documents, "check"),
    "merge": (writing, "collect"),
    "write": (writing, "write"),
}


class Timers:
    """Exclusive time per phase: a phase's clock stops while a nested one runs."""

    def __init__(self):
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.stack = []  # (phase, started) of the phases running

    def wrap(self, phase, function):
        def timed(*args, **kwargs):
            now = time.perf_counter()
            if self.stack:
                outer, started = self.stack[-1]
                self.seconds[outer] += now - started
            self.stack.append((phase, now))
            try:
                return function(*args, **kwargs)
            finally:
                now = time.perf_counter()
                _, started = self.stack.pop()
                self.seconds[phase] += now - started
                if self.stack:
                    self.stack[-1] = (self.stack[-1][0], now)

        return timed


def main(paths):
    timers = Timers()
    for phase, (module, name) in PHASES.items():
        setattr(module, name, timers.wrap(phase, getattr(module, name)))
    started = time.perf_counter()
    call_command("import_ll2", *paths, verbosity=0)
    total = time.perf_counter() - started
    figures = dict(timers.seconds)
    figures["other"] = total - sum(figures.values())
    figures["total"] = total
    print(json.dumps(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
