"""Spacecraft flights: in detailed spacecraft, and at /2.3.0/spacecraft_flights/.

The launches are the real LL2 2.3.0 LaunchNormal records of
fixtures/ll2/samples/; each payload is compared whole, and validated against
LL2's official schema (with the nulls real LL2 flights have).
"""

import datetime
import json

import pytest

from devtools import ll2shape
from spacecraft import documents
from spacecraft.serving import cache

from . import factories, schema
from .conftest import as_ll2

FLIGHTS = "/2.3.0/spacecraft_flights/"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.store.clear()


def compact(value):
    """``value`` as LL2 (DRF) writes it on the wire."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def with_format(value, format_):
    """``value`` with ``?format=`` on every LL2 API hyperlink, as LL2 writes them."""
    if isinstance(value, dict):
        return {
            key: (
                f"{item}?format={format_}"
                if key == "url" and isinstance(item, str) and "/2.3.0/" in item
                else with_format(item, format_)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [with_format(item, format_) for item in value]
    return value


@pytest.fixture
def craft(db):
    """A spacecraft with two flights, given out of launch order, and one without."""
    spacecraft = factories.spacecraft(name="Crew Dragon Endeavour")
    factories.spacecraft(name="Grounded")
    later = factories.launch(1)  # 2024-10-05
    earlier = factories.launch(0)  # 2024-10-04
    factories.flight(
        spacecraft,
        later,
        destination="International Space Station",
        mission_end=datetime.datetime(2024, 10, 20, 12, 30, tzinfo=datetime.UTC),
        landing=factories.landing(55),
        duration=datetime.timedelta(days=15, hours=4, minutes=47),
        turn_around_time=datetime.timedelta(days=120),
    )
    # Real LL2 data: a mission_end before the launch, no landing, no turn-around.
    factories.flight(
        spacecraft,
        earlier,
        destination=None,
        mission_end=datetime.datetime(1994, 10, 4, 8, tzinfo=datetime.UTC),
        duration=-datetime.timedelta(days=10948, hours=2),
    )
    return spacecraft


def normal_form(api, spacecraft):
    """The spacecraft as the normal list writes it (built from our tables)."""
    page = api.get("/2.3.0/spacecraft/", {"format": "json", "mode": "normal", "limit": 100})
    (record,) = [r for r in page.json()["results"] if r["id"] == spacecraft.id]
    return record


def expected_flights(api, spacecraft):
    samples = ll2shape.sample_launches()
    normal = normal_form(api, spacecraft)
    flights = list(spacecraft.flights.order_by("launch__net", "id"))
    facts = [
        {
            "id": flights[0].id,
            "destination": None,
            "mission_end": "1994-10-04T08:00:00Z",
            "launch": samples[0],
            "landing": None,
            "duration": "-P10948DT2H",
            "turn_around_time": None,
        },
        {
            "id": flights[1].id,
            "destination": "International Space Station",
            "mission_end": "2024-10-20T12:30:00Z",
            "launch": samples[1],
            "landing": ll2shape.splashdown(55, samples[0]["pad"]["location"]),
            "duration": "P15DT4H47M",
            "turn_around_time": "P120D",
        },
    ]
    # As served here: our host for the flight's own link, every LL2 link (the documents'
    # as LL2 sent them) with the request's format; the spacecraft as our list writes it.
    return [
        {
            **with_format(
                ll2shape.flight_around(
                    {
                        **flight,
                        "url": f"http://testserver/2.3.0/spacecraft_flights/{flight['id']}/",
                    },
                    {},
                ),
                "json",
            ),
            "spacecraft": normal,
        }
        for flight in facts
    ]


# --- detailed spacecraft ----------------------------------------------------------------


def test_detailed_spacecraft_has_its_flights_by_launch_date(api, craft):
    response = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"})
    assert response.status_code == 200
    body = response.json()
    assert body["flights"] == expected_flights(api, craft)
    assert list(body)[-1] == "flights"
    assert list(body["flights"][0]) == schema.properties("SpacecraftFlightNormal")
    assert schema.problems("SpacecraftEndpointDetailed", as_ll2(body)) == []


def test_detailed_list_has_flights_and_empty_lists(api, craft):
    response = api.get("/2.3.0/spacecraft/", {"format": "json", "mode": "detailed"})
    records = {r["name"]: r for r in response.json()["results"]}
    assert records["Crew Dragon Endeavour"]["flights"] == expected_flights(api, craft)
    assert records["Grounded"]["flights"] == []
    page = as_ll2(response.json())
    assert schema.problems("PaginatedPolymorphicSpacecraftEndpointList", page) == []


def test_normal_list_has_no_flights(api, craft):
    response = api.get("/2.3.0/spacecraft/", {"format": "json"})
    assert all("flights" not in r for r in response.json()["results"])


def test_launch_is_spliced_as_ll2_sent_it(api, craft):
    # Without ?format= the links are LL2's, and the bytes are LL2's compact encoding.
    response = api.get(f"/2.3.0/spacecraft/{craft.id}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    for sample in ll2shape.sample_launches()[:2]:
        assert compact(sample) in response.content
    assert b"5.972168e+24" in response.content  # the Earth's mass, as LL2 writes it
    assert compact(ll2shape.landing_document(55)) in response.content


def test_links_in_documents_carry_the_requests_format(api, craft):
    body = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"}).json()
    launch = body["flights"][0]["launch"]
    assert launch["url"].endswith("/?format=json")
    assert launch["pad"]["url"].endswith("/?format=json")
    assert launch["pad"]["location"]["url"].startswith("https://ll.thespacedevs.com/2.3.0/")
    # Links that are not LL2 API objects are left alone.
    assert "format=" not in launch["image"]["image_url"]


def test_spacecraft_inside_a_flight_follows_admin_edits(api, craft):
    craft.name = "Renamed"
    craft.save()
    body = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"}).json()
    assert [f["spacecraft"]["name"] for f in body["flights"]] == ["Renamed", "Renamed"]


# --- the flights endpoint ---------------------------------------------------------------


def test_flights_list_normal(api, craft):
    response = api.get(FLIGHTS, {"format": "json"})
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": expected_flights(api, craft),
    }
    assert (
        schema.problems("PaginatedPolymorphicSpacecraftFlightEndpointList", as_ll2(response.json()))
        == []
    )


def detailed_spacecraft(api, spacecraft):
    """The spacecraft as a detailed flight nests it: detailed, without flights,
    ``response_mode`` as LL2's schema has it ("normal")."""
    record = api.get(f"/2.3.0/spacecraft/{spacecraft.id}/", {"format": "json"}).json()
    del record["flights"]
    record["response_mode"] = "normal"
    return record


def test_flights_list_detailed_and_detail(api, craft):
    crew = [ll2shape.astronaut_flight(9)]
    flight = craft.flights.get(destination="International Space Station")
    flight.launch_crew = documents.stored_form(crew)
    flight.save()
    spacecraft = detailed_spacecraft(api, craft)
    normal = expected_flights(api, craft)
    expected = []
    for record in normal:
        crews = {"launch_crew": with_format(crew, "json")} if record["id"] == flight.id else {}
        expected.append(ll2shape.flight_detailed(record, spacecraft, **crews))
    page = api.get(FLIGHTS, {"format": "json", "mode": "detailed"}).json()
    assert page["results"] == expected
    assert list(page["results"][0]) == schema.properties("SpacecraftFlightDetailed")
    detail = api.get(f"{FLIGHTS}{flight.id}/", {"format": "json", "mode": "normal"})
    assert detail.json() == expected[1]  # a detail URL is always detailed
    assert schema.problems("SpacecraftFlightDetailed", as_ll2(expected[1])) == []


def test_flights_filter_by_spacecraft(api, craft):
    other = factories.spacecraft(name="Other")
    factories.flight(other, factories.launch(2))
    page = api.get(FLIGHTS, {"format": "json", "spacecraft": other.id}).json()
    assert [r["spacecraft"]["id"] for r in page["results"]] == [other.id]
    assert api.get(FLIGHTS, {"format": "json", "spacecraft": craft.id}).json()["count"] == 2


@pytest.mark.parametrize("value", ["abc", "999999"])
def test_invalid_spacecraft_filter_is_a_400_naming_it(api, craft, value):
    response = api.get(FLIGHTS, {"format": "json", "spacecraft": value})
    assert response.status_code == 400
    assert list(response.json()) == ["spacecraft"]


def test_flights_pagination_and_stable_order(api, craft):
    other = factories.spacecraft(name="Other")
    shared = factories.launch(2)
    for _ in range(3):  # same launch date: the id breaks the tie
        factories.flight(other, shared)
    first = api.get(FLIGHTS, {"format": "json", "limit": 2}).json()
    second = api.get(FLIGHTS, {"format": "json", "limit": 2, "offset": 2}).json()
    third = api.get(FLIGHTS, {"format": "json", "limit": 2, "offset": 4}).json()
    assert first["count"] == 5
    assert (
        first["next"] == "http://testserver/2.3.0/spacecraft_flights/?format=json&limit=2&offset=2"
    )
    assert second["previous"] == "http://testserver/2.3.0/spacecraft_flights/?format=json&limit=2"
    ids = [r["id"] for page in (first, second, third) for r in page["results"]]
    nets = [r["launch"]["net"] for page in (first, second, third) for r in page["results"]]
    assert nets == sorted(nets)
    assert len(set(ids)) == 5
    same_day = [r["id"] for page in (second, third) for r in page["results"]][-3:]
    assert same_day == sorted(same_day)


def test_flights_answer_get_only_and_404(api, craft):
    assert api.get(f"{FLIGHTS}999999/", {"format": "json"}).status_code == 404
    response = api.post(FLIGHTS)
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert api.options(FLIGHTS)["Allow"] == "GET"


def test_flights_help_text_is_ll2s(api, craft):
    # LL2's text plus the Ordering section: tests/test_flights_ordering.py compares it whole.
    page = api.get(FLIGHTS, {"format": "api"})
    assert page.status_code == 200
    assert b"/spacecraft_flights/?spacecraft=289" in page.content


def test_flights_etag_and_never_stale_cache(api, craft, settings):
    settings.API_CACHE_SECONDS = 60
    first = api.get(FLIGHTS, {"format": "json"})
    again = api.get(FLIGHTS, {"format": "json"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    launch = models_launch(craft)
    launch.name = "Edited"
    document = json.loads(launch.document)
    document["name"] = "Edited"
    launch.document = documents.stored_form(document)
    launch.save()
    after = api.get(FLIGHTS, {"format": "json"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200
    assert "Edited" in [r["launch"]["name"] for r in after.json()["results"]]


def models_launch(craft):
    return craft.flights.order_by("launch__net").first().launch


def test_a_launch_shared_by_two_flights_is_one_row(api, db):
    one, two = factories.spacecraft(), factories.spacecraft()
    shared = factories.launch(0)
    factories.flight(one, shared)
    factories.flight(two, shared)
    page = api.get(FLIGHTS, {"format": "json"}).json()
    assert [r["launch"]["id"] for r in page["results"]] == [str(shared.id)] * 2


def test_browsable_page_shows_flights_with_its_format(api, craft):
    page = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "api"})
    assert page.status_code == 200
    launch_id = ll2shape.sample_launches()[0]["id"]
    assert f"/2.3.0/launches/{launch_id}/?format=api".encode() in page.content
