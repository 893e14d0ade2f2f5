"""The browsable API: LL2's HTML pages, with the help text generated from each view.

The help text's lists (modes, filters, fields searched, ordering fields) are
read from the viewset's own configuration, so they cannot drift from what
the view does; its markdown form is LL2's own text, as LL2's official schema
carries it in each path's description.
"""

import html
import json
import re

import pytest

from spacecraft import models
from spacecraft.api import urls, views

from . import factories, schema
from .conftest import SEEDS, import_catalogue

VIEWSETS = [(prefix, viewset) for prefix, viewset, _ in urls.router.registry]
LL2_DOCS = "https://ll.thespacedevs.com/docs/"
SECTIONS = ["Modes", "Filters", "Search", "Ordering", "Number of results", "Format", "Help"]


@pytest.fixture(autouse=True)
def ll2_docs(settings):
    settings.LL2_DOCS_URL = LL2_DOCS


@pytest.fixture
def catalogue(db):
    """Detailed data with nulls, parents and nested lists (see test_modes), and a flight."""
    records = import_catalogue()
    factories.flight(models.Spacecraft.objects.order_by("id").first(), factories.launch(1))
    return records


@pytest.fixture
def seeded(seeded):
    """The seed catalogue, and a flight (with a real LL2 launch) for the flights pages."""
    factories.flight(models.Spacecraft.objects.order_by("id").first(), factories.launch(0))


def first_id(viewset):
    return (
        viewset().queryset_for(next(iter(viewset.representations))).values_list("id", flat=True)[0]
    )


def page_paths(prefix, viewset):
    return [f"/2.3.0/{prefix}/", f"/2.3.0/{prefix}/{first_id(viewset)}/"]


def help_html(page):
    """The help text as the page shows it (between the title and the pagination)."""
    match = re.search(r'<div class="pull-left">\s*(.*?)\s*</div>', page, re.S)
    assert match, "no help text on the page"
    return match.group(1)


def sections_of(fragment):
    """{title: [paragraph html]} of a help text."""
    parts = re.split(r"<h4>(.*?)</h4>", fragment)
    assert parts[0] == ""
    return {
        title: re.findall(r"<p>(.*?)</p>", body)
        for title, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def codes(paragraph):
    return [html.unescape(code) for code in re.findall(r"<code>(.*?)</code>", paragraph)]


def as_text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def list_view(viewset):
    return viewset(detail=False, action="list", request=None, format_kwarg=None)


# --- the pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "viewset"), VIEWSETS)
@pytest.mark.parametrize("how", ["format", "accept"])
def test_pages_are_html_with_ll2s_headers(seeded, api, prefix, viewset, how):
    for path in page_paths(prefix, viewset):
        if how == "format":
            response = api.get(path, {"format": "api"})
        else:
            response = api.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response["Allow"] == "GET"
        # The page also depends on the login cookie (the admin user's name).
        assert "Accept" in [value.strip() for value in response["Vary"].split(",")]
        page = response.content.decode()
        assert page.lstrip().lower().startswith("<!doctype html>")
        # The response shown on the page carries LL2's headers.
        shown = re.search(r'<div class="response-info".*?<pre[^>]*>(.*?)\n\n', page, re.S)
        assert as_text(shown.group(1)).strip().splitlines() == [
            "HTTP 200 OK",
            "Allow: GET",
            "Content-Type: application/json",
            "Vary: Accept",
        ]


@pytest.mark.parametrize(("prefix", "viewset"), VIEWSETS)
def test_json_answers_have_ll2s_headers(seeded, api, prefix, viewset):
    for path in page_paths(prefix, viewset):
        for params in ({}, {"format": "json"}):
            response = api.get(path, params)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/json"
            assert (response["Allow"], response["Vary"]) == ("GET", "Accept")


@pytest.mark.parametrize(("prefix", "viewset"), VIEWSETS)
def test_the_page_shows_the_help_text_of_its_view(seeded, api, prefix, viewset):
    list_page, detail_page = (
        api.get(path, {"format": "api"}).content.decode() for path in page_paths(prefix, viewset)
    )
    expected = str(list_view(viewset).get_view_description(html=True))
    assert help_html(list_page) == expected
    # The detail page is one level down: its relative links climb one more.
    assert help_html(detail_page) == expected.replace('href="./?', 'href="../?')
    titles = list(sections_of(expected))
    assert titles == [title for title in SECTIONS if title in titles]
    assert titles[-3:] == ["Number of results", "Format", "Help"]


def test_spacecraft_help_links_are_relative_examples(seeded, api):
    page = api.get("/2.3.0/spacecraft/", {"format": "api"}).content.decode()
    for query in (
        "mode=detailed",
        "is_placeholder=True",
        "search=Endeavour",
        "ordering=-flights_count",
        "limit=2",
        "format=json",
    ):
        assert f'<a href="./?{query}">/spacecraft/?{query}</a>' in page
    assert f'<a href="{LL2_DOCS}">ll.thespacedevs.com/docs</a>' in page
    detail = api.get("/2.3.0/spacecraft/520/", {"format": "api"}).content.decode()
    assert '<a href="../?mode=detailed">/spacecraft/?mode=detailed</a>' in detail


# --- the lists come from the view ---------------------------------------------------------


@pytest.mark.parametrize(("prefix", "viewset"), VIEWSETS)
def test_help_lists_are_the_views_configuration(prefix, viewset):
    sections = sections_of(list_view(viewset).get_view_description(html=True))
    modes = list(viewset.representations)
    if len(modes) > 1:
        assert sorted(codes(sections["Modes"][0])) == sorted(modes)
        assert views.mode_order(modes) == codes(sections["Modes"][0])
    else:
        assert "Modes" not in sections
    filterset = getattr(viewset, "filterset_class", None)
    if filterset:
        assert codes(sections["Filters"][0]) == sorted(filterset.base_filters)
    else:
        assert "Filters" not in sections
    if getattr(viewset, "search_fields", None):
        assert codes(sections["Search"][0]) == sorted(viewset.search_fields)
    else:
        assert "Search" not in sections
    if getattr(viewset, "ordering_fields", None):
        assert codes(sections["Ordering"][0]) == sorted(viewset.ordering_fields)
    else:
        assert "Ordering" not in sections
    assert f"(max {viewset.pagination_class.max_limit})" in sections["Number of results"][0]


def test_changing_the_view_changes_the_help(seeded, api, monkeypatch):
    monkeypatch.setattr(views.SpacecraftViewSet, "search_fields", ["name"])
    monkeypatch.setattr(views.SpacecraftViewSet, "ordering_fields", ["id", "name"])
    page = api.get("/2.3.0/spacecraft/", {"format": "api"}).content.decode()
    sections = sections_of(help_html(page))
    assert codes(sections["Search"][0]) == ["name"]
    assert codes(sections["Ordering"][0]) == ["id", "name"]
    # ... and what the view does with the same request.
    by_name = api.get("/2.3.0/spacecraft/", {"ordering": "-name", "limit": 100}).json()["results"]
    names = [record["name"] for record in by_name]
    assert names == sorted(names, reverse=True)


@pytest.mark.parametrize(("prefix", "viewset"), VIEWSETS)
def test_example_queries_use_what_the_view_offers(prefix, viewset):
    sections = sections_of(list_view(viewset).get_view_description(html=True))
    example = {
        title: as_text(paragraphs[-1]).split("?", 1)[1]
        for title, paragraphs in sections.items()
        if title != "Help"
    }
    if "Modes" in example:
        mode = example["Modes"].removeprefix("mode=")
        assert mode in viewset.representations and mode != next(iter(viewset.representations))
    if "Filters" in example:
        assert example["Filters"].split("=")[0] in viewset.filterset_class.base_filters
    if "Ordering" in example:
        assert example["Ordering"].removeprefix("ordering=").lstrip("-") in viewset.ordering_fields
    assert example["Format"] == "format=json"


# --- the text is LL2's -----------------------------------------------------------------------


def ll2_description(prefix):
    return schema.openapi()["paths"][f"/2.3.0/{prefix}/"]["get"]["description"]


def test_spacecraft_help_is_ll2s_text():
    ours = list_view(views.SpacecraftViewSet).get_view_description(html=False)
    assert ours == ll2_description("spacecraft")


# Flights add an Ordering section to LL2's text (tests/test_flights_ordering.py).
@pytest.mark.parametrize(
    ("prefix", "viewset"), [v for v in VIEWSETS if v[0] != "spacecraft_flights"]
)
def test_related_endpoints_help_is_ll2s_text(prefix, viewset):
    assert list_view(viewset).get_view_description(html=False) == ll2_description(prefix)


def test_detail_help_differs_from_ll2_only_by_its_relative_links():
    """LL2 puts the list's help, with ``./`` links, on its detail pages too."""
    detail = views.SpacecraftViewSet(detail=True, action="retrieve", request=None)
    ours = detail.get_view_description(html=False)
    assert ours == ll2_description("spacecraft").replace("](./?", "](../?")
    assert (
        ll2_description("spacecraft")
        == schema.openapi()["paths"]["/2.3.0/spacecraft/{id}/"]["get"]["description"]
    )


# --- the captured LL2 pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "docs"),
    [
        (
            "ll-spacecraft-offset120-ordering-mission_ends_count",
            "https://ll.thespacedevs.com/docs/",
        ),
        ("lldev-spacecraft-offset10-ordering-time_docked", "https://lldev.thespacedevs.com/docs/"),
    ],
)
def test_the_page_reads_as_the_captured_ll2_page(seeded, api, settings, seed, docs):
    """Help text, request line and response headers, line for line.

    The captured text has no "Search" heading above "Fields searched": it was
    lost in the capture (LL2's own markdown, in its schema, has
    ``#### Search``), so that one line is the only one allowed to differ.
    """
    settings.LL2_DOCS_URL = docs
    captured = (SEEDS / f"{seed}.browsable.txt").read_text(encoding="utf-8")
    head, _, _ = captured.partition("\n{")
    captured_lines = [line for line in head.splitlines() if line.strip()]
    request_line = next(line for line in captured_lines if line.startswith("GET "))
    path = request_line.removeprefix("GET ")

    page = api.get(path).content.decode()
    ours = [line.strip() for line in _visible_lines(page) if line.strip()]
    start = ours.index("Modes")
    end = ours.index("Vary: Accept") + 1
    assert ours[start:end] == _with_search_heading(captured_lines)


def _with_search_heading(lines):
    at = next(i for i, line in enumerate(lines) if line.startswith("Fields searched - "))
    return lines[:at] + (["Search"] if lines[at - 1] != "Search" else []) + lines[at:]


def _visible_lines(page):
    """The page's text as a browser lays it out: one line per block, code inline.

    The pagination links are left out, as the capture left them out.
    """
    body = page.split('<div class="content-main"', 1)[1]
    body = re.sub(r"<nav .*?</nav>", "", body, flags=re.S)
    body = re.sub(r"<(?:h4|p|pre|div|br|li)[^>]*>", "\n", body)
    return as_text(body).splitlines()


def shown_json(page):
    """The JSON body the page shows, as data."""
    body = re.search(
        r'<div class="response-info".*?<pre[^>]*>.*?\n\n</span>(.*?)</pre>', page, re.S
    )
    return json.loads(as_text(body.group(1)))


@pytest.mark.parametrize(("prefix", "viewset"), VIEWSETS)
def test_the_page_shows_what_the_json_answer_says(catalogue, api, prefix, viewset):
    """The page renders through the serializers, JSON answers through the fast
    path (spacecraft/api/rendering.py): both must say the same, in every mode."""
    for path in page_paths(prefix, viewset):
        for mode in [None, *viewset.representations]:
            params = {"mode": mode} if mode else {}
            page = api.get(path, {**params, "format": "api"}).content.decode()
            answer = api.get(path, {**params, "format": "json"}).content.decode()
            expected = json.loads(answer.replace("format=json", "format=api"))
            # json.dumps keeps key order: this compares order as well as values.
            assert json.dumps(shown_json(page)) == json.dumps(expected), (path, mode)


# --- the Filters dialog at scale, and the favicon ----------------------------------------------


def filters_form(page):
    match = re.search(r'<form class="form" action="" method="get">(.*?)</form>', page, re.S)
    assert match, "no Filters form on the page"
    return match.group(1)


FOREIGN_KEY_FILTERS = [
    ("spacecraft", ["spacecraft_config", "status"]),
    ("spacecraft_configurations", ["agency"]),
    ("spacecraft_configuration_families", ["manufacturer"]),
]


@pytest.mark.parametrize(("prefix", "names"), FOREIGN_KEY_FILTERS)
def test_foreign_key_filters_are_number_boxes_not_selects_of_every_row(seeded, api, prefix, names):
    form = filters_form(api.get(f"/2.3.0/{prefix}/", {"format": "api"}).content.decode())
    for name in names:
        assert re.search(rf'<input type="number" name="{name}" step="1" id="id_{name}">', form)
        assert f'<select name="{name}"' not in form


# The Filters dialog's HTML (fields, search, ordering links) stays under this, at any scale.
FILTERS_DIALOG_MAX_BYTES = 8 * 1024


def filters_dialog(page):
    return page.split('<div class="modal fade" id="filtersModal"', 1)[1].split("<script", 1)[0]


def test_the_filters_dialog_does_not_grow_with_the_catalogue(db, api):
    """Hundreds more configurations, statuses and agencies: the page is the same size."""
    from . import factories

    factories.spacecraft()
    small = api.get("/2.3.0/spacecraft/", {"format": "api"}).content
    for number in range(300):
        factories.status(f"Status {number}")
        factories.config(name=f"Configuration {number}")
    large = api.get("/2.3.0/spacecraft/", {"format": "api"}).content
    assert abs(len(large) - len(small)) < 100, (len(small), len(large))
    assert b"Configuration 299" not in large
    assert len(filters_dialog(large.decode()).encode()) < FILTERS_DIALOG_MAX_BYTES


def test_favicon_is_an_empty_answer_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 204
    assert response.content == b""
    assert client.post("/favicon.ico").status_code == 405
