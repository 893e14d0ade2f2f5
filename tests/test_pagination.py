"""LL2's limit/offset pagination.

Default 10, maximum 100 (larger limits clamped silently), a bad limit means
the default and a bad offset means 0. ``next``/``previous`` are absolute, keep
``format`` and every other parameter, sort the parameters, and ``previous``
drops ``offset`` when it would be 0. The captured LL2 pages give the exact
strings to match.
"""

import html
import re

import pytest

from . import factories
from .conftest import load_seed

URL = "/2.3.0/spacecraft/"
BASE = "http://testserver/2.3.0/spacecraft/"
ROWS = 140


@pytest.fixture
def many(db):
    return factories.spacecraft_batch(
        [
            {
                "mission_ends_count": index % 4,
                "in_space": index % 3 == 0,
                "name": f"Craft {index:03d}" + (" Shuttle" if index % 5 == 0 else ""),
            }
            for index in range(ROWS)
        ]
    )


def page(api, **params):
    response = api.get(URL, {"format": "json", **params})
    assert response.status_code == 200, response.content
    return response.json()


def ids_from(many, start, stop):
    return [craft.id for craft in many[start:stop]]


def test_default_page_is_ten(api, many):
    body = page(api)
    assert body["count"] == ROWS
    assert [record["id"] for record in body["results"]] == ids_from(many, 0, 10)
    assert body["next"] == f"{BASE}?format=json&limit=10&offset=10"
    assert body["previous"] is None


def test_keys_are_count_next_previous_results_in_order(api, many):
    assert list(page(api)) == ["count", "next", "previous", "results"]


def test_limit_two(api, many):
    body = page(api, limit=2)
    assert [record["id"] for record in body["results"]] == ids_from(many, 0, 2)
    assert body["next"] == f"{BASE}?format=json&limit=2&offset=2"


@pytest.mark.parametrize(("limit", "size"), [("1000", 100), ("101", 100), ("100", 100), ("99", 99)])
def test_large_limit_is_clamped_to_100(api, many, limit, size):
    body = page(api, limit=limit)
    assert [record["id"] for record in body["results"]] == ids_from(many, 0, size)
    assert body["count"] == ROWS
    # The links carry the clamped limit, as DRF (and so LL2) writes them.
    assert body["next"] == f"{BASE}?format=json&limit={size}&offset={size}"


@pytest.mark.parametrize("limit", ["abc", "-5", "0", "", "1.5", "1e2", "10abc", "\x00"])
def test_bad_limit_means_the_default(api, many, limit):
    body = page(api, limit=limit)
    assert [record["id"] for record in body["results"]] == ids_from(many, 0, 10)


def test_huge_limit_is_clamped(api, many):
    body = page(api, limit=str(10**30))
    assert len(body["results"]) == 100


@pytest.mark.parametrize("offset", ["abc", "-5", "", "1.5", "\x00"])
def test_bad_offset_means_zero(api, many, offset):
    body = page(api, offset=offset, limit=5)
    assert [record["id"] for record in body["results"]] == ids_from(many, 0, 5)
    assert body["previous"] is None


def test_offset(api, many):
    body = page(api, offset=25, limit=5)
    assert [record["id"] for record in body["results"]] == ids_from(many, 25, 30)
    assert body["next"] == f"{BASE}?format=json&limit=5&offset=30"
    assert body["previous"] == f"{BASE}?format=json&limit=5&offset=20"


def test_last_page(api, many):
    body = page(api, offset=ROWS - 3)
    assert [record["id"] for record in body["results"]] == ids_from(many, ROWS - 3, ROWS)
    assert body["next"] is None
    assert body["previous"] == f"{BASE}?format=json&limit=10&offset={ROWS - 13}"


@pytest.mark.parametrize("offset", [ROWS, ROWS + 1, 1000])
def test_offset_at_or_beyond_count_is_empty_with_the_count(api, many, offset):
    body = page(api, offset=offset)
    assert body["count"] == ROWS
    assert body["results"] == []
    assert body["next"] is None
    assert body["previous"] == f"{BASE}?format=json&limit=10&offset={offset - 10}"


@pytest.mark.parametrize("offset", [10**30, 2**63, 2**31])
@pytest.mark.parametrize("mode", ["normal", "detailed"])
def test_huge_offset_does_not_fail(api, many, offset, mode):
    body = page(api, offset=offset, mode=mode, ordering="-time_docked")
    assert body["count"] == ROWS
    assert body["results"] == []


def test_huge_offset_in_the_browsable_api_does_not_fail(api, many):
    response = api.get(URL, {"format": "api", "offset": 10**30})
    assert response.status_code == 200


def test_empty_catalogue(api, db):
    assert page(api) == {"count": 0, "next": None, "previous": None, "results": []}
    assert page(api, offset=50)["results"] == []


@pytest.mark.parametrize(("offset", "limit"), [(10, 10), (5, 10), (1, 10), (3, 3)])
def test_previous_drops_offset_when_it_would_be_zero(api, many, offset, limit):
    body = page(api, offset=offset, limit=limit)
    assert body["previous"] == f"{BASE}?format=json&limit={limit}"


def test_links_keep_every_parameter_sorted(api, many):
    params = {
        "search": "shuttle",
        "ordering": "-mission_ends_count",
        "in_space": "True",
        "mode": "detailed",
        "limit": 2,
        "offset": 2,
        "unknown": "kept",
    }
    body = page(api, **params)
    query = "format=json&in_space=True&limit=2&mode=detailed&offset={}&ordering=-mission_ends_count"
    query += "&search=shuttle&unknown=kept"
    assert body["next"] == BASE + "?" + query.format(4)
    assert body["previous"] == BASE + "?" + query.replace("&offset={}", "")
    matches = [c for c in many if c.in_space and "shuttle" in c.name.lower()]
    assert body["count"] == len(matches) > 4


def test_links_encode_spaces_and_non_ascii(api, db):
    for number in range(3):
        factories.spacecraft(name=f"Тест 🚀 {number}")
    body = page(api, search="Тест 🚀", limit=1)
    assert body["count"] == 3
    assert (
        body["next"]
        == f"{BASE}?format=json&limit=1&offset=1&search=%D0%A2%D0%B5%D1%81%D1%82+%F0%9F%9A%80"
    )


def test_following_next_visits_every_record_once(api, many):
    seen, url = [], f"{URL}?format=json&limit=30&ordering=mission_ends_count"
    while url:
        response = api.get(url)
        assert response.status_code == 200
        body = response.json()
        seen += [record["id"] for record in body["results"]]
        url = body["next"]
    key = [(craft.mission_ends_count, craft.id) for craft in many]
    assert seen == [craft_id for _, craft_id in sorted(key)]


def test_following_previous_from_the_last_page_visits_every_record_once(api, many):
    seen, url = [], f"{URL}?format=json&limit=40&offset=120"
    while url:
        body = api.get(url).json()
        seen = [record["id"] for record in body["results"]] + seen
        url = body["previous"]
    assert seen == [craft.id for craft in many]


# --- the captured LL2 pages ------------------------------------------------------------


def _json_seed(name):
    seed = load_seed(name)
    return {key: seed[key].replace("format=api", "format=json") for key in ("next", "previous")}


@pytest.mark.parametrize(
    ("seed", "query"),
    [
        ("ll", {"offset": "120", "ordering": "mission_ends_count"}),
        ("lldev", {"offset": "10", "ordering": "time_docked"}),
    ],
)
def test_links_match_the_captured_ll2_pages(api, many, settings, seed, query):
    expected = _json_seed(seed)
    host = expected["next"].split("/")[2]
    settings.ALLOWED_HOSTS = [host]
    response = api.get(URL, {"format": "json", **query}, HTTP_HOST=host, secure=True)
    body = response.json()
    assert body["next"] == expected["next"]
    assert body["previous"] == expected["previous"]


def test_browsable_api_links_match_the_captured_ll2_page(api, many, settings):
    seed = load_seed("ll")
    settings.ALLOWED_HOSTS = ["ll.thespacedevs.com"]
    response = api.get(
        URL + "?format=api&offset=120&ordering=mission_ends_count",
        HTTP_HOST="ll.thespacedevs.com",
        secure=True,
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    text = html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    assert f'"next": "{seed["next"]}"' in text
    assert f'"previous": "{seed["previous"]}"' in text
