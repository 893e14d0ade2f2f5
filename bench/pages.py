"""The browser pages at scale: ``python -m bench.pages --scale 100000``. Not a test.

Fills a fresh database with ``--scale`` spacecraft (one configuration per eight,
as in LL2's data, so 12,500 configurations at 100,000) by ``bulk_create``, in
seconds, then measures, in this process through Django's test client (so the
time is the server's own: the view, the template, the queries; no network):

- the browsable API's pages: HTML size, render time (median of ``--repeat``),
  the number of queries and whether the Filters dialog holds a ``<select>``
  listing a table; the spacecraft list also as django-filter would render it
  with its default ``<select>`` widgets, for comparison;
- the admin's spacecraft changelist (plain, searched, filtered, deep page) and
  change form: time, size, queries, and the ``COUNT`` queries each runs.

    python -m bench.pages                                  # SQLite file in a temp dir
    python -m bench.pages --database-url postgres://postgres@127.0.0.1:5432/ll2_pages
"""

import argparse
import datetime
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

API_PAGES = [
    "/2.3.0/spacecraft/",
    "/2.3.0/spacecraft/?in_space=false&status=2&limit=100",
    "/2.3.0/spacecraft/?search=capsule",
    "/2.3.0/spacecraft/?offset={last}",
    "/2.3.0/spacecraft/1/",
    "/2.3.0/spacecraft_configurations/",
    "/2.3.0/spacecraft_configuration_families/",
    "/2.3.0/agencies/",
]
ADMIN_PAGES = [
    "/admin/spacecraft/spacecraft/",
    "/admin/spacecraft/spacecraft/?q=capsule",
    "/admin/spacecraft/spacecraft/?q=SN-0001",
    "/admin/spacecraft/spacecraft/?status__id__exact=2",
    "/admin/spacecraft/spacecraft/?in_space__exact=1&status__id__exact=1",
    "/admin/spacecraft/spacecraft/?spacecraft_config__type__id__exact=1",
    "/admin/spacecraft/spacecraft/?q=orbital&in_space__exact=0",
    "/admin/spacecraft/spacecraft/?o=2",
    "/admin/spacecraft/spacecraft/?p={last_admin_page}",
    "/admin/spacecraft/spacecraft/1/change/",
    "/admin/spacecraft/spacecraftconfig/",
    "/admin/spacecraft/spacecraftconfig/?q=capsule",
    "/admin/spacecraft/spacecraftconfig/1/change/",
]
WORDS = "orbital crew cargo module capsule station docking lunar resupply heat shield".split()


def setup(database_url):
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="spacedevs.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY") or "pages-benchmark-" + "x" * 40,
        DEBUG="0",
        API_CACHE_SECONDS="0",  # measure rendering, not the response cache
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fill(count):
    """``count`` spacecraft, ``count // 8`` configurations, 200 agencies, by bulk_create."""
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from spacecraft import models
    from spacecraft.ingest.importer import refresh_statistics
    from spacecraft.storage import stamp

    call_command("migrate", "--noinput", verbosity=0)
    statuses = models.SpacecraftStatus.objects.bulk_create(
        models.SpacecraftStatus(id=n, name=name)
        for n, name in enumerate(["Active", "Retired", "Destroyed", "Unknown", "Lost"], 1)
    )
    types = models.SpacecraftConfigType.objects.bulk_create(
        models.SpacecraftConfigType(id=n, name=name)
        for n, name in enumerate(["Capsule", "Cargo", "Spaceplane", "Station module"], 1)
    )
    agency_type = models.AgencyType.objects.create(id=1, name="Government")
    agencies = models.Agency.objects.bulk_create(
        models.Agency(id=n, name=f"Agency {n}", abbrev=f"A{n}", type=agency_type)
        for n in range(1, 201)
    )
    configs = models.SpacecraftConfig.objects.bulk_create(
        (
            models.SpacecraftConfig(
                id=n,
                name=f"Config {n} {WORDS[n % len(WORDS)]}",
                type=types[n % len(types)],
                agency=agencies[n % len(agencies)],
                in_use=n % 2 == 0,
            )
            for n in range(1, max(1, count // 8) + 1)
        ),
        batch_size=2000,
    )
    day = datetime.timedelta(days=1)
    models.Spacecraft.objects.bulk_create(
        (
            models.Spacecraft(
                id=n,
                name=f"Craft {n} {WORDS[(n * 7) % len(WORDS)]}",
                serial_number=f"SN-{n:06d}",
                status=statuses[n % len(statuses)],
                spacecraft_config=configs[(n * 7919) % len(configs)],
                in_space=n % 10 == 0,
                is_placeholder=n % 20 == 0,
                flights_count=n % 30,
                mission_ends_count=n % 7,
                time_in_space=day * (n % 400),
                description=f"Spacecraft number {n}.",
            )
            for n in range(1, count + 1)
        ),
        batch_size=5000,
    )
    stamp.bump()

    class Tally:
        created, updated = count, 0

    refresh_statistics({"spacecraft": Tally()})  # ANALYZE on PostgreSQL, as an import does
    return User.objects.create_superuser("bench", "bench@example.org", "bench-password-1")


def measure(client, path, repeat, **headers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path, **headers)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
    body = response.content.decode()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    return {
        "path": path,
        "ms": statistics.median(times) * 1000,
        "bytes": len(response.content),
        "queries": len(queries.captured_queries),
        "counts": len(counts),
        "largest_select": max(
            (len(s) for s in re.findall(r"<select.*?</select>", body, re.S)), default=0
        ),
        "options": body.count("<option"),
    }


def with_select_widgets():
    """django-filter's default: each foreign key filter a <select> of its whole table."""
    from django import forms

    from spacecraft.api import filters

    for filterset in (filters.SpacecraftFilter, filters.SpacecraftConfigFilter):
        for item in filterset.base_filters.values():
            if isinstance(item, filters.RelatedIdFilter):
                item.extra["widget"] = forms.Select


def row(result):
    return (
        f"| `{result['path']}` | {result['bytes'] / 1024:,.0f} KiB | {result['ms']:,.0f} ms "
        f"| {result['queries']} | {result['counts']} | {result['options']:,} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='ll2-pages-')}/pages.sqlite3"
    if url.startswith("postgres"):
        from bench.run import fresh_database

        fresh_database(url)
    setup(url)
    from django.db import connection
    from django.test import Client

    started = time.perf_counter()
    user = fill(args.scale)
    print(f"{connection.vendor}: {args.scale:,} spacecraft, {args.scale // 8:,} configurations")
    print(f"generated in {time.perf_counter() - started:.1f} s\n")

    client = Client(HTTP_HOST="127.0.0.1")
    last = max(0, args.scale - 10)
    header = (
        "| page | HTML | time (median) | queries | COUNT queries | `<option>`s |\n"
        "|---|---|---|---|---|---|"
    )
    print("Browsable API (`Accept: text/html`)\n" + header)
    for path in API_PAGES:
        print(row(measure(client, path.format(last=last), args.repeat, HTTP_ACCEPT="text/html")))

    client.force_login(user)
    print("\nAdmin\n" + header)
    for path in ADMIN_PAGES:
        path = path.format(last_admin_page=args.scale // 50 - 1)
        print(row(measure(client, path, args.repeat)))

    with_select_widgets()
    print("\nFor comparison, django-filter's default `<select>` widgets\n" + header)
    for path in ("/2.3.0/spacecraft/", "/2.3.0/spacecraft_configurations/"):
        print(row(measure(client, path, args.repeat, HTTP_ACCEPT="text/html")))


if __name__ == "__main__":
    main()
