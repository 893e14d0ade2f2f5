"""``manage.py api_key create|revoke|list``: API keys from the command line.

``create NAME [--rate 1000/hour]`` prints the new key, the only time it is shown
(only its digest is stored). ``revoke NAME`` refuses the key from the next request
on, on every instance. ``list`` shows every key's name, first characters, rate and
dates, never a key.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from spacecraft.models import APIKey


class Command(BaseCommand):
    help = "Create, revoke or list API keys (Authorization: Token <key>)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make a key and print it (shown only once).")
        create.add_argument("name", help="Who uses the key; /api-throttle/ shows it as ident.")
        create.add_argument(
            "--rate",
            default="",
            help="The key's own rate, e.g. 1000/hour (default: API_THROTTLE_KEY).",
        )
        revoke = actions.add_parser("revoke", help="Refuse the key from now on (a 401).")
        revoke.add_argument("name")
        actions.add_parser("list", help="Every key's name, prefix, rate and dates.")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, name, rate, **options):
        try:
            api_key, key = APIKey.issue(name, rate=rate)
        except ValidationError as error:
            problems = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
            raise CommandError(problems) from None
        self.stderr.write(
            f"API key {api_key.name!r} created. It is shown only this once; only its "
            "digest is stored. Send it as 'Authorization: Token <key>':"
        )
        self.stdout.write(key)

    def handle_revoke(self, name, **options):
        api_key = APIKey.objects.filter(name=name).first()
        if api_key is None:
            raise CommandError(f"No API key named {name!r}.")
        if api_key.revoked:
            raise CommandError(f"API key {name!r} was already revoked at {api_key.revoked_at}.")
        api_key.revoke()
        self.stdout.write(f"API key {name!r} revoked.")

    def handle_list(self, **options):
        for api_key in APIKey.objects.order_by("name"):
            self.stdout.write(
                "\t".join(
                    [
                        api_key.name,
                        f"{api_key.prefix}...",
                        api_key.rate or "(API_THROTTLE_KEY)",
                        f"created {api_key.created_at.isoformat()}",
                        f"revoked {api_key.revoked_at.isoformat()}"
                        if api_key.revoked
                        else "active",
                    ]
                )
            )
