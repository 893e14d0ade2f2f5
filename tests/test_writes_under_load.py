"""Writes while readers read: no errors, and every page is whole.

A real server process (production settings, its own database) is read by
several client threads while other processes write: a writer that adds and
removes a block of spacecraft as fast as it can, ``import_ll2``, and admin
saves over HTTP. Every answer must be a 200, and every page must belong to
one state of the catalogue: its ``count`` and its ``results`` agree.

The writer flips the catalogue between two states, BASE and BASE + BLOCK
spacecraft, where the block has the highest ids. A reader asks for the page
at offset BASE - TAIL: in one state it holds TAIL records and no block id, in
the other TAIL + BLOCK records and every block id. A page whose ``count``
(one query) and ``results`` (another) were read in different states fails
this check. Without the snapshot middleware (spacecraft/serving/snapshot.py) this
test fails on SQLite and on PostgreSQL within a few seconds. The writer bumps the catalogue's
stamp with its bulk insert, as any bulk writer must (docs/production.md): counts are kept per
stamp (spacecraft/storage/counts.py), so a bulk write that did not say so would be counted as
the state before it.
"""

import http.cookiejar
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter

import pytest

from devtools import servers
from devtools.fake_ll2 import detailed_records

BASE = 120  # spacecraft imported before the test
BLOCK = 25  # spacecraft the writer adds and removes
BLOCK_FIRST_ID = 900_001
TAIL = 20  # records on the checked page in the smaller state
READERS = 6
SECONDS = 6  # the writer writes for at least this long...
MIN_FLIPS = 100  # ...and at least this many times, however slow the machine is

WRITER = """
import time
from django.db import transaction
from spacecraft.models import Spacecraft
from spacecraft.storage import stamp

template = Spacecraft.objects.order_by("id").first()
ids = range({first}, {first} + {block})
deadline = time.monotonic() + {seconds}
flips = 0
while time.monotonic() < deadline or flips < {min_flips}:
    with transaction.atomic():
        Spacecraft.objects.bulk_create(
            Spacecraft(
                id=pk,
                name=f"Writer block {{pk}}",
                status_id=template.status_id,
                spacecraft_config_id=template.spacecraft_config_id,
            )
            for pk in ids
        )
        stamp.bump()  # bulk_create sends no signals: a new state of the catalogue, said so
    with transaction.atomic():
        Spacecraft.objects.filter(id__in=list(ids)).delete()
    flips += 2
print(flips)
"""


@pytest.fixture(scope="module")
def catalogue():
    with servers.database("writes") as database:
        database.import_records(detailed_records(BASE))
        yield database


class Readers:
    """``READERS`` threads GETting ``targets`` in turn until stopped; ``check`` judges each."""

    def __init__(self, server, targets, check):
        self.server, self.targets, self.check = server, targets, check
        self.stop = threading.Event()
        self.answers = 0
        self.errors = []  # (target, what went wrong)
        self.seen = Counter()  # what ``check`` reported
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(number,), daemon=True)
            for number in range(READERS)
        ]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _run(self, number):
        turn = number
        while not self.stop.is_set():
            target = self.targets[turn % len(self.targets)]
            turn += 1
            try:
                status, _, body = self.server.get(target)
                if status != 200:
                    outcome = ("error", f"status {status}: {body[:300]!r}")
                else:
                    outcome = self.check(target, json.loads(body))
            except Exception as error:  # any failure is reported, never raised in a thread
                outcome = ("error", repr(error))
            with self.lock:
                self.answers += 1
                if outcome[0] == "error":
                    self.errors.append((target, outcome[1]))
                else:
                    self.seen[outcome] += 1


def page_is_whole(target, page):
    """("ok", state) when the page belongs to one state, ("error", why) when it is torn."""
    count, results = page["count"], page["results"]
    block_ids = {record["id"] for record in results if record["id"] >= BLOCK_FIRST_ID}
    if "search=" in target:
        expected = {0: (0, set()), BLOCK: (BLOCK, set(BLOCK_IDS))}
    else:
        expected = {BASE: (TAIL, set()), BASE + BLOCK: (TAIL + BLOCK, set(BLOCK_IDS))}
    if count not in expected:
        return ("error", f"count {count} is neither state")
    if (len(results), block_ids) != expected[count]:
        return ("error", f"count {count} with {len(results)} results, {len(block_ids)} new")
    return ("ok", count)


BLOCK_IDS = range(BLOCK_FIRST_ID, BLOCK_FIRST_ID + BLOCK)
PAGE = f"/2.3.0/spacecraft/?format=json&limit=100&offset={BASE - TAIL}"
PAGES = [
    PAGE,
    PAGE + "&mode=detailed",
    PAGE + "&ordering=id",
    "/2.3.0/spacecraft/?format=json&limit=100&search=Writer+block",
]


@pytest.mark.server
def test_every_page_is_whole_while_a_writer_adds_and_removes_spacecraft(catalogue):
    # Response caching off: each answer is read from the database.
    with servers.server(catalogue, API_CACHE_SECONDS=0) as server:
        writer = servers.start(
            "manage.py",
            "shell",
            "-v0",
            "-c",
            WRITER.format(first=BLOCK_FIRST_ID, block=BLOCK, seconds=SECONDS, min_flips=MIN_FLIPS),
            env=catalogue.env(),
        )
        with Readers(server, PAGES, page_is_whole) as readers:
            out, err = writer.communicate(timeout=SECONDS + 120)
        assert writer.returncode == 0, err
    flips = int(out.strip().splitlines()[-1])
    assert readers.errors == [], (
        f"{len(readers.errors)} of {readers.answers} answers were errors or torn pages, "
        f"e.g. {readers.errors[:5]}"
    )
    # The check had something to catch: the catalogue changed hundreds of
    # times while it was read, and readers saw both states.
    assert flips >= MIN_FLIPS
    assert readers.answers >= 100
    assert readers.seen[("ok", BASE)] + readers.seen[("ok", 0)] >= 10
    assert readers.seen[("ok", BASE + BLOCK)] + readers.seen[("ok", BLOCK)] >= 10


# --- an import and admin saves while readers read --------------------------------------

IMPORTED = 400  # records in the file imported under load (ids 1..400: updates and new)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class AdminSession:
    """A logged-in admin user of a server, over HTTP with cookies and CSRF tokens."""

    def __init__(self, server, username, password):
        self.server = server
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.server.url + "/admin/login/?next=/admin/"
        response = self.post(page, {"username": username, "password": password})
        assert response.geturl().endswith("/admin/"), "the admin login failed"

    def post(self, page, data):
        form = self.opener.open(page, timeout=30).read().decode()
        token = CSRF_INPUT.search(form).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        return self.opener.open(page, data=body, timeout=30)

    def save_spacecraft(self, record, name):
        """Save ``record`` (as the API renders it) with a new name through its change form."""

        def nested_id(key):
            value = record[key]
            return str(value["id"]) if value else ""

        data = {
            "name": name,
            "serial_number": record["serial_number"] or "",
            "status": nested_id("status"),
            "spacecraft_config": nested_id("spacecraft_config"),
            "image": nested_id("image"),
            "description": record["description"],
            "flights_count": "" if record["flights_count"] is None else record["flights_count"],
            "mission_ends_count": record["mission_ends_count"],
            "time_in_space": record["time_in_space"] or "",
            "time_docked": record["time_docked"] or "",
            "fastest_turnaround": record["fastest_turnaround"] or "",
            # The flights inline: these records have none.
            "flights-TOTAL_FORMS": "0",
            "flights-INITIAL_FORMS": "0",
            "_save": "Save",
        }
        for flag in ("is_placeholder", "in_space"):
            if record[flag]:
                data[flag] = "on"
        page = f"{self.server.url}/admin/spacecraft/spacecraft/{record['id']}/change/"
        response = self.post(page, data)
        # A saved form redirects to the list; a refused one is shown again.
        assert response.geturl().endswith("/admin/spacecraft/spacecraft/"), response.read()[:2000]


def whole_list_page(target, page):
    count, results = page["count"], page["results"]
    offset = int(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query))["offset"])
    if len(results) != max(0, min(100, count - offset)):
        return ("error", f"count {count} with {len(results)} results at offset {offset}")
    return ("ok", "list")


def any_answer(target, body):
    return ("ok", "other")


def check(target, body):
    if "offset=" in target:
        return whole_list_page(target, body)
    return any_answer(target, body)


MIXED = [
    "/2.3.0/spacecraft/?format=json&limit=100&offset=50",
    "/2.3.0/spacecraft/?format=json&mode=detailed&limit=100&offset=100",
    "/2.3.0/spacecraft/?format=json&search=Craft+1&limit=100&offset=0",
    "/2.3.0/spacecraft/7/?format=json",
    "/2.3.0/spacecraft_configurations/?format=json&mode=detailed",
    "/2.3.0/agencies/?format=json&limit=100&offset=0",
    "/2.3.0/spacecraft/?format=json&ordering=-time_in_space&limit=100&offset=120",
]


@pytest.mark.server
def test_an_import_and_admin_saves_while_readers_read(catalogue):
    password = "admin-under-load-password"
    catalogue.manage(
        "createsuperuser",
        "--noinput",
        "--username",
        "loadadmin",
        "--email",
        "admin@example.org",
        env=catalogue.env(DJANGO_SUPERUSER_PASSWORD=password),
    )
    changed = detailed_records(IMPORTED)
    for record in changed:
        record["description"] = f"Imported under load: {record['id']}."
    path = f"{catalogue.tmp}/under-load.json"
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"count": IMPORTED, "next": None, "previous": None, "results": changed}, handle)

    with servers.server(catalogue) as server:
        admin = AdminSession(server, "loadadmin", password)
        with Readers(server, MIXED, check) as readers:
            importer = servers.start("manage.py", "import_ll2", path, "-v0", env=catalogue.env())
            saved = []
            for pk in range(1, 31):
                status, _, record = server.get_json(f"/2.3.0/spacecraft/{pk}/?format=json")
                assert status == 200
                admin.save_spacecraft(record, f"Saved in the admin {pk}")
                saved.append(pk)
            _, err = importer.communicate(timeout=300)
            assert importer.returncode == 0, err
            time.sleep(0.5)  # readers also read the final state

        assert readers.errors == [], (
            f"{len(readers.errors)} of {readers.answers} answers failed, e.g. {readers.errors[:5]}"
        )
        assert readers.answers >= 50
        # Both writers' work is there, whichever committed last.
        records = {}
        for offset in range(0, IMPORTED, 100):
            _, _, page = server.get_json(
                f"/2.3.0/spacecraft/?format=json&limit=100&offset={offset}"
            )
            assert page["count"] == IMPORTED
            records.update((record["id"], record) for record in page["results"])
    assert sorted(records) == list(range(1, IMPORTED + 1))
    original = {record["id"]: record for record in detailed_records(IMPORTED)}
    for pk, record in records.items():
        imported = f"Imported under load: {pk}."
        if pk in saved:
            # An admin save that came after the import's commit keeps its name
            # (and the description its form was read with); one that came before
            # was overwritten by the file. Never anything else.
            assert record["name"] in {f"Saved in the admin {pk}", original[pk]["name"]}
            assert record["description"] in {imported, original[pk]["description"]}
        else:
            assert record["description"] == imported
            assert record["name"] == original[pk]["name"]
