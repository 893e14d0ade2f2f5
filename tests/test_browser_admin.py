"""The admin in a real browser: logging in, the lockout, a spacecraft entered with the
autocomplete boxes and ISO 8601 durations, image variants edited inline, a delete,
and the changelist's search and filters; on gunicorn and on the development server
(see tests/browser.py), each save read back through the API on the next request.
"""

import json
from urllib.parse import urlencode

import pytest

from .browser import ADMIN_PASSWORD, ADMIN_USER, Site, log_in, open_tab, screenshot, serve

# Each starts its servers (gunicorn, runserver) and a browser.
pytestmark = pytest.mark.server

ADD = "/admin/spacecraft/spacecraft/add/"
DURATION_ERROR = "Enter an ISO 8601 duration such as P1DT2H, PT1M49S or P0D."


def choose(page, field, typed, option, row=""):
    """Pick ``option`` in the autocomplete box of ``field`` (in ``row``) after typing ``typed``."""
    box = f"{row} .field-{field}"
    page.click(f"{box} .select2-selection")
    search = page.locator(".select2-container--open .select2-search__field")
    with page.expect_response(lambda r: "/admin/autocomplete/" in r.url and "term=" in r.url):
        search.fill(typed)
    page.locator(".select2-results__option", has_text=option).first.click()
    assert page.locator(f"{box} .select2-selection__rendered").inner_text().endswith(option)


def save(page):
    with page.expect_navigation() as navigation:
        page.click('input[name="_save"]')
    assert navigation.value.status == 200
    assert "Traceback" not in page.inner_text("body")


def api_spacecraft(site, name, **params):
    return site.get_json("/2.3.0/spacecraft/?" + urlencode({"name": name, **params}))


# --- logging in ---------------------------------------------------------------------------------


def test_login_page_and_a_wrong_password_shown_as_an_error(page):
    response = page.goto("/admin/")
    assert response.status == 200 and page.url.endswith("/admin/login/?next=/admin/")
    assert page.inner_text("#site-name")
    log_in(page, ADMIN_USER, "not-the-password")
    assert page.locator(".errornote").inner_text() == (
        "Please enter the correct username and password for a staff account. "
        "Note that both fields may be case-sensitive."
    )
    log_in(page)
    assert page.url.endswith("/admin/")
    assert page.locator("#user-tools").inner_text().startswith("WELCOME,")


def test_the_lockout_after_the_configured_failures_is_a_page(browser, site):
    # A server of its own on the same database: its failure counters are its own.
    with serve(site.database, site.kind, workers=1, ADMIN_LOGIN_MAX_FAILURES=3) as server:
        locked = Site(site.kind, site.database, server)
        context, page = open_tab(browser, locked)
        try:
            for _ in range(3):
                log_in(page, ADMIN_USER, "wrong")
                assert page.locator(".errornote").is_visible()
            page.watch.expect(429, "/admin/login/")
            page.fill("#id_username", ADMIN_USER)
            page.fill("#id_password", ADMIN_PASSWORD)  # even the right one
            with page.expect_navigation() as navigation:
                page.click("input[type=submit]")
            response = navigation.value
            assert response.status == 429
            assert 1 <= int(response.headers["retry-after"]) <= 900
            assert page.title().startswith("Too many failed login attempts")
            message = page.locator(".errornote").inner_text()
            assert message.startswith("Too many failed login attempts. Try again in ")
            assert "Traceback" not in page.inner_text("body")
            page.wait_for_load_state("networkidle")
        finally:
            context.close()
        page.watch.check()


# --- a spacecraft entered with the autocomplete boxes and durations -----------------------------


def test_a_spacecraft_is_entered_with_autocompletes_and_iso_durations(admin_page, site):
    page, name = admin_page, f"Browser craft {site.kind}"
    page.goto(ADD)
    page.fill("#id_name", name)
    page.fill("#id_serial_number", "BR-1")
    choose(page, "status", "destr", "Destroyed")
    choose(page, "spacecraft_config", "progress-m", "Progress-M (modified)")
    for bad in ("1 day", "P1Y", "-P1D"):
        page.fill("#id_time_in_space", bad)
        save(page)
        assert page.locator(".errornote").is_visible()
        errors = page.locator(".field-time_in_space .errorlist")
        assert errors.inner_text().endswith(DURATION_ERROR), (bad, errors.inner_text())
        assert page.locator(".errorlist").count() == 1  # under that box only
        assert page.input_value("#id_time_in_space") == bad  # what was typed is kept
        assert api_spacecraft(site, name)["count"] == 0  # nothing saved
    # The boxes kept their choices through the errors.
    assert (
        page.locator(".field-status .select2-selection__rendered")
        .inner_text()
        .endswith("Destroyed")
    )
    page.fill("#id_time_in_space", "P1DT2H")
    page.fill("#id_time_docked", "PT1M49S")
    save(page)
    assert page.locator(".messagelist .success").inner_text().startswith("The spacecraft")
    for mode in ("normal", "detailed"):
        found = api_spacecraft(site, name, mode=mode)
        assert found["count"] == 1, mode
        craft = found["results"][0]
        assert (craft["time_in_space"], craft["time_docked"]) == ("P1DT2H", "PT1M49S"), mode
        assert craft["status"] == {"id": 3, "name": "Destroyed"}, mode
        assert craft["spacecraft_config"]["id"] == 34, mode
        assert craft["serial_number"] == "BR-1", mode


def test_the_change_form(admin_page):
    page = admin_page
    page.goto("/admin/spacecraft/spacecraft/163/change/")
    assert page.input_value("#id_name") == "Cygnus CRS Orb-3"
    for field, option in (("status", "Destroyed"), ("spacecraft_config", "Cygnus Standard")):
        rendered = page.locator(f".field-{field} .select2-selection__rendered").inner_text()
        assert rendered.endswith(option)
    assert page.input_value("#id_time_in_space") == "P0D"
    screenshot(page, "admin-change-form", full_page=True)


# --- image variants inline ----------------------------------------------------------------------


def test_image_variants_are_edited_inline(admin_page, site):
    page = admin_page
    page.goto("/admin/spacecraft/image/1911/change/")
    edited = "https://images.example.org/orb-3_thumbnail_v2.jpg"
    page.fill("#id_variants-0-image_url", edited)
    page.click(".add-row a")
    choose(page, "type", "sma", "Small", row="#variants-1")
    page.fill("#id_variants-1-image_url", "https://images.example.org/orb-3_small.jpg")
    save(page)
    assert page.locator(".messagelist .success").is_visible()
    variants = site.get_json("/2.3.0/spacecraft/163/")["image"]["variants"]
    assert [(v["type"]["name"], v["image_url"]) for v in variants] == [
        ("Thumbnail", edited),
        ("Small", "https://images.example.org/orb-3_small.jpg"),
    ]


# --- delete ---------------------------------------------------------------------------------------


def test_deleting_a_spacecraft(admin_page, site):
    page = admin_page
    assert api_spacecraft(site, "Progress M-UM")["count"] == 1
    page.goto("/admin/spacecraft/spacecraft/544/change/")
    with page.expect_navigation():
        page.click("a.deletelink")
    assert "Are you sure" in page.inner_text("#content")
    with page.expect_navigation():
        page.click('input[type="submit"]')
    assert page.locator(".messagelist .success").inner_text().startswith("The spacecraft")
    assert api_spacecraft(site, "Progress M-UM")["count"] == 0
    status, _, _ = site.server.get("/2.3.0/spacecraft/544/", {"Accept": "application/json"})
    assert status == 404


# --- the changelist: search and filters -----------------------------------------------------------


def changelist_names(page):
    return page.locator("#result_list tbody th.field-name a, #result_list tbody td.field-name a")


def expected_names(site, query):
    code = (
        "import json; from django.db.models import Q; from spacecraft.models import Spacecraft; "
        f"print(json.dumps(list(Spacecraft.objects.filter({query}).order_by('id')"
        ".values_list('name', flat=True))))"
    )
    return json.loads(site.shell(code))


def test_changelist_search_and_filters(admin_page, site):
    page = admin_page
    page.goto("/admin/spacecraft/spacecraft/")
    page.fill("#searchbar", "vostok")
    with page.expect_navigation():
        page.press("#searchbar", "Enter")
    names = changelist_names(page).all_inner_texts()
    assert names == expected_names(
        site,
        "Q(name__icontains='vostok') | Q(serial_number__icontains='vostok')"
        " | Q(spacecraft_config__name__icontains='vostok')",
    )
    assert len(names) == 3
    page.goto("/admin/spacecraft/spacecraft/")
    with page.expect_navigation():
        page.click('#changelist-filter a:text-is("Destroyed")')
    assert "status__id__exact=3" in page.url
    assert changelist_names(page).all_inner_texts() == expected_names(site, "status_id=3")
    with page.expect_navigation():
        page.click('#changelist-filter details[data-filter-title="in space"] a:text-is("Yes")')
    assert changelist_names(page).all_inner_texts() == expected_names(
        site, "status_id=3, in_space=True"
    )
