"""Agencies complete (issue 16, point 1): LL2's statistics, filters, orderings and pages.

The agencies here are the hand-written catalogue of ``test_modes`` (ESA, Airbus
Defence and Space, with their configurations) plus its parent ``Airbus`` and
one agency without statistics, rendered as LL2's ``/2.3.0/agencies/`` renders
them by ``tests/ll2shape.py`` (written after LL2's schema, never after our
serializers). Their statistics are made up (no real LL2 agencies page is in
``fixtures/``), each agency and field a different value, so that every filter
and ordering has something to tell apart.
"""

import io
import json
import operator

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devtools import ll2shape
from devtools.catalogue import (
    AIRBUS,
    ATV_CONFIG,
    BASE,
    COMMERCIAL,
    ESA,
    HOST,
    SPACE_RIDER_CONFIG,
    catalogue_records,
)
from devtools.fake_ll2 import FakeLL2, agency_records
from spacecraft import models, serializers
from spacecraft.api import views
from spacecraft.ingest.importer import ImportFailure, import_document
from spacecraft.models import MirrorCheckpoint

from . import schema
from .conftest import get_json, import_catalogue, sorted_nested_lists, sync
from .schema import openapi_validator as validator

AGENCIES_PATH = "/2.3.0/agencies/"
STATS = ll2shape.AGENCY_STATISTICS
# The statistics LL2 filters and orders by, as its document lists them.
OFFICIAL_PARAMETERS = [
    parameter["name"] for parameter in schema.openapi()["paths"][AGENCIES_PATH]["get"]["parameters"]
]
LOOKUPS = {"": operator.eq, "__gt": operator.gt, "__gte": operator.ge}
LOOKUPS |= {"__lt": operator.lt, "__lte": operator.le}
STAT_FILTERS = [
    name for name in OFFICIAL_PARAMETERS if name.partition("__")[0] in STATS
]  # ``total_launch_count``, ``total_launch_count__gt``...
FILTERED_STATS = sorted({name.partition("__")[0] for name in STAT_FILTERS})
ORDERING_FIELDS = ["featured", "id", "name", *FILTERED_STATS]  # LL2's help text lists these

AIRBUS_GROUP = {
    **AIRBUS,
    "id": 5,
    "name": "Airbus",
    "abbrev": "AIR",
    "country": [],
    "parent": None,
    "logo": None,
}
NO_STATS_AGENCY = {**AIRBUS_GROUP, "id": 7, "name": "Quiet Agency", "abbrev": "QA"}


def statistics(pk):
    """Made-up statistics of agency ``pk``: a different value per agency and field,
    in an order that differs from field to field; none for agency 7."""
    if pk == 7:
        return dict.fromkeys(STATS)
    return {name: (pk * (index + 3)) % 17 for index, name in enumerate(STATS)}


def facts(agency, configs=()):
    return {
        **agency,
        **statistics(agency["id"]),
        "info_url": f"https://agency{agency['id']}.example.org/",
        "wiki_url": None if agency["id"] == 5 else f"https://en.wikipedia.org/wiki/A{agency['id']}",
        "spacecraft_list": list(configs),
    }


FACTS = {
    88: facts(ESA, [ATV_CONFIG]),
    121: facts(AIRBUS, [SPACE_RIDER_CONFIG]),
    5: facts(AIRBUS_GROUP),
    7: facts(NO_STATS_AGENCY),
}
IDS = sorted(FACTS)


def agencies_page(mode="detailed", ids=IDS):
    render = {
        "list": ll2shape.agency_mini,
        "normal": ll2shape.agency_normal,
        "detailed": ll2shape.agency_detailed,
    }[mode]
    return ll2shape.page(render(FACTS[pk], BASE) for pk in ids)


@pytest.fixture
def agencies(db, settings):
    """The catalogue's spacecraft, then LL2's /agencies/ page (detailed)."""
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    import_catalogue()
    import_document(agencies_page())


def expected_detail(pk):
    """What LL2 sends for /agencies/{pk}/, nested lists in id order, as JSON text."""
    return json.dumps(sorted_nested_lists(ll2shape.agency_detailed(FACTS[pk], BASE)))


def listed(api, **params):
    return [record["id"] for record in get_json(api, AGENCIES_PATH, params)["results"]]


# --- the data set itself ---------------------------------------------------------------


def test_the_agencies_page_is_valid_ll2_data_with_the_schemas_keys():
    page = agencies_page()
    problems = schema.problems("PaginatedPolymorphicAgencyEndpointList", page)
    # LL2's schema wants a detailed family's manufacturer, yet sends null (test_schema_validation).
    assert all(p.endswith(".manufacturer: None is not of type 'object'") for p in problems)
    components = set()
    for record in page["results"]:
        for where, name, obj in schema.objects("AgencyEndpointDetailed", record):
            assert list(obj) == schema.properties(name), where
            components.add(name)
    assert {"AgencyEndpointDetailed", "SpacecraftConfigDetailed", "AgencyNormal"} <= components
    assert schema.properties("AgencyEndpointDetailed")[17:32] == list(STATS)


def test_ll2_declares_45_statistics_filters_and_these_orderings():
    assert len(STAT_FILTERS) == 45 and len(FILTERED_STATS) == 9
    assert set(STAT_FILTERS) == {name + lookup for name in FILTERED_STATS for lookup in LOOKUPS}
    description = schema.openapi()["paths"][AGENCIES_PATH]["get"]["description"]
    ordering = description.split("#### Ordering\nFields - ", 1)[1].split("\n", 1)[0]
    assert ordering == ", ".join(f"`{name}`" for name in sorted(ORDERING_FIELDS))


def test_the_detailed_agency_has_every_key_of_ll2s_agency_detailed_in_its_order():
    """LL2's ``AgencyDetailed`` (nested in launches' missions) is the endpoint's form
    less ``launcher_list`` and ``spacecraft_list``; ours has its every key, in order."""
    ours = list(serializers.AgencyEndpointDetailedSerializer().fields)
    assert ours == schema.properties("AgencyEndpointDetailed")
    assert [key for key in ours if key not in ("launcher_list", "spacecraft_list")] == (
        schema.properties("AgencyDetailed")
    )


# --- exact payloads ----------------------------------------------------------------------


@pytest.mark.parametrize("pk", IDS)
def test_detail_is_ll2s_detailed_agency_key_for_key(agencies, api, pk):
    body = get_json(api, f"{AGENCIES_PATH}{pk}/")
    assert json.dumps(body) == expected_detail(pk)


@pytest.mark.parametrize("mode", ["list", "normal", "detailed"])
def test_list_in_each_mode_is_ll2s_page(agencies, api, mode):
    body = get_json(api, AGENCIES_PATH, {"mode": mode})
    expected = sorted_nested_lists(agencies_page(mode))
    expected["results"].sort(key=lambda record: record["id"])
    assert json.dumps(body) == json.dumps(expected)


@pytest.mark.parametrize(
    ("path", "params"),
    [(f"{AGENCIES_PATH}88/", {}), (AGENCIES_PATH, {"mode": "detailed"})],
)
def test_the_serializer_path_sends_the_same_bytes(agencies, api, monkeypatch, path, params):
    """The browsable API's path (the serializers) and the fast JSON path agree."""
    fast = api.get(path, params, HTTP_HOST=HOST, secure=True).content
    monkeypatch.setattr(views.LL2ViewSet, "fast", False)
    assert api.get(path, params, HTTP_HOST=HOST, secure=True).content == fast


# --- filters and orderings, each as LL2 declares it -----------------------------------------


@pytest.mark.parametrize("parameter", STAT_FILTERS)
def test_each_statistics_filter(agencies, api, parameter):
    field, _, lookup = parameter.partition("__")
    compare = LOOKUPS["__" + lookup if lookup else ""]
    value = FACTS[88][field]
    expected = [
        pk for pk in IDS if FACTS[pk][field] is not None and compare(FACTS[pk][field], value)
    ]
    assert listed(api, **{parameter: str(value)}) == expected


def test_statistics_filters_tell_the_agencies_apart():
    """Every value differs between the three agencies with statistics, so the
    filters above select something else on each field."""
    for field in FILTERED_STATS:
        values = [FACTS[pk][field] for pk in (5, 88, 121)]
        assert len(set(values)) == 3, field


@pytest.mark.parametrize("parameter", [*STAT_FILTERS, "parent__id"])
@pytest.mark.parametrize("value", ["many", "1e3x", "0x10"])
def test_a_non_numeric_value_is_a_400_naming_the_parameter(agencies, api, parameter, value):
    response = api.get(AGENCIES_PATH, {parameter: value})
    assert response.status_code == 400
    assert list(json.loads(response.content)) == [parameter]


@pytest.mark.parametrize("field", ORDERING_FIELDS)
def test_each_ordering(agencies, api, field):
    """Nulls last ascending, first descending (as PostgreSQL sorts them), ties by id."""
    nulls = [pk for pk in IDS if FACTS[pk][field] is None]
    known = [pk for pk in IDS if FACTS[pk][field] is not None]

    def value(pk):
        return FACTS[pk][field]

    # Python's sort is stable, reversed too: ties stay in id order.
    assert listed(api, ordering=field) == sorted(known, key=value) + nulls
    assert listed(api, ordering=f"-{field}") == nulls + sorted(known, key=value, reverse=True)


def test_statistics_orderings_differ_from_id_order(agencies, api):
    orders = {tuple(listed(api, ordering=f"-{field}")) for field in FILTERED_STATS}
    assert len(orders) > 2


def test_ordering_by_a_field_ll2_does_not_offer_is_ignored(agencies, api):
    assert listed(api, ordering="-successful_landings_payload") == IDS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", [121]),  # Airbus is Airbus Defence and Space's parent, by name
        ("121", []),
        ("88", []),
        ("999", []),  # no such agency: matches nothing, as on LL2
        ("99999999999999999999", []),
        ("", IDS),
    ],
)
def test_parent_id_where_the_parent_is_known(agencies, api, value, expected):
    assert listed(api, parent__id=value) == expected


def test_parent_id_of_an_unknown_parent_matches_nothing(agencies, api):
    """Airbus Defence and Space's parent is "Airbus": until an agency of that name is
    in the catalogue, no id finds it."""
    models.Agency.objects.filter(id=5).update(name="Airbus Group")
    assert listed(api, parent__id="5") == []


def test_filters_and_orderings_combine(agencies, api):
    field = FILTERED_STATS[0]
    params = {f"{field}__gte": "0", "ordering": f"-{field}", "search": "Airbus"}
    expected = sorted((5, 121), key=lambda pk: -FACTS[pk][field])
    assert listed(api, **params) == expected


def test_statistics_filters_add_no_queries(agencies, api):
    def count(**params):
        with CaptureQueriesContext(connection) as captured:
            get_json(api, AGENCIES_PATH, {"mode": "detailed", **params})
        return len(captured.captured_queries)

    plain = count()
    assert count(parent__id="5", total_launch_count__gt="1", ordering="-failed_landings") == plain


# --- importing agencies pages ---------------------------------------------------------------


def stored_statistics(pk):
    agency = models.Agency.objects.get(id=pk)
    return {name: getattr(agency, name) for name in STATS}


def test_every_statistic_is_stored(agencies):
    for pk in IDS:
        assert stored_statistics(pk) == statistics(pk)


@pytest.mark.parametrize(
    "later",
    [
        pytest.param(lambda: import_document({"results": catalogue_records()}), id="detailed"),
        pytest.param(
            lambda: import_document(
                {"results": [_normal_record(record) for record in catalogue_records()]}
            ),
            id="normal",
        ),
        pytest.param(lambda: import_document(agencies_page("normal")), id="agencies-normal"),
        pytest.param(lambda: import_document(agencies_page("list")), id="agencies-list"),
    ],
)
def test_a_later_import_without_statistics_keeps_them(agencies, api, later):
    """A spacecraft record's nested agency (AgencyNormal, AgencyMini) and an agencies page
    in list or normal mode have none of the statistics: the stored ones stay."""
    tallies = later()
    assert tallies["agency"].updated == 0
    for pk in IDS:
        assert stored_statistics(pk) == statistics(pk)
        assert json.dumps(get_json(api, f"{AGENCIES_PATH}{pk}/")) == expected_detail(pk)


def _normal_record(record):
    """A spacecraft record in normal mode (its configuration's agency as AgencyMini)."""
    keys = schema.properties("SpacecraftNormal")
    config = record["spacecraft_config"]
    normal_config = {key: config[key] for key in schema.properties("SpacecraftConfigNormal")}
    normal_config["response_mode"] = "normal"
    normal_config["agency"] = {
        key: config["agency"][key] for key in schema.properties("AgencyMini")
    } | {"response_mode": "list"}
    normal_config["family"] = [
        {key: family[key] for key in schema.properties("SpacecraftConfigFamilyNormal")}
        | {"manufacturer": _mini(family["manufacturer"]), "parent": _family_mini(family["parent"])}
        for family in config["family"]
    ]
    return {key: record[key] for key in keys} | {
        "response_mode": "normal",
        "spacecraft_config": normal_config,
    }


def _mini(agency):
    if agency is None:
        return None
    return {key: agency[key] for key in schema.properties("AgencyMini")} | {"response_mode": "list"}


def _family_mini(family):
    if family is None:
        return None
    return {"response_mode": "list", "id": family["id"], "name": family["name"]}


def test_agencies_first_then_spacecraft_is_the_same_catalogue(db, api, settings):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    import_document(agencies_page())
    import_catalogue()
    for pk in IDS:
        assert json.dumps(get_json(api, f"{AGENCIES_PATH}{pk}/")) == expected_detail(pk)


def test_a_new_agencies_page_updates_the_statistics(agencies):
    changed = agencies_page()
    changed["results"][1]["total_launch_count"] = 400
    changed["results"][1]["pending_launches"] = None
    tallies = import_document(changed)
    assert (tallies["agency"].updated, tallies["agency"].unchanged) == (1, 3)
    agency = models.Agency.objects.get(id=changed["results"][1]["id"])
    assert (agency.total_launch_count, agency.pending_launches) == (400, None)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "failed_landings_payload: "),
        ("3", "failed_landings_payload: "),
        (2**31, "failed_landings_payload: "),
    ],
)
def test_an_invalid_statistic_refuses_the_page(agencies, value, message):
    page = agencies_page()
    page["results"][0]["failed_landings_payload"] = value
    with pytest.raises(ImportFailure, match=f"record 0 \\(id 5\\): {message}"):
        import_document(page)
    assert stored_statistics(5) == statistics(5)


def test_a_list_mode_page_creates_agencies(db, api, settings):
    """``?mode=list`` records (AgencyMini) are agencies too: created without statistics."""
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    tallies = import_document(agencies_page("list"))
    assert tallies["agency"].created == 4
    assert "spacecraft" not in tallies
    body = get_json(api, f"{AGENCIES_PATH}88/")
    assert body["name"] == ESA["name"] and body["type"] == ESA["type"]
    assert [body[name] for name in STATS] == [None] * len(STATS)


def test_import_ll2_reads_agencies_page_files(db, api, settings, tmp_path):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    import_catalogue()
    path = tmp_path / "agencies.json"
    path.write_text(json.dumps(agencies_page()), encoding="utf-8")
    out = io.StringIO()
    call_command("import_ll2", str(path), stdout=out)
    assert "agency: 2 created, 2 updated, 0 unchanged" in out.getvalue()
    for pk in IDS:
        assert json.dumps(get_json(api, f"{AGENCIES_PATH}{pk}/")) == expected_detail(pk)


def test_mirroring_an_agencies_endpoint(db, api):
    """``import_ll2 --from .../agencies/``: every page, with its checkpoint, in the budget."""
    records = agency_records("detailed")
    with FakeLL2(records, max_limit=2, path=AGENCIES_PATH) as fake:
        output = sync(fake.url, calls_per_hour=2, window=0.5)
        hits = list(fake.hits)
    assert [hit.path for hit in hits] == [AGENCIES_PATH] * 2
    assert [hit.offset for hit in hits] == [0, 2]
    assert hits[0].query["mode"] == "detailed"
    assert "agency: 3 created" in output
    checkpoint = MirrorCheckpoint.objects.get()
    assert (checkpoint.pages, checkpoint.records, checkpoint.count) == (2, 3, 3)
    assert checkpoint.finished_at is not None and checkpoint.next_url is None
    for record in records:
        response = api.get(f"{AGENCIES_PATH}{record['id']}/")
        # The configurations in spacecraft_list are not imported from an agencies page.
        assert json.dumps({**response.json(), "spacecraft_list": []}) == json.dumps(
            {**record, "spacecraft_list": []}
        )


def test_mirroring_keeps_to_the_budget(db):
    """Three pages at one call per window: the third call waits for the window."""
    records = agency_records("list")
    with FakeLL2(records, max_limit=1, path=AGENCIES_PATH) as fake:
        sync(fake.url, calls_per_hour=2, window=0.6)
        arrivals = [hit.at for hit in fake.hits]
    assert len(arrivals) == 3
    assert arrivals[2] - arrivals[0] >= 0.6 * 0.95
    assert models.Agency.objects.count() == 3


# --- the record type of a page ------------------------------------------------------------


def test_an_agency_of_another_type_keeps_its_configurations(agencies, api):
    """Importing ESA again with another type changes the agency, not its configurations."""
    page = agencies_page(ids=[88])
    page["results"][0]["type"] = COMMERCIAL
    import_document(page)
    body = get_json(api, f"{AGENCIES_PATH}88/")
    assert body["type"] == COMMERCIAL
    assert [config["id"] for config in body["spacecraft_list"]] == [40]


# --- our OpenAPI document ----------------------------------------------------------------


def test_our_document_accepts_every_agencies_answer(agencies, api):
    """A client generated from /2.3.0/schema/ parses each answer, in each mode."""
    ours = json.loads(api.get("/2.3.0/schema/", {"format": "json"}).content)
    page = validator(ours, "PaginatedPolymorphicAgencyEndpointList")
    for mode in ("list", "normal", "detailed"):
        body = get_json(api, AGENCIES_PATH, {"mode": mode, "ordering": "-total_launch_count"})
        assert list(page.iter_errors(body)) == [], mode
    detail = validator(ours, "AgencyEndpointDetailed")
    for pk in IDS:
        assert list(detail.iter_errors(get_json(api, f"{AGENCIES_PATH}{pk}/"))) == [], pk
