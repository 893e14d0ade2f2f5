"""Bad ids, other methods, unknown formats, and the bytes of a JSON answer.

The API is read-only: only GET (and HEAD) are served, everything else is a
405 that advertises ``Allow: GET``. Unknown records and ids that cannot be ids
are a 404, never a 500. Unknown ``format`` values are a 404, as DRF answers.
JSON bodies are compact UTF-8 with non-ASCII characters written raw.
"""

import json

import pytest

from . import factories

URL = "/2.3.0/spacecraft/"
METHODS = ["post", "put", "patch", "delete", "options", "trace"]


@pytest.fixture
def craft(db):
    return factories.spacecraft(
        name="Crew Dragon 🚀 מעבורת مركبة",
        description='Right-to-left: מעבורת חלל, مركبة فضائية; quotes " and \\ and é.',
    )


def detail(craft_id):
    return f"{URL}{craft_id}/"


def test_unknown_id_is_a_404(api, craft):
    response = api.get(detail(craft.id + 1000), {"format": "json"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Spacecraft matches the given query."}


NOT_FOUND = "Not found."
NO_MATCH = "No Spacecraft matches the given query."


@pytest.mark.parametrize(
    ("craft_id", "detail_message"),
    [
        # DRF: an id the database can compare but does not hold...
        ("-1", NO_MATCH),
        ("0", NO_MATCH),
        ("99999999999999999999", NO_MATCH),
        ("9223372036854775808", NO_MATCH),
        ("2147483648", NO_MATCH),
        # ...and a value that is no integer at all, which never reaches it.
        ("abc", NOT_FOUND),
        ("1e3", NOT_FOUND),
        ("%00", NOT_FOUND),
        ("%F0%9F%9A%80", NOT_FOUND),
    ],
)
def test_impossible_id_is_a_404_not_a_500(api, craft, craft_id, detail_message):
    response = api.get(f"{URL}{craft_id}/?format=json")
    assert response.status_code == 404
    assert response.json() == {"detail": detail_message}


@pytest.mark.parametrize("path", ["1.5/", "1/2/", "abc/def/"])
def test_paths_outside_the_routes_are_a_404(api, craft, path):
    assert api.get(URL + path, {"format": "json"}).status_code == 404


def test_existing_id_is_served_in_detailed_form(api, craft):
    response = api.get(detail(craft.id), {"format": "json", "mode": "normal"})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == craft.id
    assert body["response_mode"] == "detailed"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("on_detail", [False, True])
def test_other_methods_are_405_allowing_get(api, craft, method, on_detail):
    path = detail(craft.id) if on_detail else URL
    response = getattr(api, method)(path + "?format=json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


@pytest.mark.parametrize("method", METHODS)
def test_the_api_root_is_read_only_too(api, db, method):
    response = getattr(api, method)("/2.3.0/?format=json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    root = api.get("/2.3.0/?format=json").json()
    assert root["spacecraft"] == "http://testserver/2.3.0/spacecraft/?format=json"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/2.3.0/schema/", "/docs/"])
def test_the_schema_and_docs_pages_answer_other_methods_with_a_405(api, db, method, path):
    # OPTIONS on the docs page used to crash (no template for it): a 500.
    response = getattr(api, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_writes_with_a_json_body_are_405_and_change_nothing(api, craft, method):
    payload = {"name": "Hijacked", "flights_count": 99}
    response = getattr(api, method)(detail(craft.id), payload, format="json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    craft.refresh_from_db()
    assert craft.name == "Crew Dragon 🚀 מעבורת مركبة"


def test_delete_changes_nothing(api, craft):
    assert api.delete(detail(craft.id)).status_code == 405
    craft.refresh_from_db()


def test_405_on_an_unknown_id_is_still_405(api, craft):
    response = api.delete(detail(craft.id + 1000))
    assert response.status_code == 405
    assert response["Allow"] == "GET"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (URL, {"format": "json"}),
        (URL, {}),
        (URL, {"format": "json", "mode": "detailed"}),
        ("DETAIL", {"format": "json"}),
    ],
)
def test_get_advertises_get_and_varies_on_accept(api, craft, path, params):
    path = detail(craft.id) if path == "DETAIL" else path
    response = api.get(path, params)
    assert response.status_code == 200
    assert response["Allow"] == "GET"
    assert response["Vary"] == "Accept"
    assert not response.cookies


@pytest.mark.parametrize("path", [URL, "DETAIL"])
def test_browsable_api_advertises_get_and_varies_on_accept(api, craft, path):
    path = detail(craft.id) if path == "DETAIL" else path
    response = api.get(path, {"format": "api"})
    assert response.status_code == 200
    assert response["Allow"] == "GET"
    # The HTML page also sets Django's CSRF cookie, hence "Cookie" as well.
    assert [part.strip() for part in response["Vary"].split(",")][0] == "Accept"


@pytest.mark.parametrize(
    "params", [{"status": "abc"}, {"format": "xml"}, {"limit": "abc", "offset": "-1"}]
)
def test_error_and_odd_answers_carry_the_same_headers(api, craft, params):
    response = api.get(URL, params)
    assert response["Allow"] == "GET"
    assert response["Vary"] == "Accept"


def test_head_is_answered_like_get(api, craft):
    response = api.head(URL, {"format": "json"})
    assert response.status_code == 200
    assert response["Allow"] == "GET"
    assert response.content == b""


@pytest.mark.parametrize("fmt", ["xml", "yaml", "csv", "JSON", "jsonp", "html", ""])
@pytest.mark.parametrize("on_detail", [False, True])
def test_unknown_format_is_a_404_as_drf_answers(api, craft, fmt, on_detail):
    path = detail(craft.id) if on_detail else URL
    response = api.get(path, {"format": fmt})
    if fmt == "":
        # An empty format is no format: content negotiation picks JSON.
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        return
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.content == b'{"detail":"Not found."}'


def test_unacceptable_accept_header_is_a_406(api, craft):
    response = api.get(URL, HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response.json() == {"detail": "Could not satisfy the request Accept header."}


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/json", "application/json"),
        ("text/html", "text/html; charset=utf-8"),
        ("*/*", "application/json"),
    ],
)
def test_accept_header_picks_the_renderer(api, craft, accept, content_type):
    response = api.get(URL, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type


def compact(body):
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@pytest.mark.parametrize("mode", ["normal", "detailed"])
def test_list_json_is_compact_utf8_with_raw_non_ascii(api, craft, mode):
    response = api.get(URL, {"format": "json", "mode": mode})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    raw = response.content
    body = json.loads(raw.decode("utf-8"))
    assert raw == compact(body)
    assert "🚀 מעבורת مركبة".encode() in raw
    assert "مركبة فضائية".encode() in raw
    assert b"\\u" not in raw
    assert body["results"][0]["name"] == craft.name
    assert body["results"][0]["description"] == craft.description


def test_detail_json_is_compact_utf8_with_raw_non_ascii(api, craft):
    response = api.get(detail(craft.id), {"format": "json"})
    raw = response.content
    assert raw == compact(json.loads(raw))
    assert "Crew Dragon 🚀 מעבורת مركبة".encode() in raw
    assert b"\\u" not in raw


def test_error_bodies_are_compact_json(api, craft):
    for params in ({"status": "abc"}, {"format": "xml"}):
        raw = api.get(URL, params).content
        assert raw == compact(json.loads(raw))
    raw = api.post(URL + "?format=json").content
    assert raw == compact(json.loads(raw))


def test_browsable_api_shows_non_ascii_text(api, craft):
    response = api.get(URL, {"format": "api"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "Crew Dragon 🚀 מעבורת مركبة".encode() in response.content


@pytest.mark.parametrize(
    "params",
    [
        {"mode": "\x00"},
        {"ordering": "\x00"},
        {"limit": "\x00", "offset": "\x00"},
        {"in_space": "\x00"},
        {"status": "\x00"},
        {"status": "abc", "spacecraft_config": "99999999999999999999"},
        {"name": "\x00", "search": "🚀" * 20_000},
        {"search": "\x00" * 100},
        {"mode": "detailed", "ordering": "-time_in_space", "offset": str(10**30)},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "api"])
def test_hostile_parameters_never_cause_a_500(api, craft, params, fmt):
    response = api.get(URL, {"format": fmt, **params})
    assert response.status_code in (200, 400)
