"""Real-browser tests: Debian's Chromium driven by Playwright, against real servers.

Loaded by ``tests/conftest.py`` as a plugin. What it gives the browser tests:

- ``site``: a server process on a database of its own holding the LL2 seed data
  and an admin user, once per test module and per way of serving: ``gunicorn``
  (production settings, ``DEBUG`` off, after ``collectstatic``, static files from
  whitenoise) and ``runserver`` (``DEBUG=1``, as ``make run`` starts it);
- ``page``: a fresh browser tab on that site that fails its test, at teardown,
  on any console error, page error (an uncaught exception in a script), failed
  request, or answer of 400 or more to anything but a page the test said it
  expects (``page.watch.expect(status, path)``); any request to another host
  fails the test too (``page.watch.intercept()`` also refuses them before they
  leave the browser);
- ``admin_page``: the same, logged in to the admin.

Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run``
installs it), never a browser Playwright downloads. When it is missing, every
browser test fails with the reason, unless ``SKIP_BROWSER_TESTS=1`` says to skip
them on purpose. ``SCREENSHOTS=1`` makes the tests that take the documentation's
screenshots write them to ``docs/screenshots/`` (``make screenshots``).
"""

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from devtools import servers

CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls home (updates, sync, safe browsing) and logs the refusals.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 20_000
ADMIN_USER, ADMIN_PASSWORD = "editor", "a-long-test-password-7731"
SITES = ["gunicorn", "runserver"]

# The seed data (20 LL2 spacecraft, all on the ground, none a placeholder) with a few
# flags changed, so that every boolean filter keeps some records and drops others,
# two image variant types and one variant (the seeds have none), and the admin user.
PREPARE = f"""
from django.contrib.auth.models import User
from spacecraft.models import ImageVariant, ImageVariantType, Spacecraft
Spacecraft.objects.filter(pk__in=[206, 418, 561]).update(in_space=True)
Spacecraft.objects.filter(pk__in=[228, 472]).update(is_placeholder=True)
thumbnail = ImageVariantType.objects.create(name="Thumbnail")
ImageVariantType.objects.create(name="Small")
ImageVariant.objects.create(
    image_id=1911, type=thumbnail, image_url="https://images.example.org/orb-3_thumbnail.jpg"
)
User.objects.create_superuser({ADMIN_USER!r}, "editor@example.org", {ADMIN_PASSWORD!r})
# The seed pages are normal mode, without flights: one flight on a real sample launch.
from tests import factories
factories.flight(Spacecraft.objects.get(pk=520), factories.launch(0), landing=factories.landing(1))
"""


def screenshot(page, name, **options):
    """Save the documentation's screenshot ``name`` when SCREENSHOTS=1 (``make screenshots``)."""
    if os.environ.get("SCREENSHOTS") == "1" and page.watch.site.kind == SITES[0]:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", **options)


class Site:
    """A running server (``url``, ``kind``) and its database (``database``)."""

    def __init__(self, kind, database, server):
        self.kind, self.database, self.server = kind, database, server
        self.url = server.url

    def get_json(self, target):
        status, _, data = self.server.get_json(target, headers={"Accept": "application/json"})
        assert status == 200, (target, status, data)
        return data

    def shell(self, code):
        return self.database.shell(code)


def serve(database, kind, workers=2, **env):
    """A server of ``kind`` on ``database`` (a context manager)."""
    if kind == "gunicorn":
        return servers.server(database, workers=workers, STATIC_ROOT=database.static_root, **env)
    return servers.server(database, dev=True, **env)


@pytest.fixture(scope="module", params=SITES)
def site(request):
    kind = request.param
    with servers.database(f"browser_{kind}") as database:
        database.manage("load_seed", "-v0")
        database.shell(PREPARE)
        database.static_root = Path(database.tmp) / "static"
        if kind == "gunicorn":
            database.manage(
                "collectstatic",
                "--noinput",
                "-v0",
                env=database.env(STATIC_ROOT=database.static_root),
            )
        with serve(database, kind) as server:
            yield Site(kind, database, server)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = (
            f"Chromium is not installed at {CHROMIUM}: the browser tests need it "
            "(apt-get install chromium; .ci/run installs it). "
            "Set SKIP_BROWSER_TESTS=1 to skip them on purpose."
        )
        if os.environ.get("SKIP_BROWSER_TESTS") == "1":
            pytest.skip(reason)
        pytest.fail(reason, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Watch:
    """What went wrong in a tab: console errors, page errors, failed or refused requests."""

    def __init__(self, site):
        self.site = site
        self.origin = site.url
        self.problems = []
        self.expected = []  # (status, path) of pages the test expects to fail
        self.foreign = []  # requests to any other host

    def expect(self, status, path):
        """The test expects ``path`` (a page it opens itself) to answer ``status``."""
        self.expected.append((status, path))

    def _expected(self, status, url):
        return any(status == code and urlsplit(url).path == path for code, path in self.expected)

    def own(self, url):
        return url.startswith((self.origin + "/", "data:", "blob:", "about:"))

    def request(self, request):
        if not self.own(request.url):
            self.foreign.append(request.url)

    def intercept(self):
        """Refuse, before it leaves the browser, every request to another host.

        Not on by default: with request interception Chromium does not fetch
        /favicon.ico, so a missing icon would go unseen.
        """

        def route(route):
            if self.own(route.request.url):
                route.continue_()
            else:
                route.abort("blockedbyclient")

        self.tab.context.route("**/*", route)

    def console(self, message):
        if message.type != "error":
            return
        location = message.location or {}
        text = message.text
        # Chromium reports every answer of 400 or more in the console too: the expected ones
        # are no problem.
        status = re.match(
            r"Failed to load resource: the server responded with a status of (\d+)", text
        )
        if status and self._expected(int(status.group(1)), location.get("url", "")):
            return
        if location.get("url", "") in self.foreign:
            return  # reported as a foreign request
        self.problems.append(f"console error: {text} ({location.get('url')})")

    def response(self, response):
        if response.status >= 400 and not self._expected(response.status, response.url):
            self.problems.append(f"{response.status} for {response.request.method} {response.url}")

    def request_failed(self, request):
        if request.url in self.foreign:
            return
        if request.failure == "net::ERR_ABORTED" and request.resource_type in ("xhr", "fetch"):
            return  # cancelled by the page's script (an autocomplete box's previous search)
        self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def page_error(self, error):
        self.problems.append(f"page error: {error}")

    def check(self):
        found = list(self.problems)
        found += [f"request to another host: {url}" for url in self.foreign]
        assert not found, "the browser saw problems:\n" + "\n".join(found)


def open_tab(browser, site):
    context = browser.new_context(base_url=site.url, viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    watch = Watch(site)
    tab = context.new_page()
    watch.tab = tab
    tab.on("request", watch.request)
    tab.on("console", watch.console)
    tab.on("pageerror", watch.page_error)
    tab.on("response", watch.response)
    tab.on("requestfailed", watch.request_failed)
    tab.watch = watch
    return context, tab


@pytest.fixture
def page(browser, site):
    context, tab = open_tab(browser, site)
    yield tab
    try:
        tab.wait_for_load_state("networkidle")
    finally:
        context.close()
    tab.watch.check()


def log_in(tab, user=ADMIN_USER, password=ADMIN_PASSWORD):
    tab.goto("/admin/login/")
    tab.fill("#id_username", user)
    tab.fill("#id_password", password)
    with tab.expect_navigation():
        tab.click("input[type=submit]")


@pytest.fixture
def admin_page(page):
    log_in(page)
    assert page.url.endswith("/admin/"), page.url
    return page


def shown_json(tab):
    """The JSON body a browsable API page shows, as data."""
    text = tab.inner_text(".response-info pre")
    return json.loads(text.split("\n\n", 1)[1])
