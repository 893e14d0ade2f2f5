"""Our OpenAPI document (/2.3.0/schema/) against LL2's official one.

Every component LL2's document uses for the endpoints we serve is in ours,
under the same name, with the same properties in the same order, the same
types, formats and nullability, and the same required lists. Where we differ
on purpose the difference is spelled out below, with the reason. The error
answers LL2 leaves out are documented, and real error answers match them. The
docs page at /docs/ loads nothing from outside this server.
"""

import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from spacecraft import declarations

from .conftest import LL2, SEED_FILES
from .schema import openapi_validator as validator

OFFICIAL_FILE = LL2 / "schema" / "ll2-2.3.0-spacecraft-subset.openapi.json"

# Every path of LL2's spacecraft subset is served.
NOT_SERVED_PATHS = set()

# Relations we do not model: the key is sent, always as an empty list, so
# the components LL2 reaches only through them are not in our document.
# (component, property): LL2's type for it.
NOT_MODELLED = {
    ("AgencyEndpointDetailed", "social_media_links"): "array[ref:SocialMediaLink]",
    ("AgencyEndpointDetailed", "launcher_list"): (
        "array[ref:LauncherConfigDetailedSerializerNoManufacturer]"
    ),
}

# Our own components: the bodies of our error answers, and /api-throttle/'s answer
# (LL2 serves that path, but its spacecraft subset does not include it).
OUR_COMPONENTS = {"APIThrottle", "BadRequest", "Error", "ParameterErrors", "Refused"}
OUR_PATHS = {"/2.3.0/api-throttle/"}

# (component, property): (as LL2 documents it, as we document it).
DIFFERENT = {
    **{key: (theirs, "array[object]") for key, theirs in NOT_MODELLED.items()},
    # A family's manufacturer may be missing (LL2's normal family says so
    # too); the detailed form then sends null, so we document it nullable.
    ("SpacecraftConfigFamilyDetailed", "manufacturer"): (
        "ref:AgencyNormal",
        "ref:AgencyNormal|null",
    ),
    ("SpacecraftConfigFamilyEndpointDetailed", "manufacturer"): (
        "ref:AgencyNormal",
        "ref:AgencyNormal|null",
    ),
    # Links that may be blank are sent as "" when missing (as LL2 does), which
    # breaks "format: uri", so ours are plain strings.
    ("SpacecraftConfigDetailed", "wiki_link"): ("string(uri)", "string"),
    ("SpacecraftConfigDetailed", "info_link"): ("string(uri)", "string"),
    ("AgencyEndpointDetailed", "info_url"): ("string(uri)|null", "string|null"),
    ("AgencyEndpointDetailed", "wiki_url"): ("string(uri)|null", "string|null"),
    ("ImageLicense", "link"): ("string(uri)|null", "string|null"),
    # Real LL2 flights have no landing, no duration or no turn-around time
    # (LL2's schema says they always have them): ours says "or null".
    **{
        (flight, prop): (theirs, f"{theirs}|null")
        for flight in ("SpacecraftFlightNormal", "SpacecraftFlightDetailed")
        for prop, theirs in (
            ("landing", "ref:Landing"),
            ("duration", "string"),
            ("turn_around_time", "string"),
        )
    },
}

# The components the issue names, which must all be there under these names.
NAMED_COMPONENTS = [
    "SpacecraftNormal",
    "SpacecraftEndpointDetailed",
    "PolymorphicSpacecraftEndpoint",
    "PaginatedPolymorphicSpacecraftEndpointList",
    "SpacecraftConfigNormal",
    "SpacecraftConfigDetailed",
    "AgencyMini",
    "AgencyNormal",
    "SpacecraftConfigFamilyNormal",
    "SpacecraftConfigFamilyDetailed",
    "SpacecraftConfigFamilyMini",
    "Image",
    "ImageLicense",
    "ImageVariant",
    "ImageVariantType",
    "SpacecraftStatus",
    "SpacecraftConfigType",
    "AgencyType",
    "Country",
]


@pytest.fixture(scope="module")
def official():
    return json.loads(OFFICIAL_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ours(django_db_setup, django_db_blocker):
    # Fetched once for the module; the request only reads the (empty) test database.
    with django_db_blocker.unblock():
        response = Client().get("/2.3.0/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def components(document):
    return document["components"]["schemas"]


def ref_name(ref):
    return ref.rsplit("/", 1)[-1]


def describe(prop):
    """A property's type in short: ``string(uri)|null``, ``array[ref:Country]``."""
    if "$ref" in prop:
        text = f"ref:{ref_name(prop['$ref'])}"
    elif "allOf" in prop:
        (inner,) = prop["allOf"]
        text = f"ref:{ref_name(inner['$ref'])}"
    elif "oneOf" in prop:
        text = "oneOf:" + ",".join(describe(p) for p in prop["oneOf"])
    else:
        text = prop["type"]
        if "format" in prop:
            text += f"({prop['format']})"
        if prop["type"] == "array":
            text += f"[{describe(prop['items'])}]"
    return text + ("|null" if prop.get("nullable") else "")


def refs_in(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield ref_name(value)
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def reachable(document, paths, skip=frozenset()):
    """Components the operations of ``paths`` use, not following ``skip``."""
    schemas = components(document)
    todo = [name for path in paths for name in refs_in(document["paths"][path])]
    seen = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        schema = schemas[name]
        for key, value in schema.items():
            if key == "properties":
                for prop_name, prop in value.items():
                    if (name, prop_name) not in skip:
                        todo.extend(refs_in(prop))
            else:
                todo.extend(refs_in(value))
    return seen


def served_components(official):
    return sorted(reachable(official, set(official["paths"]) - NOT_SERVED_PATHS, NOT_MODELLED))


# --- the document ------------------------------------------------------------------


@pytest.mark.django_db
def test_document_is_served_as_json_and_as_yaml(ours):
    assert ours["openapi"].startswith("3.0.")
    response = Client().get("/2.3.0/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == ours


def test_document_is_valid_openapi_generated_without_warnings(tmp_path):
    # drf-spectacular validates against the OpenAPI 3.0 schema and fails on
    # any field or view it could not type.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3.0")


def test_we_document_every_ll2_path(official, ours):
    assert set(ours["paths"]) == (set(official["paths"]) - NOT_SERVED_PATHS) | OUR_PATHS


def test_every_component_ll2_uses_for_our_endpoints_is_ours_by_name(official, ours):
    served = served_components(official)
    assert set(NAMED_COMPONENTS) <= set(served)
    assert set(components(ours)) == set(served) | OUR_COMPONENTS


@pytest.mark.parametrize("name", served_components(json.loads(OFFICIAL_FILE.read_text())))
def test_component_matches_ll2(official, ours, name):
    theirs, mine = components(official)[name], components(ours)[name]
    if "oneOf" in theirs:
        assert mine["oneOf"] == theirs["oneOf"]
        assert mine["discriminator"] == theirs["discriminator"]
        return
    expected = list(theirs["properties"])
    # Our own fields (declarations.OWN_FIELDS) are documented too, and LL2 has none of them.
    own = declarations.own_keys()
    assert [prop for prop in mine["properties"] if prop not in own] == expected
    for prop in expected:
        if (name, prop) in DIFFERENT:
            theirs_type, ours_type = DIFFERENT[name, prop]
            assert describe(theirs["properties"][prop]) == theirs_type
            assert describe(mine["properties"][prop]) == ours_type
            if (name, prop) in NOT_MODELLED:
                assert mine["properties"][prop]["maxItems"] == 0
        else:
            assert describe(mine["properties"][prop]) == describe(theirs["properties"][prop]), prop
    assert sorted(prop for prop in mine.get("required", []) if prop not in own) == sorted(
        theirs.get("required", [])
    )


def test_response_mode_is_the_discriminator_value(official, ours):
    checked = 0
    for name, schema in components(ours).items():
        mode = schema.get("properties", {}).get("response_mode")
        if mode is None:
            continue
        assert (
            mode["default"] == components(official)[name]["properties"]["response_mode"]["default"]
        )
        # Ours adds the pattern, so that a detailed record, which has every
        # key of the normal one, matches exactly one branch of the oneOf.
        assert mode["pattern"] == f"^{mode['default']}$"
        checked += 1
    assert checked >= 10


def test_spacecraft_discriminator_maps_normal_and_detailed(ours):
    polymorphic = components(ours)["PolymorphicSpacecraftEndpoint"]
    assert polymorphic["discriminator"] == {
        "propertyName": "response_mode",
        "mapping": {
            "normal": "#/components/schemas/SpacecraftNormal",
            "detailed": "#/components/schemas/SpacecraftEndpointDetailed",
        },
    }
    page = components(ours)["PaginatedPolymorphicSpacecraftEndpointList"]
    assert page["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/PolymorphicSpacecraftEndpoint"
    }


# --- operations ----------------------------------------------------------------------


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def parameters(operation):
    return {p["name"]: p for p in operation.get("parameters", [])}


MODES = {
    "/2.3.0/spacecraft/": ["detailed", "normal"],
    "/2.3.0/spacecraft_configurations/": ["detailed", "normal"],
    "/2.3.0/agencies/": ["detailed", "list", "normal"],
    "/2.3.0/spacecraft_configuration_families/": ["detailed", "list", "normal"],
    "/2.3.0/spacecraft_flights/": ["detailed", "normal"],
}


def test_operations_match_ll2(official, ours):
    for path, method, theirs in operations(official):
        if path in NOT_SERVED_PATHS:
            continue
        mine = ours["paths"][path][method]
        assert mine["operationId"] == theirs["operationId"]
        assert (
            mine["responses"]["200"]["content"]["application/json"]
            == theirs["responses"]["200"]["content"]["application/json"]
        )
        mine_parameters, theirs_parameters = parameters(mine), parameters(theirs)
        # Ours adds format everywhere, and mode where the endpoint has modes.
        added = {"format", "mode"} if path in MODES else {"format"}
        assert set(mine_parameters) == set(theirs_parameters) | added, path
        for name in theirs_parameters:
            assert mine_parameters[name]["in"] == theirs_parameters[name]["in"], (path, name)
            assert mine_parameters[name]["schema"] == theirs_parameters[name]["schema"], (
                path,
                name,
            )


def test_spacecraft_list_documents_filters_pagination_mode_and_format(ours):
    documented = parameters(ours["paths"]["/2.3.0/spacecraft/"]["get"])
    types = {name: p["schema"]["type"] for name, p in documented.items()}
    assert types == {
        "in_space": "boolean",
        "is_placeholder": "boolean",
        "name": "string",
        "spacecraft_config": "integer",
        "status": "integer",
        "limit": "integer",
        "offset": "integer",
        "ordering": "string",
        "search": "string",
        "mode": "string",
        "format": "string",
    }
    assert sorted(documented["mode"]["schema"]["enum"]) == ["detailed", "normal"]
    assert sorted(documented["format"]["schema"]["enum"]) == ["api", "json"]


def test_mode_is_documented_where_an_endpoint_has_modes(ours):
    for path, _method, operation in operations(ours):
        mode = parameters(operation).get("mode")
        if path in MODES:
            assert sorted(mode["schema"]["enum"]) == MODES[path]
        else:
            assert mode is None, path


# --- errors --------------------------------------------------------------------------


def json_body_ref(response):
    return ref_name(response["content"]["application/json"]["schema"]["$ref"])


def test_error_answers_are_documented_with_a_body(ours):
    # A detail URL applies its list's filters too (?status=abc is a 400 there as well).
    filters = {"in_space", "status", "agency", "manufacturer", "featured", "spacecraft"}
    filtered = {
        path
        for path, _method, operation in operations(ours)
        if filters & set(parameters(operation))
    }
    for path, _method, operation in operations(ours):
        responses = operation["responses"]
        assert json_body_ref(responses["401"]) == "Error", path
        assert "WWW-Authenticate" in responses["401"]["headers"]
        codes = ("404", "405", "406") if path in OUR_PATHS else ("404", "405", "406", "429")
        for code in codes:
            assert json_body_ref(responses[code]) == "Error", (path, code)
            assert responses[code]["description"]
        if "429" in codes:
            assert "Retry-After" in responses["429"]["headers"]
        assert "Allow" in responses["405"]["headers"]
        expected = "BadRequest" if path.replace("{id}/", "") in filtered else "Refused"
        assert json_body_ref(responses["400"]) == expected, path
    error = components(ours)["Error"]
    assert error["properties"] == {"detail": {"type": "string"}}
    assert error["required"] == ["detail"]
    assert [ref_name(one["$ref"]) for one in components(ours)["BadRequest"]["oneOf"]] == [
        "ParameterErrors",
        "Refused",
    ]


def test_api_keys_are_ll2s_token_authentication_and_optional(official, ours):
    schemes = ours["components"]["securitySchemes"]
    assert schemes == {
        "Token_Authentication": official["components"]["securitySchemes"]["Token_Authentication"]
    }
    assert schemes["Token_Authentication"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": official["components"]["securitySchemes"]["Token_Authentication"][
            "description"
        ],
    }
    for path, _method, operation in operations(ours):
        # A key, or none at all (LL2 also lists its session cookie, which we do not have).
        assert operation["security"] == [{"Token_Authentication": []}, {}], path


def test_api_throttle_is_documented_with_ll2s_five_keys(ours):
    operation = ours["paths"]["/2.3.0/api-throttle/"]["get"]
    # Always allowed: every answer but a 429.
    assert set(operation["responses"]) == {"200", "400", "401", "404", "405", "406"}
    assert json_body_ref(operation["responses"]["200"]) == "APIThrottle"
    schema = components(ours)["APIThrottle"]
    assert list(schema["properties"]) == [
        "your_request_limit",
        "limit_frequency_secs",
        "current_use",
        "next_use_secs",
        "ident",
    ]
    assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
        "your_request_limit": "integer",
        "limit_frequency_secs": "integer",
        "current_use": "integer",
        "next_use_secs": "integer",
        "ident": "string",
    }
    assert sorted(schema["required"]) == sorted(schema["properties"])
    assert set(parameters(operation)) == {"format"}


@pytest.mark.django_db
def test_real_api_throttle_and_401_answers_match_the_document(api, ours, settings):
    settings.API_THROTTLE_ANON = "15/hour"
    cache.clear()
    try:
        figures = api.get("/2.3.0/api-throttle/", {"format": "json"})
        refused = api.get(
            "/2.3.0/spacecraft/", {"format": "json"}, HTTP_AUTHORIZATION="Token not-a-key"
        )
    finally:
        cache.clear()
    assert figures.status_code == 200 and refused.status_code == 401
    assert list(validator(ours, "APIThrottle").iter_errors(figures.json())) == []
    assert list(validator(ours, "Error").iter_errors(refused.json())) == []


@pytest.mark.django_db
def test_real_throttled_answer_matches_the_document(api, ours, settings):
    settings.API_THROTTLE_ANON = "1/hour"
    cache.clear()
    try:
        first = api.get("/2.3.0/config/spacecraft_statuses/", {"format": "json"})
        throttled = api.get("/2.3.0/config/spacecraft_statuses/", {"format": "json", "limit": 2})
    finally:
        cache.clear()
    assert (first.status_code, throttled.status_code) == (200, 429)
    assert int(throttled["Retry-After"]) > 0
    assert list(validator(ours, "Error").iter_errors(throttled.json())) == []


@pytest.mark.django_db
def test_real_error_answers_match_the_document(api, ours):
    answers = {
        "ParameterErrors": api.get("/2.3.0/spacecraft/", {"format": "json", "status": "abc"}),
        "Error": api.get("/2.3.0/spacecraft/999999/", {"format": "json"}),
    }
    not_allowed = api.post("/2.3.0/spacecraft/?format=json")
    not_acceptable = api.get("/2.3.0/spacecraft/", HTTP_ACCEPT="application/xml")
    too_many = api.get("/2.3.0/spacecraft/", {f"p{n}": "1" for n in range(1001)})
    refused = api.get("/2.3.0/config/spacecraft_statuses/", HTTP_HOST="attacker.example")
    assert (answers["ParameterErrors"].status_code, answers["Error"].status_code) == (400, 404)
    assert (not_allowed.status_code, not_acceptable.status_code) == (405, 406)
    assert (too_many.status_code, refused.status_code) == (400, 400)
    for name, response in [
        *answers.items(),
        ("Error", not_allowed),
        ("Error", not_acceptable),
        ("BadRequest", answers["ParameterErrors"]),
        ("BadRequest", too_many),
        ("Refused", refused),
    ]:
        errors = list(validator(ours, name).iter_errors(response.json()))
        assert errors == [], (name, response.json())


# --- bodies ---------------------------------------------------------------------------


def test_ll2_real_pages_match_our_document(ours):
    """A client generated from our document accepts what LL2 really sends."""
    page = validator(ours, "PaginatedPolymorphicSpacecraftEndpointList")
    for path in SEED_FILES.values():
        seed = json.loads(path.read_text(encoding="utf-8"))
        assert list(page.iter_errors(seed)) == []


@pytest.mark.parametrize("mode", ["normal", "detailed"])
def test_each_record_matches_exactly_its_own_mode(seeded, api, ours, mode):
    branches = {"normal": "SpacecraftNormal", "detailed": "SpacecraftEndpointDetailed"}
    response = api.get("/2.3.0/spacecraft/", {"format": "json", "mode": mode, "limit": 100})
    records = response.json()["results"]
    assert len(records) == 20
    for record in records:
        matching = [
            branch for branch, name in branches.items() if validator(ours, name).is_valid(record)
        ]
        assert matching == [mode], record["id"]


# --- the docs page ----------------------------------------------------------------------


class References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls.extend(value for name, value in attrs if name in ("src", "href") and value)


def test_docs_page_uses_only_assets_this_server_serves(settings):
    response = Client().get("/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    parser = References()
    parser.feed(html)
    assert any(url.endswith(".js") for url in parser.urls)
    assert any(url.endswith(".css") for url in parser.urls)
    assert settings.STATIC_URL.startswith("/")
    client = Client()
    for url in parser.urls:
        assert url.startswith(settings.STATIC_URL), url
        # Served by this application itself (whitenoise), not only present on disk.
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert b"".join(asset.streaming_content), url
    assert "//" not in "".join(parser.urls)
    assert not re.search(r"https?://", html)
    # Swagger UI loads our own document.
    assert f'url: "{reverse("schema")}"' in html
