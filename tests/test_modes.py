"""Modes: ``normal`` by default, ``detailed`` on request, the detail URL always detailed.

The catalogue served here (``devtools.catalogue.catalogue_records()``) is LL2's detailed form: its
facts written by hand, rendered by ``devtools/ll2shape.py``, with nulls and non-nulls where
they matter: a spacecraft without image and one with image variants, a
family with a parent and one without, a parent family without manufacturer,
durations null and set. Its nested lists are listed, and so stored, in an
order that is not id order (families 30 then 12, countries 9 then 4, image
variants 92 then 71), so a test can tell id order from insertion order.
Its facts are ``devtools/catalogue.py``; ``import_catalogue`` and the ``catalogue``
fixture are in ``conftest.py``, which the other test modules of this feature use too.
"""

import json

import pytest

from devtools.catalogue import catalogue_records
from spacecraft import models

from . import schema
from .conftest import HOST, dicts, get_json, sorted_nested_lists

# --- the catalogue itself is LL2's detailed form ---------------------------------------


def test_the_catalogue_is_valid_ll2_detailed_data():
    # The hand-written records follow the schema, key order included, so
    # comparing our output with them compares it with LL2's form.
    for record in catalogue_records():
        assert schema.problems("SpacecraftEndpointDetailed", record) == []
        for path, name, obj in schema.objects("SpacecraftEndpointDetailed", record):
            assert list(obj) == schema.properties(name), path


def test_nested_lists_are_stored_out_of_id_order(catalogue):
    through = models.SpacecraftConfig.families.through
    assert list(
        through.objects.filter(spacecraftconfig_id=40)
        .order_by("id")
        .values_list("spacecraftconfigfamily_id", flat=True)
    ) == [30, 12]
    countries = models.Agency.countries.through
    assert list(
        countries.objects.filter(agency_id=88).order_by("id").values_list("country_id", flat=True)
    ) == [9, 4]


# --- which mode answers -------------------------------------------------------------------


def test_default_mode_is_normal(catalogue, api):
    body = get_json(api, "/2.3.0/spacecraft/")
    assert [record["id"] for record in body["results"]] == [3, 7, 11]
    for record in body["results"]:
        assert record["response_mode"] == "normal"
        assert list(record) == schema.properties("SpacecraftNormal")
        assert record["spacecraft_config"]["response_mode"] == "normal"


def test_mode_detailed_on_the_list(catalogue, api):
    body = get_json(api, "/2.3.0/spacecraft/", {"mode": "detailed"})
    for record in body["results"]:
        assert record["response_mode"] == "detailed"
        assert list(record) == schema.properties("SpacecraftEndpointDetailed")
        assert record["spacecraft_config"]["response_mode"] == "detailed"
        assert record["flights"] == []


def test_detailed_records_are_the_imported_ll2_records(catalogue, api):
    """Key for key, value for value, in LL2's order: what went in comes out."""
    body = get_json(api, "/2.3.0/spacecraft/", {"mode": "detailed"})
    expected = sorted(catalogue, key=lambda record: record["id"])
    assert [json.dumps(record) for record in body["results"]] == [
        json.dumps(sorted_nested_lists(record)) for record in expected
    ]


@pytest.mark.parametrize("mode", ["foo", "", "DETAILED", "Detailed", "detailed ", "list"])
def test_unknown_mode_falls_back_to_normal(catalogue, api, mode):
    default = get_json(api, "/2.3.0/spacecraft/")
    body = get_json(api, "/2.3.0/spacecraft/", {"mode": mode})
    assert body["results"] == default["results"]
    assert {record["response_mode"] for record in body["results"]} == {"normal"}


@pytest.mark.parametrize(
    "params", [{}, {"mode": "normal"}, {"mode": "list"}, {"mode": "foo"}, {"mode": "detailed"}]
)
def test_detail_url_is_always_detailed(catalogue, api, params):
    listed = {
        record["id"]: record
        for record in get_json(api, "/2.3.0/spacecraft/", {"mode": "detailed"})["results"]
    }
    for pk in (3, 7, 11):
        record = get_json(api, f"/2.3.0/spacecraft/{pk}/", params)
        assert record["response_mode"] == "detailed"
        assert json.dumps(record) == json.dumps(listed[pk])


def test_detail_url_of_a_missing_spacecraft_is_404(catalogue, api):
    response = api.get("/2.3.0/spacecraft/999/", HTTP_HOST=HOST, secure=True)
    assert response.status_code == 404


# --- response_mode comes first ---------------------------------------------------------------

PAYLOADS = [
    ("/2.3.0/spacecraft/", {}),
    ("/2.3.0/spacecraft/", {"mode": "detailed"}),
    ("/2.3.0/spacecraft/3/", {}),
    ("/2.3.0/spacecraft/7/", {"mode": "normal"}),
]


@pytest.mark.parametrize(("path", "params"), PAYLOADS)
def test_response_mode_is_the_first_key_of_every_object_that_has_one(catalogue, api, path, params):
    payload = get_json(api, path, params)
    with_mode = [(where, obj) for where, obj in dicts(payload) if "response_mode" in obj]
    assert with_mode, "no object has a response_mode"
    for where, obj in with_mode:
        assert next(iter(obj)) == "response_mode", where


@pytest.mark.parametrize(("path", "params"), PAYLOADS)
def test_response_mode_is_where_the_schema_declares_it_with_its_value(catalogue, api, path, params):
    payload = get_json(api, path, params)
    name = (
        "PaginatedPolymorphicSpacecraftEndpointList"
        if "results" in payload
        else "SpacecraftEndpointDetailed"
    )
    declared = []
    for where, component, obj in schema.objects(name, payload):
        spec = schema.components()[component]["properties"].get("response_mode")
        if spec:
            declared.append(where)
            assert obj.get("response_mode") == spec["default"], where
    present = [where for where, obj in dicts(payload) if "response_mode" in obj]
    assert sorted(present) == sorted(declared)


# --- nested lists come in id order ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/2.3.0/spacecraft/", {}),
        ("/2.3.0/spacecraft/", {"mode": "detailed"}),
        ("/2.3.0/spacecraft/", {"ordering": "-id"}),
    ],
)
def test_nested_lists_are_in_id_order_on_the_list(catalogue, api, path, params):
    records = {record["id"]: record for record in get_json(api, path, params)["results"]}
    _assert_nested_order(records, detailed=params.get("mode") == "detailed")


def test_nested_lists_are_in_id_order_on_the_detail_url(catalogue, api):
    records = {pk: get_json(api, f"/2.3.0/spacecraft/{pk}/") for pk in (3, 7, 11)}
    _assert_nested_order(records, detailed=True)


def _assert_nested_order(records, detailed):
    assert [family["id"] for family in records[7]["spacecraft_config"]["family"]] == [12, 30]
    assert [variant["id"] for variant in records[3]["image"]["variants"]] == [71, 92]
    if detailed:
        agency = records[7]["spacecraft_config"]["agency"]
        assert [country["id"] for country in agency["country"]] == [4, 9]
        manufacturer = records[7]["spacecraft_config"]["family"][0]["manufacturer"]
        assert [country["id"] for country in manufacturer["country"]] == [4, 9]
    # Every list of objects anywhere in the payload is in id order.
    for record in records.values():
        for where, obj in dicts(record):
            for key, value in obj.items():
                if isinstance(value, list) and value:
                    ids = [item["id"] for item in value]
                    assert ids == sorted(ids), f"{where}.{key}"
