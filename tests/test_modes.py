"""Modes: ``normal`` by default, ``detailed`` on request, the detail URL always detailed.

The catalogue built here (``catalogue_records()``) is LL2's detailed form: its
facts written by hand, rendered by ``tests/ll2shape.py``, with nulls and non-nulls where
they matter: a spacecraft without image and one with image variants, a
family with a parent and one without, a parent family without manufacturer,
durations null and set. Its nested lists are listed, and so stored, in an
order that is not id order (families 30 then 12, countries 9 then 4, image
variants 92 then 71), so a test can tell id order from insertion order.
The other test modules of this feature import it from here.
"""

import json

import pytest

from spacecraft import models
from spacecraft.ingest.importer import import_document

from . import ll2shape, schema

HOST = "ll.thespacedevs.com"
BASE = f"https://{HOST}/2.3.0"

LICENSE_UNKNOWN = {"id": 1, "name": "Unknown", "priority": 9, "link": None}
LICENSE_CC = {
    "id": 4,
    "name": "CC BY 4.0",
    "priority": 1,
    "link": "https://creativecommons.org/licenses/by/4.0/",
}
PLAIN_IMAGE = {
    "id": 650,
    "name": "[AUTO] ATV - image",
    "image_url": "https://images.example.org/atv.jpg",
    "thumbnail_url": "https://images.example.org/atv_thumbnail.jpg",
    "credit": None,
    "license": LICENSE_UNKNOWN,
    "single_use": True,
    "variants": [],
}
IMAGE_WITH_VARIANTS = {
    "id": 700,
    "name": "Space Rider in orbit",
    "image_url": "https://images.example.org/space_rider.jpg",
    "thumbnail_url": "https://images.example.org/space_rider_thumbnail.jpg",
    "credit": "ESA",
    "license": LICENSE_CC,
    "single_use": False,
    # Listed (and so stored) 92 before 71: LL2 lists them by id.
    "variants": [
        {
            "id": 92,
            "type": {"id": 2, "name": "Small"},
            "image_url": "https://images.example.org/space_rider_small.jpg",
        },
        {
            "id": 71,
            "type": {"id": 1, "name": "Thumbnail"},
            "image_url": "https://images.example.org/space_rider_thumb.jpg",
        },
    ],
}
FRANCE = {
    "id": 9,
    "name": "France",
    "alpha_2_code": "FR",
    "alpha_3_code": "FRA",
    "nationality_name": "French",
    "nationality_name_composed": "Franco",
}
GERMANY = {
    "id": 4,
    "name": "Germany",
    "alpha_2_code": "DE",
    "alpha_3_code": "DEU",
    "nationality_name": "German",
    "nationality_name_composed": "Germano",
}
GOVERNMENT = {"id": 1, "name": "Government"}
COMMERCIAL = {"id": 3, "name": "Commercial"}

ESA = {
    "id": 88,
    "name": "European Space Agency",
    "abbrev": "ESA",
    "type": GOVERNMENT,
    "featured": True,
    "country": [FRANCE, GERMANY],  # 9 before 4
    "description": "An intergovernmental organisation dedicated to the exploration of space.",
    "administrator": "Director General: Josef Aschbacher",
    "founding_year": 1975,
    "launchers": "Ariane | Vega",
    "spacecraft": "ATV | Space Rider",
    "parent": None,
    "image": PLAIN_IMAGE,
    "logo": None,
    "social_logo": None,
}
AIRBUS = {
    "id": 121,
    "name": "Airbus Defence and Space",
    "abbrev": "ADS",
    "type": COMMERCIAL,
    "featured": False,
    "country": [FRANCE],
    "description": None,
    "administrator": None,
    "founding_year": None,
    "launchers": "",
    "spacecraft": "",
    "parent": "Airbus",
    "image": None,
    "logo": PLAIN_IMAGE,
    "social_logo": None,
}

NO_STATS = dict.fromkeys(ll2shape.STATISTICS)
ATV_STATS = {
    "spacecraft_flown": 5,
    "total_launch_count": 5,
    "successful_launches": 5,
    "failed_launches": 0,
    "attempted_landings": None,
    "successful_landings": None,
    "failed_landings": None,
}


# Family 10 has no manufacturer; family 30 has family 10 as its parent.
CARGO_VEHICLES = {
    "id": 10,
    "name": "European Cargo Vehicles",
    "description": "",
    "manufacturer": None,
    "parent": None,
    "maiden_flight": None,
}
ATV_FAMILY = {
    "id": 30,
    "name": "ATV",
    "description": "Expendable cargo spacecraft for the International Space Station.",
    "manufacturer": AIRBUS,
    "parent": CARGO_VEHICLES,
    "maiden_flight": "2008-03-09",
}
ESA_VEHICLES = {
    "id": 12,
    "name": "ESA Vehicles",
    "description": "Spacecraft developed for the European Space Agency.",
    "manufacturer": ESA,
    "parent": None,
    "maiden_flight": None,
}


# Facts of the two configurations (``tests/ll2shape.py`` renders them), families 30 then 12.
ATV_CONFIG = {
    "id": 40,
    "name": "Automated Transfer Vehicle",
    "type": {"id": 3, "name": "Cargo"},
    "agency": ESA,
    "family": [{**ATV_FAMILY, **ATV_STATS}, {**ESA_VEHICLES, **NO_STATS}],
    "in_use": False,
    "image": PLAIN_IMAGE,
    "capability": "Delivers up to 7.7 t of cargo to the ISS and reboosts it.",
    "history": "Five ATVs flew between 2008 and 2015.",
    "details": "",
    "maiden_flight": "2008-03-09",
    "height": 10.3,
    "diameter": 4.5,
    "human_rated": False,
    "crew_capacity": None,
    "payload_capacity": 7667,
    "payload_return_capacity": None,
    "flight_life": "6 months docked",
    "wiki_link": "https://en.wikipedia.org/wiki/Automated_Transfer_Vehicle",
    "info_link": "",
    **ATV_STATS,
    "fastest_turnaround": None,
}
SPACE_RIDER_CONFIG = {
    "id": 25,
    "name": "Space Rider",
    "type": {"id": 1, "name": "Spaceplane"},
    "agency": AIRBUS,
    "family": [{**ESA_VEHICLES, **NO_STATS}],
    "in_use": True,
    "image": None,
    "capability": "",
    "history": "",
    "details": "Reusable uncrewed orbital laboratory.",
    "maiden_flight": None,
    "height": None,
    "diameter": None,
    "human_rated": False,
    "crew_capacity": 0,
    "payload_capacity": 600,
    "payload_return_capacity": 600,
    "flight_life": None,
    "wiki_link": "",
    "info_link": "https://www.esa.int/space_rider",
    **NO_STATS,
    "fastest_turnaround": "P120D",
}
ACTIVE = {"id": 1, "name": "Active"}
DESTROYED = {"id": 4, "name": "Destroyed"}


def spacecraft(pk, name, config, **fields):
    """A spacecraft in LL2's detailed form; the fields not given are null, false or empty."""
    facts = {
        "id": pk,
        "name": name,
        "serial_number": None,
        "is_placeholder": False,
        "image": None,
        "in_space": False,
        "time_in_space": None,
        "time_docked": None,
        "flights_count": None,
        "mission_ends_count": None,
        "status": DESTROYED,
        "description": "",
        "spacecraft_config": config,
        "fastest_turnaround": None,
    }
    return ll2shape.spacecraft_detailed({**facts, **fields}, BASE)


def catalogue_records():
    """Three spacecraft in LL2's detailed form, listed 7, 3, 11."""
    return [
        spacecraft(
            7,
            "Jules Verne",
            ATV_CONFIG,
            serial_number="ATV-001",
            time_in_space="P203DT14H",
            time_docked="P163DT2H",
            flights_count=1,
            mission_ends_count=1,
            description="The first ATV, named after the French author.",
        ),
        spacecraft(
            3,
            "Space Rider 1",
            SPACE_RIDER_CONFIG,
            is_placeholder=True,
            image=IMAGE_WITH_VARIANTS,
            in_space=True,
            status=ACTIVE,
            fastest_turnaround="P1DT1H18M",
        ),
        spacecraft(
            11,
            "Georges Lemaitre",
            ATV_CONFIG,
            serial_number="ATV-005",
            image=PLAIN_IMAGE,
            time_in_space="PT1M49S",
            time_docked="P0D",
            flights_count=1,
            mission_ends_count=0,
        ),
    ]


def import_catalogue():
    records = catalogue_records()
    import_document({"count": len(records), "next": None, "previous": None, "results": records})
    return records


def get_json(api, path, params=None, **extra):
    """GET as LL2's own host, so that every url is LL2's."""
    response = api.get(path, params or {}, HTTP_HOST=HOST, secure=True, **extra)
    assert response.status_code == 200, response.content[:500]
    return json.loads(response.content)


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
        json.dumps(_sorted_nested_lists(record)) for record in expected
    ]


def _sorted_nested_lists(record):
    """``record`` with its nested lists in id order, as LL2 sends them."""
    if isinstance(record, dict):
        return {key: _sorted_nested_lists(value) for key, value in record.items()}
    if isinstance(record, list):
        items = [_sorted_nested_lists(item) for item in record]
        return sorted(items, key=lambda item: item["id"]) if items else items
    return record


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
