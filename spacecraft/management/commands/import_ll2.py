from django.core.management.base import BaseCommand, CommandError

from spacecraft.importer import WRITE_ORDER, ImportFailure, import_path


class Command(BaseCommand):
    help = (
        "Import LL2 2.3.0 spacecraft data (a page, a list or one object; normal or "
        "detailed; JSON or a saved browsable-API page). Upserts by LL2 id; each file "
        "is one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")

    def handle(self, *args, **options):
        tallies, failures = {}, []
        for path in options["paths"]:
            try:
                import_path(path, tallies)
            except ImportFailure as error:
                failures.append(f"{path}: {error}")
                self.stderr.write(f"{path}: {error} (nothing from this file was saved)")
            else:
                if options["verbosity"] > 1:
                    self.stdout.write(f"{path}: imported")
        for kind in WRITE_ORDER:
            if kind in tallies:
                t = tallies[kind]
                self.stdout.write(
                    f"{kind}: {t.created} created, {t.updated} updated, {t.unchanged} unchanged"
                )
        if failures:
            raise CommandError(f"{len(failures)} of {len(options['paths'])} file(s) failed")
