import io
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from devtools.catalogue import HOST, catalogue_records
from devtools.ll2data import SEED_FILES, SEEDS, load_seed  # noqa: F401  (for the tests)
from spacecraft.api.views import LL2ViewSet

# The real-browser fixtures (site, page, admin_page...).
pytest_plugins = ["tests.browser"]

LL2 = Path(__file__).resolve().parent.parent / "fixtures" / "ll2"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ll2_seed.json"


# --- comparing our answers with LL2's data ---------------------------------------------


def as_ll2(value):
    """``value`` (one of our answers, parsed) without the keys of our own
    (``declarations.OWN_FIELDS``: LL2 never sends them), at every level, key order kept:
    what compares with LL2's data. The same value when we declare none."""
    from spacecraft import declarations

    own = declarations.own_keys()
    if not own:
        return value
    return _without(value, own)


def _without(value, keys):
    if isinstance(value, dict):
        return {key: _without(item, keys) for key, item in value.items() if key not in keys}
    if isinstance(value, list):
        return [_without(item, keys) for item in value]
    return value


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Only tests marked ``server`` may start processes (see devtools/servers.py)."""
    from devtools import servers

    servers.RUNNING.update(test=item.nodeid, marked=item.get_closest_marker("server") is not None)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def seeded(db):
    """The 20 seed spacecraft, as the README's run command loads them."""
    call_command("loaddata", str(FIXTURE), verbosity=0)


@pytest.fixture
def response_cache(settings):
    """The response cache on, in this process only (no Redis), empty before and after."""
    from spacecraft.serving import cache

    settings.API_CACHE_SECONDS = 300
    settings.API_CACHE_SHARED = None
    cache.store.clear()
    yield
    cache.store.clear()


# --- the admin, as a person uses it (test_admin.py, test_flights_admin.py) ----------------


PASSWORD = "correct horse battery staple"


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def url(model, action, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=args)


@pytest.fixture
def fast_password_hashing(settings):
    # Logging in is what these tests do most; the default hasher takes ~0.5 s a hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("editor", "editor@example.org", PASSWORD)


@pytest.fixture
def editor(superuser):
    """A CSRF-enforcing client logged in through the admin's login form."""
    client = Client(enforce_csrf_checks=True)
    login = reverse("admin:login")
    response = client.get(login)
    assert response.status_code == 200
    response = client.post(
        login,
        {
            "username": "editor",
            "password": PASSWORD,
            "next": "/admin/",
            "csrfmiddlewaretoken": csrf_token(response),
        },
    )
    assert response.status_code == 302, response.content
    assert response["Location"] == "/admin/"
    return client


@pytest.fixture
def api_cache(settings):
    """Response caching on, where the API has it, so "the next request" is a real test."""
    middleware = "spacecraft.serving.cache.ResponseCacheMiddleware"
    if middleware not in settings.MIDDLEWARE:
        return
    from spacecraft.serving import cache

    settings.API_CACHE_SECONDS = 300
    cache.store.clear()
    yield
    cache.store.clear()


def csrf_token(response):
    match = CSRF_INPUT.search(response.content.decode())
    assert match, "the page has no CSRF token"
    return match.group(1)


def submit(client, page, data, expect_saved=True):
    """GET a form page, then POST ``data`` with the page's CSRF token."""
    response = client.get(page)
    assert response.status_code == 200
    response = client.post(page, {**data, "csrfmiddlewaretoken": csrf_token(response)})
    if expect_saved:
        assert response.status_code == 302, form_errors(response)
    return response


def form_errors(response):
    context = response.context
    if not context or "adminform" not in context:
        return response.content[:2000]
    errors = dict(context["adminform"].form.errors)
    for formset in context.get("inline_admin_formsets", []):
        errors["inlines"] = formset.formset.errors
    return errors


# --- running import_ll2 on files (test_import.py, test_flights_import.py) -----------------


SUMMARY_LINE = re.compile(r"^(?P<kind>[a-z ]+): (\d+) created, (\d+) updated, (\d+) unchanged$")


def run(*paths):
    """Run the command; (stdout, stderr). Raises CommandError like the command."""
    out, err = StringIO(), StringIO()
    call_command("import_ll2", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fail(*paths):
    """Run the command expecting failure; (stdout, stderr + the error's message)."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_ll2", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue() + str(caught.value)


def summary(out):
    """{kind: (created, updated, unchanged)} from the command's summary lines."""
    tallies = {}
    for line in out.splitlines():
        match = SUMMARY_LINE.match(line)
        if match:
            tallies[match["kind"]] = tuple(int(n) for n in match.groups()[1:])
    return tallies


def dump():
    """Every row of every table, so "nothing changed" can be compared whole."""
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            tables[table] = sorted(repr(row) for row in cursor.fetchall())
    return tables


def write_json(path, value):
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")
    return path


# --- the hand-written catalogue, served as LL2's own host (devtools/catalogue.py) -------


def import_catalogue():
    from spacecraft.ingest.importer import import_document

    records = catalogue_records()
    import_document({"count": len(records), "next": None, "previous": None, "results": records})
    return records


def get_json(api, path, params=None, **extra):
    """GET as LL2's own host, so that every url is LL2's; parsed, without the keys of our
    own (``as_ll2``), to compare with LL2's data."""
    response = api.get(path, params or {}, HTTP_HOST=HOST, secure=True, **extra)
    assert response.status_code == 200, response.content[:500]
    return as_ll2(json.loads(response.content))


@pytest.fixture
def catalogue(db, settings):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    return import_catalogue()


def dicts(value, path="$"):
    """(path, object) for every JSON object in ``value``, ``value`` included."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from dicts(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from dicts(item, f"{path}[{index}]")


# --- syncing from a server (test_mirror.py, test_flights_mirror.py) ---------------------


FAST = {
    "calls_per_hour": 0,
    "retry_delay": 0.05,
    "max_retry_delay": 2.0,
    "retry_after_margin": 0.05,
    "timeout": 3.0,
}


def sync(url, resume=False, out=None, **settings):
    """Runs a sync the way ``import_ll2 --from`` does, with test-sized delays."""
    out = out if out is not None else io.StringIO()
    options = {"from_url": url, "resume": resume, "paths": [], "verbosity": 1}
    from spacecraft.ingest import mirror
    from spacecraft.management.commands.import_ll2 import mirror_from

    mirror_from(options, OutputWrapper(out), settings=mirror.Settings(**{**FAST, **settings}))
    return out.getvalue()


def sorted_nested_lists(record):
    """``record`` with its nested lists in id order, as LL2 sends them."""
    if isinstance(record, dict):
        return {key: sorted_nested_lists(value) for key, value in record.items()}
    if isinstance(record, list):
        items = [sorted_nested_lists(item) for item in record]
        return sorted(items, key=lambda item: item["id"]) if items else items
    return record


# --- the fast path against the serializers' (test_fast_equivalence.py, test_figures.py) -----


def both(api, monkeypatch, path, **params):
    """(fast answer, serializer answer) to the same request."""
    fast = api.get(path, params)
    monkeypatch.setattr(LL2ViewSet, "fast", False)
    try:
        slow = api.get(path, params)
    finally:
        monkeypatch.setattr(LL2ViewSet, "fast", True)
    return fast, slow


def assert_identical(fast, slow):
    assert fast.status_code == slow.status_code, (fast.content[:300], slow.content[:300])
    assert fast["Content-Type"] == slow["Content-Type"]
    assert fast.content == slow.content


# --- the spacecraft change form (test_figures.py, test_flights_admin.py) ---------------------


def spacecraft_form(craft, **changes):
    """The admin's change form of ``craft`` as it stands, with no flight rows, and ``changes``."""
    data = {
        "name": craft.name,
        "serial_number": craft.serial_number or "",
        "status": craft.status_id,
        "spacecraft_config": craft.spacecraft_config_id,
        "image": "",
        "description": craft.description,
        "is_placeholder": "",
        "in_space": "on" if craft.in_space else "",
        "flights_count": "" if craft.flights_count is None else craft.flights_count,
        "mission_ends_count": "" if craft.mission_ends_count is None else craft.mission_ends_count,
        "time_in_space": iso(craft.time_in_space),
        "time_docked": iso(craft.time_docked),
        "fastest_turnaround": iso(craft.fastest_turnaround),
        "flights-TOTAL_FORMS": "0",
        "flights-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    data.update(changes)
    return data


def iso(value):
    """A duration as the admin's box shows it."""
    from spacecraft.fields import format_duration

    return format_duration(value) or ""


# --- one tick of the clock per test ------------------------------------------------------


@pytest.fixture(autouse=True)
def steady_clock(monkeypatch):
    """The API's clock (``figures.wall_clock``) stands still for each test, at the time it
    started: an imported spacecraft in space has a ``time_in_space`` that grows with it, and a
    test that compares answers with what it imported must not see a minute go by. Tests of
    the clock set their own (``test_figures.py``, ``test_front_door.py``)."""
    from spacecraft import figures

    now = figures.wall_clock()
    monkeypatch.setattr(figures, "wall_clock", lambda: now)
