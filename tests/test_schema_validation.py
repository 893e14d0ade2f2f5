"""Our spacecraft payloads against LL2's official OpenAPI components.

Validation is strict (``tests/schema.py``): no undeclared keys, and every
``response_mode`` equals its component's default. Key order must equal the
schema's property order in every nested component, as LL2's serializers
emit their fields in schema order.
"""

import copy
import json

import pytest

from devtools.catalogue import ESA_VEHICLES, catalogue_records

from . import schema
from .conftest import HOST, as_ll2, get_json, import_catalogue

PAGE = "PaginatedPolymorphicSpacecraftEndpointList"
NORMAL = "SpacecraftNormal"
DETAILED = "SpacecraftEndpointDetailed"


@pytest.fixture
def catalogue(db, settings):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    return import_catalogue()


# --- the translation itself ----------------------------------------------------------------


def _record():
    return copy.deepcopy(catalogue_records()[1])  # Space Rider 1: image with variants


def test_nullable_next_to_allof_means_object_or_null():
    record = _record()
    assert schema.problems(DETAILED, record) == []
    record["image"] = None
    assert schema.problems(DETAILED, record) == []
    record["image"] = 5
    assert schema.problems(DETAILED, record) == ["$.image: 5 is not of type 'object'"]
    record["image"] = {"id": 1}
    assert "$.image: 'license' is a required property" in schema.problems(DETAILED, record)


def test_nullable_scalars_take_null_and_their_type_only():
    record = _record()
    record["serial_number"] = None
    record["flights_count"] = None
    assert schema.problems(DETAILED, record) == []
    record["serial_number"] = 5
    record["flights_count"] = "1"
    assert schema.problems(DETAILED, record) == [
        "$.flights_count: '1' is not of type 'integer'",
        "$.serial_number: 5 is not of type 'string'",
    ]


def test_what_is_not_nullable_refuses_null():
    record = _record()
    record["status"] = None
    record["name"] = None
    record["spacecraft_config"]["agency"] = None
    assert schema.problems(DETAILED, record) == [
        "$.name: None is not of type 'string'",
        "$.spacecraft_config.agency: None is not of type 'object'",
        "$.status: None is not of type 'object'",
    ]


def test_refs_resolve_to_nested_components():
    record = _record()
    del record["spacecraft_config"]["family"][0]["manufacturer"]["type"]
    record["image"]["variants"][0]["type"] = {"id": "one"}
    assert schema.problems(DETAILED, record) == [
        "$.image.variants[0].type.id: 'one' is not of type 'integer'",
        "$.spacecraft_config.family[0].manufacturer: 'type' is a required property",
    ]


def test_the_discriminator_picks_the_component():
    detailed = _record()
    page = {"count": 1, "next": None, "previous": None, "results": [detailed]}
    assert schema.problems(PAGE, page) == []
    del detailed["flights"]  # a detailed record must have flights, a normal one must not
    assert schema.problems(PAGE, page) == ["$.results[0]: 'flights' is a required property"]
    detailed["response_mode"] = "list"
    assert schema.problems(PAGE, page) == [
        "$.results[0].response_mode: 'list' is not one of ['normal', 'detailed']"
    ]


def test_strict_mode_refuses_undeclared_keys_and_foreign_response_modes():
    record = _record()
    record["extra"] = 1
    record["spacecraft_config"]["family"][0]["response_mode"] = "detailed"
    assert schema.problems(DETAILED, record, closed=False, pin_defaults=False) == []
    assert schema.problems(DETAILED, record) == [
        "$.spacecraft_config.family[0].response_mode: 'normal' was expected",
        "$: Additional properties are not allowed ('extra' was unexpected)",
    ]


def test_formats_date_and_uri_are_checked():
    record = _record()
    record["spacecraft_config"]["maiden_flight"] = "2008-13-01"
    record["url"] = "/2.3.0/spacecraft/3/"
    record["spacecraft_config"]["wiki_link"] = ""  # LL2 sends "" for a blank link
    assert schema.problems(DETAILED, record) == [
        "$.spacecraft_config.maiden_flight: '2008-13-01' is not a 'date'",
        "$.url: '/2.3.0/spacecraft/3/' is not a 'uri'",
    ]


def test_objects_walks_every_nested_component():
    names = {name for _, name, _ in schema.objects(DETAILED, _record())}
    assert names == {
        "SpacecraftEndpointDetailed",
        "Image",
        "ImageLicense",
        "ImageVariant",
        "ImageVariantType",
        "SpacecraftStatus",
        "SpacecraftConfigDetailed",
        "SpacecraftConfigType",
        "AgencyNormal",
        "AgencyType",
        "Country",
        "SpacecraftConfigFamilyDetailed",
    }


# --- our payloads ---------------------------------------------------------------------------


def test_the_data_exercises_nulls_and_non_nulls(catalogue, api):
    body = get_json(api, "/2.3.0/spacecraft/", {"mode": "detailed"})
    records = {record["id"]: record for record in body["results"]}
    assert records[7]["image"] is None
    assert len(records[3]["image"]["variants"]) == 2
    assert records[3]["image"]["credit"] == "ESA" and records[11]["image"]["credit"] is None
    atv = records[7]["spacecraft_config"]
    assert atv["family"][1]["parent"]["id"] == 10
    assert atv["family"][1]["parent"]["manufacturer"] is None
    assert atv["family"][0]["parent"] is None
    assert records[3]["time_in_space"] is None and records[3]["time_docked"] is None
    assert (records[11]["time_in_space"], records[11]["time_docked"]) == ("PT1M49S", "P0D")
    assert (
        records[3]["fastest_turnaround"] == "P1DT1H18M" and records[7]["fastest_turnaround"] is None
    )
    assert atv["fastest_turnaround"] is None
    assert records[3]["spacecraft_config"]["fastest_turnaround"] == "P120D"
    assert records[3]["spacecraft_config"]["agency"]["description"] is None


def test_normal_page_and_records_validate(catalogue, api):
    body = get_json(api, "/2.3.0/spacecraft/")
    assert schema.problems(PAGE, body) == []
    assert len(body["results"]) == 3
    for record in body["results"]:
        assert schema.problems(NORMAL, record) == []


def test_detailed_page_and_records_validate(catalogue, api):
    body = get_json(api, "/2.3.0/spacecraft/", {"mode": "detailed"})
    assert schema.problems(PAGE, body) == []
    assert len(body["results"]) == 3
    for record in body["results"]:
        assert schema.problems(DETAILED, record) == []


@pytest.mark.parametrize("pk", [3, 7, 11])
def test_detail_validates(catalogue, api, pk):
    assert schema.problems(DETAILED, get_json(api, f"/2.3.0/spacecraft/{pk}/")) == []


@pytest.mark.parametrize(
    ("params", "name"),
    [({}, PAGE), ({"mode": "detailed"}, PAGE), ({"format": "json"}, PAGE)],
)
def test_key_order_is_the_schema_order_in_every_component_of_a_page(catalogue, api, params, name):
    payload = get_json(api, "/2.3.0/spacecraft/", params)
    checked = set()
    for where, component, obj in schema.objects(name, payload):
        assert list(obj) == schema.properties(component), where
        checked.add(component)
    if params.get("mode") == "detailed":
        assert {"AgencyNormal", "Country", "SpacecraftConfigFamilyNormal"} <= checked
    else:
        assert {
            "AgencyMini",
            "SpacecraftConfigFamilyNormal",
            "SpacecraftConfigFamilyMini",
        } <= checked
    assert {"Image", "ImageLicense", "ImageVariant", "ImageVariantType"} <= checked


def test_key_order_is_the_schema_order_in_every_component_of_a_detail(catalogue, api):
    checked = set()
    for pk in (3, 7, 11):
        record = get_json(api, f"/2.3.0/spacecraft/{pk}/")
        for where, component, obj in schema.objects(DETAILED, record):
            assert list(obj) == schema.properties(component), f"{pk} {where}"
            checked.add(component)
    assert {
        "SpacecraftEndpointDetailed",
        "SpacecraftConfigDetailed",
        "AgencyNormal",
        "Country",
        "SpacecraftConfigFamilyDetailed",
        "SpacecraftConfigFamilyNormal",
        "ImageVariant",
    } <= checked


@pytest.mark.parametrize("mode", ["normal", "detailed"])
def test_the_seed_spacecraft_validate_in_both_modes(seeded, api, mode):
    body = as_ll2(json.loads(api.get("/2.3.0/spacecraft/", {"mode": mode, "limit": 100}).content))
    assert body["count"] == 20
    assert schema.problems(PAGE, body) == []
    for where, component, obj in schema.objects(PAGE, body):
        assert list(obj) == schema.properties(component), where


def test_a_detailed_family_without_manufacturer_is_null_where_the_schema_forbids_it(catalogue, api):
    """A known disagreement between LL2's schema and LL2's wire format.

    ``SpacecraftConfigFamilyDetailed.manufacturer`` is a non-nullable
    ``AgencyNormal`` in the schema, but the model allows no manufacturer and
    DRF (LL2's framework too) renders a missing nested object as ``null``.
    We send ``null``, as LL2 does; the schema flags exactly that value and
    nothing else. Family 12 (ESA Vehicles) loses its manufacturer here.
    """
    from spacecraft import models

    family = models.SpacecraftConfigFamily.objects.get(id=ESA_VEHICLES["id"])
    family.manufacturer = None
    family.save()
    detail = get_json(api, "/2.3.0/spacecraft/3/", {"mode": "normal"})
    assert detail["spacecraft_config"]["family"][0]["manufacturer"] is None
    assert schema.problems(DETAILED, detail) == [
        "$.spacecraft_config.family[0].manufacturer: None is not of type 'object'"
    ]
    listed = get_json(api, "/2.3.0/spacecraft/")["results"]
    assert (
        schema.problems(PAGE, {"count": 3, "next": None, "previous": None, "results": listed}) == []
    )
