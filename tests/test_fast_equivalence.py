"""The fast path answers exactly the bytes the DRF serializers and renderer do.

The fast representation layer (``spacecraft/api/rendering.py``) is compiled from
the serializers; here each endpoint, mode, page and filter is answered twice,
once through it and once through the serializers with DRF's own
JSONRenderer, over varied data: the bench catalogue (nulls, non-ASCII text,
U+2028, floats such as 1e-05, durations), the two LL2 seed pages, and
records built to hit the edges of JSON encoding.
"""

import datetime

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer

from bench.dataset import records
from spacecraft import models
from spacecraft.api import rendering, views
from spacecraft.ingest.importer import import_document
from spacecraft.serving import cache

from . import factories
from .conftest import assert_identical, both, load_seed

VIEWSETS = {
    "spacecraft": views.SpacecraftViewSet,
    "spacecraft_configurations": views.SpacecraftConfigViewSet,
    "agencies": views.AgencyViewSet,
    "spacecraft_configuration_families": views.SpacecraftConfigFamilyViewSet,
    "spacecraft_flights": views.SpacecraftFlightViewSet,
    "config/spacecraft_statuses": views.SpacecraftStatusViewSet,
    "config/spacecraft_configuration_types": views.SpacecraftConfigTypeViewSet,
}

# Text that JSON encoders treat differently if they can: quotes, backslashes,
# control characters, U+2028/U+2029 (escaped by DRF), non-BMP characters.
EDGE_TEXT = (
    'quote " backslash \\ tab \t nl \n cr \r \x01\x1f del \x7f é ü ß 日本 🚀 \u2028 \u2029 \ufeff'
)
EDGE_FLOATS = [1e-05, 2.5e-07, 1e16, 1.2345678901234567e20, 0.1, 0.30000000000000004, 7.0, 0.0]


@pytest.fixture(autouse=True)
def no_response_cache():
    cache.store.clear()
    with override_settings(API_CACHE_SECONDS=0):
        yield


@pytest.fixture
def catalogue(db):
    import_document({"results": records(150)})
    for name in ("ll", "lldev"):
        import_document(load_seed(name))
    edge_records()
    edge_flights()


def shifted(value, by=900_000):
    """``value`` with every nested object's id moved out of the other records' way."""
    if isinstance(value, list):
        return [shifted(item, by) for item in value]
    if isinstance(value, dict):
        return {
            k: v + by if k == "id" and isinstance(v, int) else shifted(v, by)
            for k, v in value.items()
        }
    return value


def edge_records():
    """Spacecraft whose values sit on the edges of JSON encoding."""
    made = shifted(records(len(EDGE_FLOATS), seed=7))
    for number, (record, height) in enumerate(zip(made, EDGE_FLOATS, strict=True)):
        record["name"] = f"Edge {number} {EDGE_TEXT}"
        record["description"] = EDGE_TEXT * (number + 1)
        record["serial_number"] = None if number % 2 else ""
        record["time_in_space"] = None if number % 3 == 0 else f"PT{number}.000001S"
        record["time_docked"] = f"P{number * 400}DT59S"
        record["flights_count"] = None if number == 3 else 2**31 - 1
        config = record["spacecraft_config"]
        config["name"] = f"Edge config {number} \u2029"
        config["height"] = height
        config["diameter"] = None if number % 2 else height * 3
        config["agency"]["name"] = f"{EDGE_TEXT} {number}"[:200]
        config["agency"]["description"] = EDGE_TEXT
        config["agency"]["country"] = [
            {**country, "name": EDGE_TEXT[: 40 + number]} for country in config["agency"]["country"]
        ]
    import_document({"results": made})


def edge_flights():
    """Flights with the real sample launches, and documents on the edges of JSON encoding."""
    crafts = list(models.Spacecraft.objects.order_by("id")[:30])
    edge_launch = factories.launch(
        2, number=1, name=f"Edge launch {EDGE_TEXT}", probability=None, hashtag="\u2028#x"
    )
    edge_landing = factories.landing(
        700_008, description=EDGE_TEXT, downrange_distance=1e-05, success=None
    )
    launches = [factories.launch(0), factories.launch(1), factories.launch(2), edge_launch]
    for number, craft in enumerate(crafts):
        for flight in range(number % 4):  # none, one, two or three flights
            factories.flight(
                craft,
                launches[(number + flight) % len(launches)],
                landing=edge_landing if flight == 1 else None,
                destination=EDGE_TEXT if flight == 2 else "Low Earth Orbit",
                duration=None if number % 5 == 0 else -datetime.timedelta(days=number),
                turn_around_time=datetime.timedelta(seconds=number, microseconds=7),
                mission_end=None,
            )


def test_every_representation_compiles():
    """No representation silently falls back to the serializers."""
    for viewset in VIEWSETS.values():
        for serializer_class in viewset.representations.values():
            assert rendering.plan_for(serializer_class) is not None, serializer_class


@pytest.mark.parametrize("endpoint", sorted(VIEWSETS))
def test_lists_in_every_mode_are_byte_identical(catalogue, api, monkeypatch, endpoint):
    viewset = VIEWSETS[endpoint]
    modes = [*viewset.representations, "bogus"]
    for mode in modes:
        for page in ({"limit": 100}, {"limit": 7, "offset": 3}, {"offset": 100000}):
            fast, slow = both(api, monkeypatch, f"/2.3.0/{endpoint}/", mode=mode, **page)
            assert fast.status_code == 200
            assert_identical(fast, slow)


@pytest.mark.parametrize("endpoint", sorted(VIEWSETS))
def test_details_are_byte_identical(catalogue, api, monkeypatch, endpoint):
    model = VIEWSETS[endpoint]().queryset_for(next(iter(VIEWSETS[endpoint].representations))).model
    ids = list(model.objects.order_by("id").values_list("id", flat=True))
    assert ids
    for pk in [*ids[:: max(1, len(ids) // 12)], ids[-1], ids[-1] + 1000, "not-a-number"]:
        fast, slow = both(api, monkeypatch, f"/2.3.0/{endpoint}/{pk}/", format="json")
        assert_identical(fast, slow)


@pytest.mark.parametrize(
    "params",
    [
        {"search": "capsule"},
        {"search": "日本"},
        {"search": "Config 1"},
        {"in_space": "false", "status": "1"},
        {"is_placeholder": "TRUE"},
        {"status": "999999"},
        {"ordering": "-time_in_space", "mode": "detailed"},
        {"ordering": "flights_count"},
        {"ordering": "-mission_ends_count", "offset": "20"},
        {"ordering": "time_docked", "format": "json"},
        {"name": "Edge 3 " + EDGE_TEXT},
        {"limit": "abc", "offset": "-5"},
    ],
)
def test_filters_search_and_ordering_are_byte_identical(catalogue, api, monkeypatch, params):
    fast, slow = both(
        api, monkeypatch, "/2.3.0/spacecraft/", limit=params.pop("limit", 40), **params
    )
    assert_identical(fast, slow)


def test_urls_keep_the_requested_format_and_host(catalogue, api, monkeypatch):
    for path in ("/2.3.0/spacecraft/", "/2.3.0/spacecraft_flights/"):
        for params in ({"format": "json"}, {"format": "json", "mode": "detailed"}):
            fast, slow = both(api, monkeypatch, path, limit=5, **params)
            assert_identical(fast, slow)
            assert b"/?format=json" in fast.content
    fast = api.get("/2.3.0/spacecraft/", {"limit": 1}, HTTP_HOST="127.0.0.1:8000")
    assert fast.json()["results"][0]["url"].startswith("http://127.0.0.1:8000/2.3.0/spacecraft/")


def test_the_fast_path_needs_fewer_queries(catalogue, api, monkeypatch):
    def queries(**params):
        with CaptureQueriesContext(connection) as captured:
            api.get("/2.3.0/spacecraft/", params)
        return len(captured.captured_queries)

    fast = queries(limit=100, mode="detailed")
    monkeypatch.setattr(views.LL2ViewSet, "fast", False)
    slow = queries(limit=100, mode="detailed")
    assert fast < slow


# --- the encoder ---------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"))
    | st.sampled_from(["\u2028", "\u2029", "a\u2028b\u2029c", "\x00\x1f\x7f", '"\\/', "🚀"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(codec="utf-8"), max_size=8), children, max_size=5
        )
    ),
    max_leaves=30,
)


def marked(value):
    """``value`` as a Plan builds it: floats marked ``JSONFloat``, the root a ``Document``."""
    if isinstance(value, float):
        return rendering.JSONFloat(value)
    if isinstance(value, list):
        return [marked(item) for item in value]
    if isinstance(value, dict):
        return {key: marked(item) for key, item in value.items()}
    return value


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_encoder_writes_what_drf_writes(value):
    expected = DRFJSONRenderer().render({"results": value})
    assert rendering.JSONRenderer().render(rendering.Document(results=marked(value))) == expected


@pytest.mark.parametrize(
    "number", [1e-05, 1e-07, 2.5e-07, 1e16, 1e22, 1.5e300, 5e-324, 123456789.125, -0.0, 0.1]
)
def test_floats_keep_pythons_repr(number):
    expected = DRFJSONRenderer().render({"x": number})
    assert rendering.encode(rendering.Document(x=rendering.JSONFloat(number))) == expected
    assert expected == b'{"x":' + repr(number).encode() + b"}"


def test_lone_surrogates_fail_as_drf_fails():
    data = {"name": "bad \ud800 text"}
    with pytest.raises(UnicodeEncodeError):
        DRFJSONRenderer().render(data)
    with pytest.raises(UnicodeEncodeError):
        rendering.JSONRenderer().render(rendering.Document(data))


def test_indented_json_is_drfs():
    data = {"results": [{"a": 1.5, "b": "\u2028"}]}
    renderer = rendering.JSONRenderer()
    expected = DRFJSONRenderer().render(data, "application/json; indent=4")
    assert (
        renderer.render(rendering.Document(marked(data)), "application/json; indent=4") == expected
    )
