"""The browsable API in a real browser (Chromium): help text, JSON body, pagination,
the Filters dialog, detail pages and unknown ids, on gunicorn and on the development
server (see tests/browser.py). Every test also fails on any console error, page
error, failed request or request to another host.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from spacecraft.api import urls, views

from .browser import screenshot, shown_json

# Each starts its servers (gunicorn, runserver) and a browser.
pytestmark = pytest.mark.server

VIEWSETS = {prefix: viewset for prefix, viewset, _ in urls.router.registry}
FILTERS_BUTTON = 'button[data-target="#filtersModal"]'
DIALOG = "#filtersModal"


def help_lines(viewset, detail):
    """The help text of ``viewset`` as the page should show it, line by line."""
    view = viewset(detail=detail, action="retrieve" if detail else "list", format_kwarg=None)
    lines = []
    for title, paragraphs in views.help_sections(view):
        lines.append(title)
        for parts in paragraphs:
            lines.append("".join(part if isinstance(part, str) else part[-1] for part in parts))
    return lines


def visible_lines(page, selector):
    return [line.strip() for line in page.inner_text(selector).splitlines() if line.strip()]


def records(data):
    return data["count"], data["results"]


def open_filters(page):
    page.click(FILTERS_BUTTON)
    page.wait_for_selector(DIALOG, state="visible")
    page.wait_for_function("document.querySelector('#filtersModal').classList.contains('in')")
    return page.locator(DIALOG)


def query_of(page):
    return parse_qsl(urlsplit(page.url).query, keep_blank_values=True)


# --- every endpoint: list, help text, JSON body, detail, unknown id -------------------------


@pytest.mark.parametrize("prefix", VIEWSETS)
def test_list_page_shows_the_help_text_and_the_json_answer(page, site, prefix):
    response = page.goto(f"/2.3.0/{prefix}/")
    assert response.status == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    name = VIEWSETS[prefix](suffix="List", detail=False).get_view_name()
    assert page.inner_text(".page-header h1") == name
    assert visible_lines(page, ".content-main .pull-left") == help_lines(VIEWSETS[prefix], False)
    assert shown_json(page) == site.get_json(f"/2.3.0/{prefix}/")


@pytest.mark.parametrize("prefix", VIEWSETS)
def test_detail_page_from_the_list(page, site, prefix):
    page.goto(f"/2.3.0/{prefix}/")
    first = shown_json(page)["results"][0]
    if "url" in first:  # its link in the JSON body, as a user follows it
        with page.expect_navigation():
            page.click(f'.response-info a[href="{first["url"]}"]')
    else:
        page.goto(f"/2.3.0/{prefix}/{first['id']}/")
    assert urlsplit(page.url).path == f"/2.3.0/{prefix}/{first['id']}/"
    assert visible_lines(page, ".content-main .pull-left") == help_lines(VIEWSETS[prefix], True)
    assert shown_json(page) == site.get_json(f"/2.3.0/{prefix}/{first['id']}/")


@pytest.mark.parametrize("prefix", VIEWSETS)
def test_an_unknown_id_is_a_404_page_without_a_traceback(page, prefix):
    path = f"/2.3.0/{prefix}/987654321/"
    page.watch.expect(404, path)
    response = page.goto(path)
    assert response.status == 404
    model = VIEWSETS[prefix]().queryset_for("normal").model._meta.object_name
    assert shown_json(page) == {"detail": f"No {model} matches the given query."}
    assert "HTTP 404 Not Found" in page.inner_text(".response-info")
    assert "Traceback" not in page.inner_text("body")


def test_the_help_texts_example_links_work(page, site):
    page.goto("/2.3.0/spacecraft/")
    links = page.locator(".content-main .pull-left a")
    examples = [
        (links.nth(index).get_attribute("href"), links.nth(index).inner_text())
        for index in range(links.count())
    ]
    local = [(href, text) for href, text in examples if href.startswith("./")]
    assert len(local) == 6 and len(examples) == 7  # six examples and LL2's docs link
    for href, text in local:
        page.goto("/2.3.0/spacecraft/")
        with page.expect_navigation():
            page.click(f'.content-main .pull-left a[href="{href}"]')
        assert page.url == site.url + "/2.3.0" + text
        if "format=json" in href:
            assert page.evaluate("JSON.parse(document.body.innerText)") == site.get_json(
                "/2.3.0/spacecraft/?format=json"
            )
        else:
            assert shown_json(page) == site.get_json("/2.3.0" + text)


# --- pagination -----------------------------------------------------------------------------


def test_pagination_control_and_links_keep_the_query(page, site):
    query = "in_space=false&limit=3&ordering=-flights_count"
    page.goto(f"/2.3.0/spacecraft/?{query}")
    assert records(shown_json(page)) == records(site.get_json(f"/2.3.0/spacecraft/?{query}"))
    screenshot(
        page,
        "spacecraft-list",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1500},
    )

    # The control's "next" arrow: same query, the next offset.
    with page.expect_navigation():
        page.click('ul.pagination a[aria-label="Next"]')
    assert dict(query_of(page)) == {**dict(parse_qsl(query)), "offset": "3"}
    second = shown_json(page)
    expected = site.get_json(f"/2.3.0/spacecraft/?{query}&offset=3")
    assert records(second) == records(expected)

    # The body's "next" link, then its "previous" one (which drops offset=3-3=0).
    with page.expect_navigation():
        page.click(f'.response-info a[href="{second["next"]}"]')
    assert records(shown_json(page)) == records(
        site.get_json(f"/2.3.0/spacecraft/?{query}&offset=6")
    )
    previous = shown_json(page)["previous"]
    with page.expect_navigation():
        page.click(f'.response-info a[href="{previous}"]')
    assert records(shown_json(page)) == records(expected)
    with page.expect_navigation():
        page.click(f'.response-info a[href="{shown_json(page)["previous"]}"]')
    assert dict(query_of(page)) == dict(parse_qsl(query))  # no offset=0
    assert records(shown_json(page)) == records(site.get_json(f"/2.3.0/spacecraft/?{query}"))

    # A page number in the control.
    with page.expect_navigation():
        page.click('ul.pagination a:text-is("3")')
    assert dict(query_of(page)) == {**dict(parse_qsl(query)), "offset": "6"}


# --- the Filters dialog -----------------------------------------------------------------------

FORM_CASES = {
    "spacecraft": [
        {"in_space": "true"},
        {"in_space": "false"},
        {"is_placeholder": "true"},
        {"name": "Soyuz 1"},
        {"spacecraft_config": "35"},
        {"status": "3"},
        {"in_space": "false", "is_placeholder": "false", "spacecraft_config": "34", "status": "4"},
    ],
    "spacecraft_configurations": [
        {"agency": "63"},
        {"human_rated": "true"},
        {"in_use": "false"},
        {"name": "Soyuz"},
    ],
    "spacecraft_configuration_families": [{"manufacturer": "1000"}, {"name": "Soyuz"}],
    "agencies": [
        {"abbrev": "CNSA"},
        {"name__contains": "Space"},
        {"featured": "true"},
        {"country_code": "RUS"},
        {"spacecraft": "true"},
        {"founding_year__gte": "1990"},
    ],
}


def fill_filters(dialog, values):
    for name, value in values.items():
        box = dialog.locator(f'form.form [name="{name}"]')
        if box.evaluate("element => element.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)


def cases():
    return [(prefix, values) for prefix, all_values in FORM_CASES.items() for values in all_values]


@pytest.mark.parametrize(
    ("prefix", "values"), cases(), ids=lambda v: v if isinstance(v, str) else urlencode(v)
)
def test_each_filter_through_the_form_gives_the_records_of_its_url(page, site, prefix, values):
    page.goto(f"/2.3.0/{prefix}/")
    dialog = open_filters(page)
    fill_filters(dialog, values)
    with page.expect_navigation():
        dialog.locator('form.form button[type="submit"]').click()
    submitted = {name: value for name, value in query_of(page) if value}
    assert submitted == values
    expected = site.get_json(f"/2.3.0/{prefix}/?{urlencode(values)}")
    assert records(shown_json(page)) == records(expected)
    everything = site.get_json(f"/2.3.0/{prefix}/")["count"]
    assert everything > expected["count"]


def test_an_unknown_id_in_the_form_is_the_urls_400(page, site):
    page.watch.expect(400, "/2.3.0/spacecraft/")
    page.goto("/2.3.0/spacecraft/")
    dialog = open_filters(page)
    fill_filters(dialog, {"status": "987654"})
    with page.expect_navigation() as navigation:
        dialog.locator('form.form button[type="submit"]').click()
    assert navigation.value.status == 400
    status, _, expected = site.server.get_json("/2.3.0/spacecraft/?status=987654")
    assert status == 400
    assert shown_json(page) == expected


SEARCHES = {
    "spacecraft": "progress m",
    "spacecraft_configurations": "progress",
    "agencies": "space",
    "spacecraft_configuration_families": "energia",  # a manufacturer's name
}


@pytest.mark.parametrize(("prefix", "term"), SEARCHES.items())
def test_search_through_the_form_gives_the_records_of_its_url(page, site, prefix, term):
    page.goto(f"/2.3.0/{prefix}/")
    dialog = open_filters(page)
    box = dialog.locator('input[name="search"]')
    box.fill(term)
    assert box.input_value() == term
    # The form's own Search button (an Enter key press was once lost on a loaded machine).
    with page.expect_navigation():
        dialog.locator('form:has(input[name="search"]) button[type="submit"]').click()
    assert query_of(page) == [("search", term)]
    expected = site.get_json(f"/2.3.0/{prefix}/?{urlencode({'search': term})}")
    assert 0 < expected["count"] < site.get_json(f"/2.3.0/{prefix}/")["count"]
    assert records(shown_json(page)) == records(expected)


ORDERINGS = [
    (prefix, field)
    for prefix, viewset in VIEWSETS.items()
    for field in getattr(viewset, "ordering_fields", None) or ()
]


@pytest.mark.parametrize(("prefix", "field"), ORDERINGS)
def test_each_ordering_in_the_dialog_gives_the_records_of_its_url(page, site, prefix, field):
    for ordering in (field, f"-{field}"):
        page.goto(f"/2.3.0/{prefix}/?limit=100")
        dialog = open_filters(page)
        direction = "descending" if ordering.startswith("-") else "ascending"
        with page.expect_navigation():
            dialog.locator(f'a.list-group-item:text-is("{field} - {direction}")').click()
        assert sorted(query_of(page)) == [("limit", "100"), ("ordering", ordering)]
        expected = site.get_json(f"/2.3.0/{prefix}/?limit=100&ordering={ordering}")
        assert records(shown_json(page)) == records(expected)


def test_the_filters_dialog_has_no_select_of_a_tables_rows(page):
    page.goto("/2.3.0/spacecraft/")
    dialog = open_filters(page)
    fields = dialog.locator("form.form [name]")
    kinds = {
        fields.nth(i).get_attribute("name"): fields.nth(i).evaluate(
            "e => e.tagName === 'SELECT' ? 'select:' + e.options.length : e.type"
        )
        for i in range(fields.count())
    }
    assert kinds == {
        "in_space": "select:3",
        "is_placeholder": "select:3",
        "name": "text",
        "spacecraft_config": "number",
        "status": "number",
    }
    screenshot(page, "filters-dialog")
