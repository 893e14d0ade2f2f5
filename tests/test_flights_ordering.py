"""``/2.3.0/spacecraft_flights/?ordering=``: the flight's own figures and the launch's date.

The stored documents' columns (``launch__document``, ``landing__document``: raw
JSON text), the nested spacecraft and the crews are not orderings: they are
ignored as any unknown field is, and the answer is in the default order (launch
``net``, then id). The help text and the OpenAPI document name the fields.
"""

import datetime

import pytest
from django.test import Client

from spacecraft.api.views import SpacecraftFlightViewSet
from spacecraft.serving import cache

from . import factories, schema

FLIGHTS = "/2.3.0/spacecraft_flights/"
ACCEPTED = ["destination", "duration", "id", "launch__net", "mission_end", "turn_around_time"]
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.store.clear()


@pytest.fixture
def flights(db):
    """Four flights whose every accepted field orders them differently, with nulls."""
    craft = factories.spacecraft(name="Orderly")
    launches = [factories.launch(0), factories.launch(1), factories.launch(2)]  # by net
    rows = [
        # (launch, destination, mission_end, duration, turn_around_time)
        (2, "Moon", datetime.datetime(2024, 12, 1, tzinfo=UTC), 3, None),
        (0, None, datetime.datetime(2024, 10, 30, tzinfo=UTC), 1, 40),
        (1, "Low Earth Orbit", None, None, 10),
        (0, "International Space Station", datetime.datetime(2024, 11, 2, tzinfo=UTC), 2, 20),
    ]
    made = []
    for launch, destination, mission_end, days, turn_around in rows:
        made.append(
            factories.flight(
                craft,
                launches[launch],
                destination=destination,
                mission_end=mission_end,
                duration=None if days is None else datetime.timedelta(days=days),
                turn_around_time=None if turn_around is None else datetime.timedelta(turn_around),
            )
        )
    return made


def ids(api, **params):
    response = api.get(FLIGHTS, {"format": "json", **params})
    assert response.status_code == 200
    return [record["id"] for record in response.json()["results"]]


def default_order(flights):
    return [f.id for f in sorted(flights, key=lambda f: (f.launch.net, f.id))]


def test_the_accepted_fields_are_declared_once(flights):
    assert sorted(SpacecraftFlightViewSet.ordering_fields) == ACCEPTED


@pytest.mark.parametrize(
    "term,expected",
    [
        # Nulls last ascending, first descending (as PostgreSQL), ties by id.
        ("id", [0, 1, 2, 3]),
        ("-id", [3, 2, 1, 0]),
        ("destination", [3, 2, 0, 1]),
        ("-destination", [1, 0, 2, 3]),
        ("duration", [1, 3, 0, 2]),
        ("-duration", [2, 0, 3, 1]),
        ("mission_end", [1, 3, 0, 2]),
        ("-mission_end", [2, 0, 3, 1]),
        ("turn_around_time", [2, 3, 1, 0]),
        ("-turn_around_time", [0, 1, 3, 2]),
        ("launch__net", [1, 3, 2, 0]),
        ("-launch__net", [0, 2, 1, 3]),
        ("launch__net,-duration", [3, 1, 2, 0]),
    ],
)
def test_each_accepted_ordering(api, flights, term, expected):
    assert ids(api, ordering=term) == [flights[i].id for i in expected]
    assert ids(api, ordering=term, mode="detailed") == [flights[i].id for i in expected]


@pytest.mark.parametrize(
    "term",
    [
        "launch__document",
        "-launch__document",
        "landing__document",
        "-landing__document",
        "launch",
        "landing",
        "spacecraft",
        "launch_crew",
        "docking_events",
        "bogus",
    ],
)
def test_documents_and_other_fields_are_ignored_as_unknown(api, flights, term):
    assert ids(api, ordering=term) == default_order(flights)
    assert ids(api, ordering=term, mode="detailed") == default_order(flights)


def test_an_unknown_term_is_dropped_and_the_known_kept(api, flights):
    assert ids(api, ordering="launch__document,-id") == ids(api, ordering="-id")


def test_the_help_text_names_the_orderings(api, db):
    official = schema.openapi()["paths"][FLIGHTS]["get"]["description"]
    view = SpacecraftFlightViewSet()
    view.detail = False
    ordering = (
        "#### Ordering\n"
        "Fields - `destination`, `duration`, `id`, `launch__net`, `mission_end`, "
        "`turn_around_time`\n\n"
        "Example - [/spacecraft_flights/?ordering=-launch__net](./?ordering=-launch__net)\n\n"
    )
    # LL2's own text, with the Ordering section where LL2 puts it on /spacecraft/.
    expected = official.replace("#### Number of results", ordering + "#### Number of results")
    assert view.get_view_description() == expected
    page = api.get(FLIGHTS, {"format": "api"}).content.decode()
    assert "<code>launch__net</code>, <code>mission_end</code>" in page
    assert "launch__document" not in page


def test_the_openapi_document_names_the_orderings(db):
    document = Client().get("/2.3.0/schema/", {"format": "json"}).json()
    (parameter,) = [
        p for p in document["paths"][FLIGHTS]["get"]["parameters"] if p["name"] == "ordering"
    ]
    assert parameter == {
        "name": "ordering",
        "required": False,
        "in": "query",
        "description": (
            "Which field to use when ordering the results. One or more of `destination`, "
            "`duration`, `id`, `launch__net`, `mission_end`, `turn_around_time`, "
            "comma-separated; `-` before a field for descending. Other fields are ignored."
        ),
        "schema": {"type": "string"},
    }
    # The flights' operation description (the help text) lists them too.
    assert "`launch__net`" in document["paths"][FLIGHTS]["get"]["description"]
