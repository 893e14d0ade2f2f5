"""The endpoints a spacecraft payload links to, and the lookups it nests.

Every ``url`` in a spacecraft payload resolves; each related endpoint's list
and detail validate against LL2's official components (the list against its
``Paginated...`` component, the detail against the response of the schema's
detail path); their filters, search and ordering work as LL2 lists them.
"""

import json
from urllib.parse import urlsplit

import pytest

from spacecraft import models
from spacecraft.api import urls

from . import schema
from .conftest import HOST, as_ll2, dicts, get_json, import_catalogue

ENDPOINTS = [
    "spacecraft_configurations",
    "agencies",
    "spacecraft_configuration_families",
    "config/spacecraft_statuses",
    "config/spacecraft_configuration_types",
]
MODES = {
    "spacecraft_configurations": ["normal", "detailed"],
    "agencies": ["list", "normal", "detailed"],
    "spacecraft_configuration_families": ["list", "normal", "detailed"],
}
IDS = {
    "spacecraft_configurations": [25, 40],
    "agencies": [88, 121, 200],
    "spacecraft_configuration_families": [10, 12, 30],
    "config/spacecraft_statuses": [1, 4],
    "config/spacecraft_configuration_types": [1, 3],
}


@pytest.fixture
def catalogue(db, settings):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    records = import_catalogue()
    # An agency with no spacecraft configuration, for the ``spacecraft`` filter.
    models.Agency.objects.create(
        id=200,
        name="Thales Alenia Space",
        abbrev="TAS",
        type=models.AgencyType.objects.get(id=3),
        founding_year=2007,
    )
    return records


def response_component(path):
    """The component the official schema gives as the 200 answer of ``path``."""
    operation = schema.openapi()["paths"][path]["get"]
    return schema.component_name(
        operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    )


def ids(body):
    return [record["id"] for record in body["results"]]


# --- every url resolves ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/2.3.0/spacecraft/", {}),
        ("/2.3.0/spacecraft/", {"mode": "detailed"}),
        ("/2.3.0/spacecraft/", {"format": "json"}),
        ("/2.3.0/spacecraft/", {"mode": "detailed", "format": "json"}),
        ("/2.3.0/spacecraft/7/", {}),
    ],
)
def test_every_url_in_a_spacecraft_payload_resolves(catalogue, api, path, params):
    payload = get_json(api, path, params)
    urls = {obj["url"] for _, obj in dicts(payload) if isinstance(obj.get("url"), str)}
    linked = {urlsplit(url).path.split("/")[2] for url in urls}
    assert linked == {"spacecraft", "spacecraft_configurations", "agencies"}
    for url in sorted(urls):
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("https", HOST)
        assert ("format=json" in parts.query) == ("format" in params), url
        response = api.get(
            parts.path + ("?" + parts.query if parts.query else ""), HTTP_HOST=HOST, secure=True
        )
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/json"
        body = as_ll2(json.loads(response.content))
        assert body["url"] == url
        endpoint = parts.path.removeprefix("/2.3.0/").rsplit("/", 2)[0]
        component = response_component(f"/2.3.0/{endpoint}/{{id}}/")
        _assert_valid(component, body)


def _assert_valid(component, payload):
    assert _problems(component, payload) == []
    for where, name, obj in schema.objects(component, payload):
        assert list(obj) == schema.properties(name), where


def _problems(component, payload):
    """Schema problems, except the one LL2's own wire format has (see below)."""
    return [
        problem
        for problem in schema.problems(component, payload)
        if not _is_null_family_manufacturer(problem)
    ]


def _is_null_family_manufacturer(problem):
    """LL2's schema makes a detailed family's ``manufacturer`` a non-nullable
    ``AgencyNormal``; a family without manufacturer is sent as null all the
    same (see test_schema_validation). Family 10 has none."""
    return problem.endswith(".manufacturer: None is not of type 'object'")


# --- each endpoint validates against its official components -----------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_validates_in_every_mode(catalogue, api, endpoint):
    component = response_component(f"/2.3.0/{endpoint}/")
    assert component.startswith("Paginated")
    for mode in MODES.get(endpoint, [None]):
        body = get_json(api, f"/2.3.0/{endpoint}/", {"mode": mode} if mode else {})
        assert ids(body) == IDS[endpoint]
        _assert_valid(component, body)
        if mode:
            assert {record["response_mode"] for record in body["results"]} == {mode}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_detail_validates(catalogue, api, endpoint):
    component = response_component(f"/2.3.0/{endpoint}/{{id}}/")
    for pk in IDS[endpoint]:
        for params in ({}, {"mode": "normal"}, {"mode": "list"}):
            body = get_json(api, f"/2.3.0/{endpoint}/{pk}/", params)
            assert body["id"] == pk
            _assert_valid(component, body)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_missing_id_is_404(catalogue, api, endpoint):
    assert api.get(f"/2.3.0/{endpoint}/999/").status_code == 404


def test_the_family_without_manufacturer_is_the_only_exception(catalogue, api):
    component = response_component("/2.3.0/spacecraft_configuration_families/{id}/")
    assert (
        schema.problems(component, get_json(api, "/2.3.0/spacecraft_configuration_families/30/"))
        == []
    )
    assert schema.problems(
        component, get_json(api, "/2.3.0/spacecraft_configuration_families/10/")
    ) == ["$.manufacturer: None is not of type 'object'"]


def test_agency_detail_lists_its_configurations_in_detailed_form(catalogue, api):
    agency = get_json(api, "/2.3.0/agencies/88/")
    assert agency["response_mode"] == "detailed"
    assert [config["id"] for config in agency["spacecraft_list"]] == [40]
    config = agency["spacecraft_list"][0]
    assert json.dumps(config) == json.dumps(get_json(api, "/2.3.0/spacecraft_configurations/40/"))
    # What our catalogue does not keep is null or empty, never made up.
    assert agency["social_media_links"] == [] and agency["launcher_list"] == []
    assert agency["info_url"] is None and agency["wiki_url"] is None


def test_family_detail_lists_its_configurations(catalogue, api):
    family = get_json(api, "/2.3.0/spacecraft_configuration_families/12/")
    assert family["response_mode"] == "detailed"
    assert [config["id"] for config in family["spacecraft"]] == [25, 40]
    assert {config["response_mode"] for config in family["spacecraft"]} == {"normal"}


# --- filters, search and ordering ----------------------------------------------------------


def listed(api, endpoint, **params):
    return ids(get_json(api, f"/2.3.0/{endpoint}/", params))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"agency": "88"}, [40]),
        ({"agency": "121"}, [25]),
        ({"human_rated": "false"}, [25, 40]),
        ({"human_rated": "True"}, []),
        ({"in_use": "true"}, [25]),
        ({"in_use": "0"}, [40]),
        ({"in_use": "maybe"}, [25, 40]),
        ({"name": "Space Rider"}, [25]),
        ({"name": "Space"}, []),
        ({"search": "automated"}, [40]),
        ({"search": "ESA"}, [40]),  # agency__abbrev
        ({"search": "Airbus"}, [25]),  # agency__name
        ({"ordering": "name"}, [40, 25]),
        ({"ordering": "-name"}, [25, 40]),
        ({"ordering": "-id"}, [25, 40]),  # not an ordering field: ignored
        ({"unknown": "1"}, [25, 40]),
    ],
)
def test_configuration_filters_search_and_ordering(catalogue, api, params, expected):
    assert listed(api, "spacecraft_configurations", **params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"manufacturer": "121"}, [30]),
        ({"manufacturer": "88"}, [12]),
        ({"name": "ATV"}, [30]),
        ({"search": "airbus"}, [30]),  # manufacturer__name
        ({"search": "ADS"}, [30]),  # manufacturer__abbrev
        ({"search": "vehicles"}, [10, 12]),
        ({"ordering": "name"}, [30, 12, 10]),
        ({"ordering": "-name"}, [10, 12, 30]),
    ],
)
def test_family_filters_search_and_ordering(catalogue, api, params, expected):
    assert listed(api, "spacecraft_configuration_families", **params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"id": "121"}, [121]),
        ({"name": "Airbus Defence and Space"}, [121]),
        ({"name__contains": "Space"}, [88, 121, 200]),
        ({"name__contains": "Agency"}, [88]),
        ({"abbrev": "ESA"}, [88]),
        ({"abbrev__contains": "A"}, [88, 121, 200]),
        ({"abbrev__contains": "AS"}, [200]),
        ({"description__contains": "intergovernmental"}, [88]),
        ({"featured": "true"}, [88]),
        ({"featured": "FALSE"}, [121, 200]),
        ({"founding_year": "1975"}, [88]),
        ({"founding_year__gt": "1975"}, [200]),
        ({"founding_year__gte": "1975"}, [88, 200]),
        ({"founding_year__lt": "2007"}, [88]),
        ({"founding_year__lte": "2007"}, [88, 200]),
        ({"type__id": "3"}, [121, 200]),
        ({"country_code": "FRA"}, [88, 121]),
        ({"country_code": "DEU"}, [88]),
        ({"country_code": "deu"}, [88]),
        ({"country_code": "DEU,USA"}, [88]),
        ({"country_code": "FRA,DEU"}, [88, 121]),
        ({"country_code": "USA"}, []),
        ({"spacecraft": "true"}, [88, 121]),
        ({"spacecraft": "false"}, [200]),
        ({"search": "esa"}, [88]),
        ({"search": "Thales"}, [200]),
        ({"ordering": "name"}, [121, 88, 200]),
        ({"ordering": "-name"}, [200, 88, 121]),
        ({"ordering": "-featured"}, [88, 121, 200]),
        ({"ordering": "-id"}, [200, 121, 88]),
    ],
)
def test_agency_filters_search_and_ordering(catalogue, api, params, expected):
    assert listed(api, "agencies", **params) == expected


@pytest.mark.parametrize(
    ("endpoint", "params", "name"),
    [
        ("spacecraft_configurations", {"agency": "999"}, "agency"),
        ("spacecraft_configurations", {"agency": "x"}, "agency"),
        ("spacecraft_configuration_families", {"manufacturer": "999"}, "manufacturer"),
        ("agencies", {"founding_year": "soon"}, "founding_year"),
        ("agencies", {"id": "x"}, "id"),
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_parameter(
    catalogue, api, endpoint, params, name
):
    response = api.get(f"/2.3.0/{endpoint}/", params)
    assert response.status_code == 400
    assert name in json.loads(response.content)


@pytest.mark.parametrize(
    "endpoint", ["config/spacecraft_statuses", "config/spacecraft_configuration_types"]
)
def test_lookups_list_everything_by_id(catalogue, api, endpoint):
    body = get_json(api, f"/2.3.0/{endpoint}/", {"limit": 1})
    assert body["count"] == 2 and ids(body) == IDS[endpoint][:1]
    assert body["next"] == f"https://{HOST}/2.3.0/{endpoint}/?limit=1&offset=1"


def test_our_filters_are_exactly_ll2s():
    """Search and ordering fields: see test_browsable, against LL2's help text."""
    for prefix, viewset, _ in urls.router.registry:
        operation = schema.openapi()["paths"][f"/2.3.0/{prefix}/"]["get"]
        parameters = {parameter["name"] for parameter in operation["parameters"]}
        filterset = getattr(viewset, "filterset_class", None)
        ours = set(filterset.base_filters) if filterset else set()
        assert ours == parameters - {"limit", "offset", "ordering", "search"}, prefix


@pytest.mark.parametrize(
    "path",
    [
        "/2.3.0/agencies/?mode=detailed",
        "/2.3.0/spacecraft_configuration_families/?mode=detailed",
        "/2.3.0/spacecraft_configurations/?mode=detailed",
    ],
)
def test_detailed_lists_cost_the_same_queries_for_more_rows(catalogue, api, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert api.get(path).status_code == 200
    cargo = models.SpacecraftConfigType.objects.get(id=3)
    for number in range(3):
        agency = models.Agency.objects.create(
            name=f"Agency {number}", type=models.AgencyType.objects.get(id=1)
        )
        agency.countries.set(models.Country.objects.all())
        family = models.SpacecraftConfigFamily.objects.create(
            name=f"Family {number}", manufacturer=agency, parent_id=30
        )
        config = models.SpacecraftConfig.objects.create(
            name=f"Cargo {number}", type=cargo, agency=agency
        )
        config.families.set([family, models.SpacecraftConfigFamily.objects.get(id=12)])
    with CaptureQueriesContext(connection) as more:
        body = json.loads(api.get(path).content)
    assert body["count"] > len(IDS[path.split("/")[2]])
    assert len(more.captured_queries) == len(few.captured_queries)
