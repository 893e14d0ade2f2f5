"""``manage.py load_seed``: the 20 LL2 seed spacecraft, into an empty catalogue only.

``make run`` calls it on every start. ``loaddata`` alone would write the
fixture's rows over whatever is stored under the same ids each time, undoing
admin edits and what a detailed import brought; so a catalogue that already
has spacecraft is left as it is.
"""

from django.core.management import BaseCommand, call_command

from spacecraft.models import Spacecraft

FIXTURE = "ll2_seed"


class Command(BaseCommand):
    help = (
        "Load the LL2 seed data (fixtures/ll2_seed.json) if the catalogue has no spacecraft; "
        "otherwise change nothing."
    )

    def handle(self, *args, **options):
        stored = Spacecraft.objects.count()
        if stored:
            self.stdout.write(f"The catalogue has {stored} spacecraft: seed data not loaded.")
            return
        call_command("loaddata", FIXTURE, verbosity=options["verbosity"])
        self.stdout.write(f"Loaded the seed data: {Spacecraft.objects.count()} spacecraft.")
