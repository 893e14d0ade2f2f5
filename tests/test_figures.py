# ruff: noqa: F811  (the admin fixtures are imported from test_admin)
"""Figures that follow the flights (``spacecraft/figures.py``).

Flights added, edited and deleted through the real admin views (inline on the
spacecraft, on the flight's own page, by the list's delete action, and a
launch whose date changes) give the spacecraft and each flight the figures
LL2's rules give; what an LL2 import brings is kept exactly as sent; a
spacecraft in space with an open flight has a ``time_in_space`` that grows
with the API's clock, in both rendering paths, in ``?ordering=``, and in
cached answers at most ``API_CLOCK_FIGURES_SECONDS`` old.

The launches are the real LL2 2.3.0 records of fixtures/ll2/samples/:
L0 at 2024-10-04T10:00Z, L1 at 2024-10-05T07:43Z, L2 at 2024-10-31T00:00Z.
"""

import copy
import datetime
import json

import pytest

from spacecraft import figures, models
from spacecraft.ingest.importer import import_document
from spacecraft.serving import cache

from . import factories
from .conftest import assert_identical, both, load_seed, spacecraft_form, submit, url

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

UTC = datetime.UTC
FIGURES = ["flights_count", "mission_ends_count", "time_in_space", "fastest_turnaround"]


def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.store.clear()
    yield
    cache.store.clear()


@pytest.fixture
def clock(monkeypatch, settings):
    """The wall clock the API and the admin read, set by the test (Unix seconds)."""
    settings.API_CLOCK_FIGURES_SECONDS = 60
    now = {"t": at("2024-11-10T00:00:00Z").timestamp()}
    monkeypatch.setattr(figures, "wall_clock", lambda: now["t"])
    return now


@pytest.fixture
def launches(db):
    return [factories.launch(0), factories.launch(1), factories.launch(2)]


@pytest.fixture
def craft(db):
    """A spacecraft with LL2's figures as an import brought them (Vostok-1P's), no flights."""
    return factories.spacecraft(
        name="Follower",
        flights_count=1,
        mission_ends_count=1,
        time_in_space=datetime.timedelta(days=842, hours=23, minutes=59, seconds=55),
        time_docked=datetime.timedelta(0),
        fastest_turnaround=None,
    )


def record(api, craft, **params):
    """The spacecraft as the normal list writes it."""
    page = api.get("/2.3.0/spacecraft/", {"format": "json", "limit": 100, **params}).json()
    (found,) = [r for r in page["results"] if r["id"] == craft.id]
    return found


def flights_of(api, craft):
    body = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"}).json()
    return [(f["mission_end"], f["duration"], f["turn_around_time"]) for f in body["flights"]]


def inline(index, launch, mission_end=None, flight=None, delete=False):
    prefix = f"flights-{index}-"
    date, _, time = (mission_end or "").replace("Z", "").partition("T")
    data = {
        f"{prefix}launch": str(launch.id),
        f"{prefix}destination": "Low Earth Orbit",
        f"{prefix}mission_end_0": date,
        f"{prefix}mission_end_1": time,
        f"{prefix}landing": "",
    }
    for name in ("launch_crew", "onboard_crew", "landing_crew", "docking_events"):
        data[prefix + name] = "[]"
    if flight is not None:
        data[f"{prefix}id"] = str(flight.id)
        data[f"{prefix}spacecraft"] = str(flight.spacecraft_id)
    if delete:
        data[f"{prefix}DELETE"] = "on"
    return data


def save_flights(editor, craft, *forms, initial=0, **changes):
    data = spacecraft_form(craft, **changes)
    data.update({"flights-TOTAL_FORMS": str(len(forms)), "flights-INITIAL_FORMS": str(initial)})
    for form in forms:
        data.update(form)
    submit(editor, url(models.Spacecraft, "change", craft.id), data)
    craft.refresh_from_db()


# --- the rules, on their own --------------------------------------------------------------


def test_the_rules_on_a_timeline():
    timeline = [
        (at("2024-10-04T10:00:00Z"), at("2024-10-05T06:00:00Z")),
        (at("2024-10-05T07:43:00Z"), None),  # an earlier open flight: its end is unknown
        (at("2024-10-31T00:00:00Z"), at("2024-11-02T12:30:00Z")),
        (at("2024-11-05T00:00:00Z"), at("1994-10-04T08:00:00Z")),  # a mission end typed wrong
    ]
    assert figures.flight_figures(timeline) == [
        (datetime.timedelta(hours=20), None),
        (None, datetime.timedelta(hours=1, minutes=43)),
        (datetime.timedelta(days=2, hours=12, minutes=30), None),
        (
            -datetime.timedelta(days=10989, hours=16),
            datetime.timedelta(days=2, hours=11, minutes=30),
        ),
    ]
    assert figures.spacecraft_figures(timeline, in_space=True, now=at("2025-01-01T00:00:00Z")) == {
        "flights_count": 4,
        "mission_ends_count": 3,
        "time_in_space": datetime.timedelta(days=2, hours=32, minutes=30),
        "fastest_turnaround": datetime.timedelta(hours=1, minutes=43),
        "time_in_space_base": None,  # the last flight has ended: nothing grows
        "time_in_space_at": None,
    }
    assert figures.spacecraft_figures([], in_space=False, now=at("2025-01-01T00:00:00Z")) == {
        "flights_count": 0,
        "mission_ends_count": 0,
        "time_in_space": datetime.timedelta(0),
        "fastest_turnaround": None,
        "time_in_space_base": None,
        "time_in_space_at": None,
    }


def test_an_open_last_flight_counts_to_now_only_in_space():
    timeline = [
        (at("2024-10-04T10:00:00Z"), at("2024-10-05T06:00:00Z")),
        (at("2024-10-31T00:00:00Z"), None),
    ]
    now = at("2024-11-10T00:00:00Z")
    flying = figures.spacecraft_figures(timeline, in_space=True, now=now)
    assert flying["time_in_space"] == datetime.timedelta(days=10, hours=20)
    assert (flying["time_in_space_base"], flying["time_in_space_at"]) == (
        datetime.timedelta(days=10, hours=20),
        now,
    )
    grounded = figures.spacecraft_figures(timeline, in_space=False, now=now)
    assert grounded["time_in_space"] == datetime.timedelta(hours=20)
    assert grounded["time_in_space_at"] is None
    later = now + datetime.timedelta(hours=5)
    value = flying["time_in_space"]
    assert figures.grown(value, True, value, now, later) == value + datetime.timedelta(hours=5)
    # Another value written over it (an import, a typed one), or not in space: as stored.
    assert figures.grown(datetime.timedelta(days=3), True, value, now, later) == datetime.timedelta(
        3
    )
    assert figures.grown(value, False, value, now, later) == value


# --- the admin: inline on the spacecraft ---------------------------------------------------


def test_flights_added_inline_set_the_figures(editor, api, api_cache, clock, craft, launches):
    before = record(api, craft)
    save_flights(
        editor,
        craft,
        inline(0, launches[2], "2024-11-02T12:30:00Z"),
        inline(1, launches[0], "2024-10-05T06:00:00Z"),
    )
    assert record(api, craft) == {
        **before,
        "flights_count": 2,
        "mission_ends_count": 2,
        "time_in_space": "P3DT8H30M",  # PT20H + P2DT12H30M
        "fastest_turnaround": "P25DT18H",  # L2's net - the first flight's mission end
    }
    assert flights_of(api, craft) == [
        ("2024-10-05T06:00:00Z", "PT20H", None),
        ("2024-11-02T12:30:00Z", "P2DT12H30M", "P25DT18H"),
    ]
    assert craft.time_docked == datetime.timedelta(0)  # not derived: as it was


def test_a_flight_edited_inline_moves_the_figures(editor, api, clock, craft, launches):
    first = factories.flight(craft, launches[0], mission_end=at("2024-10-05T06:00:00Z"))
    second = factories.flight(craft, launches[2], mission_end=at("2024-11-02T12:30:00Z"))
    save_flights(
        editor,
        craft,
        inline(0, launches[0], "2024-10-04T22:00:00Z", flight=first),
        inline(1, launches[2], "2024-11-02T12:30:00Z", flight=second),
        initial=2,
    )
    assert [record(api, craft)[key] for key in FIGURES] == [2, 2, "P3DT30M", "P26DT2H"]
    assert flights_of(api, craft) == [
        ("2024-10-04T22:00:00Z", "PT12H", None),
        ("2024-11-02T12:30:00Z", "P2DT12H30M", "P26DT2H"),
    ]


def test_a_flight_deleted_inline_moves_the_figures(editor, api, clock, craft, launches):
    first = factories.flight(craft, launches[0], mission_end=at("2024-10-05T06:00:00Z"))
    second = factories.flight(craft, launches[2], mission_end=None)
    save_flights(
        editor,
        craft,
        inline(0, launches[0], "2024-10-05T06:00:00Z", flight=first, delete=True),
        inline(1, launches[2], None, flight=second),
        initial=2,
    )
    assert list(craft.flights.values_list("id", flat=True)) == [second.id]
    # One flight, no mission end, not in space: nothing counted, nothing grows.
    assert [record(api, craft)[key] for key in FIGURES] == [1, 0, "P0D", None]
    assert flights_of(api, craft) == [(None, None, None)]


def test_a_spacecraft_saved_without_touching_its_flights_keeps_its_figures(
    editor, api, clock, craft, launches
):
    factories.flight(craft, launches[0], mission_end=at("2024-10-05T06:00:00Z"))
    before = record(api, craft)
    save_flights(editor, craft, **{"description": "Edited by hand"})
    assert record(api, craft) == {**before, "description": "Edited by hand"}
    assert before["time_in_space"] == "P842DT23H59M55S"  # as imported, not PT20H


# --- the admin: a flight's own page, the delete action, a launch's date ---------------------


def flight_page_data(craft, launch, mission_end):
    data = {key.removeprefix("flights-0-"): v for key, v in inline(0, launch, mission_end).items()}
    return {**data, "spacecraft": str(craft.id), "_save": "Save"}


def test_a_flight_added_edited_moved_and_deleted_on_its_own_page(editor, api, clock, launches):
    one = factories.spacecraft(name="One")
    two = factories.spacecraft(name="Two")
    factories.flight(one, launches[0], mission_end=at("2024-10-05T06:00:00Z"))
    submit(
        editor,
        url(models.SpacecraftFlight, "add"),
        flight_page_data(one, launches[2], "2024-11-02T12:30:00Z"),
    )
    added = models.SpacecraftFlight.objects.get(launch=launches[2])
    assert [record(api, one)[key] for key in FIGURES] == [2, 2, "P3DT8H30M", "P25DT18H"]
    page = editor.get(url(models.SpacecraftFlight, "change", added.id)).content.decode()
    assert "P2DT12H30M" in page and 'name="duration"' not in page  # shown, not typed

    # Moved to another spacecraft: both follow.
    submit(
        editor,
        url(models.SpacecraftFlight, "change", added.id),
        flight_page_data(two, launches[2], "2024-11-01T00:00:00Z"),
    )
    assert [record(api, one)[key] for key in FIGURES] == [1, 1, "PT20H", None]
    assert [record(api, two)[key] for key in FIGURES] == [1, 1, "P1D", None]

    page = url(models.SpacecraftFlight, "delete", added.id)
    submit(editor, page, {"post": "yes"})
    assert [record(api, two)[key] for key in FIGURES] == [0, 0, "P0D", None]


def test_flights_deleted_by_the_list_action(editor, api, clock, launches):
    craft = factories.spacecraft(name="Listed")
    kept = factories.flight(craft, launches[0], mission_end=at("2024-10-05T06:00:00Z"))
    gone = [
        factories.flight(craft, launches[1], mission_end=at("2024-10-06T07:43:00Z")),
        factories.flight(craft, launches[2], mission_end=at("2024-11-02T12:30:00Z")),
    ]
    assert record(api, craft)["flights_count"] is None
    data = {
        "action": "delete_selected",
        "_selected_action": [str(f.id) for f in gone],
        "post": "yes",
    }
    submit(editor, url(models.SpacecraftFlight, "changelist"), data)
    assert list(craft.flights.values_list("id", flat=True)) == [kept.id]
    assert [record(api, craft)[key] for key in FIGURES] == [1, 1, "PT20H", None]


def test_a_launch_whose_date_changes_moves_its_flights_figures(editor, api, clock, craft, launches):
    factories.flight(craft, launches[0], mission_end=at("2024-10-05T06:00:00Z"))
    factories.flight(craft, launches[2], mission_end=at("2024-11-02T12:30:00Z"))
    document = json.loads(launches[2].document)
    document["net"] = "2024-11-01T00:00:00Z"
    submit(
        editor,
        url(models.Launch, "change", launches[2].id),
        {"document": json.dumps(document, indent=2), "_save": "Save"},
    )
    assert [record(api, craft)[key] for key in FIGURES] == [2, 2, "P2DT8H30M", "P26DT18H"]
    assert flights_of(api, craft)[1] == ("2024-11-02T12:30:00Z", "P1DT12H30M", "P26DT18H")


# --- imports keep LL2's values ---------------------------------------------------------------


def seed_record(index):
    """A real LL2 record of the ``ll`` seed page."""
    return copy.deepcopy(load_seed("ll")["results"][index])


def test_an_import_keeps_ll2s_figures_before_and_after_admin_edits(
    editor, api, clock, launches, db
):
    sent = seed_record(0)  # Soyuz 7K-LOK No.2: 1 flight, PT8M5S
    import_document({"results": [sent]})
    craft = models.Spacecraft.objects.get(id=sent["id"])
    imported = record(api, craft)
    assert [imported[key] for key in FIGURES] == [1, 1, "PT8M5S", None]
    # Flights an import brings are kept as sent too (no figure is recomputed).
    flight = factories.flight(craft, launches[0], mission_end=at("2024-10-05T06:00:00Z"))
    assert flight.duration == datetime.timedelta(days=5, hours=2)  # the factory's, kept
    assert [record(api, craft)[key] for key in FIGURES] == [1, 1, "PT8M5S", None]
    # An admin edit of the flights: the figures follow them.
    save_flights(
        editor, craft, inline(0, launches[0], "2024-10-05T06:00:00Z", flight=flight), initial=1
    )
    assert [record(api, craft)[key] for key in FIGURES] == [1, 1, "PT20H", None]
    # The next import: LL2's values again, exactly.
    import_document({"results": [sent]})
    assert record(api, craft) == imported


def test_an_import_sets_a_growing_figure_to_ll2s_value(editor, api, clock, launches, db):
    sent = seed_record(1)  # Vostok-1P, as if LL2 had it in space
    sent.update(in_space=True, time_in_space="P30D")
    import_document({"results": [sent]})
    craft = models.Spacecraft.objects.get(id=sent["id"])
    save_flights(editor, craft, inline(0, launches[2], None))  # launched 2024-10-31, open
    assert record(api, craft)["time_in_space"] == "P10D"  # 2024-11-10 - 2024-10-31
    clock["t"] += 3600
    assert record(api, craft)["time_in_space"] == "P10DT1H"
    import_document({"results": [sent]})
    assert record(api, craft)["time_in_space"] == "P30D"  # as LL2 sent it
    clock["t"] += 3600
    assert record(api, craft)["time_in_space"] == "P30DT1H"  # growing from the import, as LL2's


def test_an_imported_spacecraft_in_space_grows_from_its_import(api, clock, db):
    sent = seed_record(1)
    sent.update(in_space=True, time_in_space="P30D")
    import_document({"results": [sent]})
    craft = models.Spacecraft.objects.get(id=sent["id"])
    assert record(api, craft)["time_in_space"] == "P30D"
    clock["t"] += 7200
    assert record(api, craft)["time_in_space"] == "P30DT2H"
    # The same record again (an hourly mirror of a stale LL2 page): it keeps growing from the
    # first import, and the import changes nothing.
    assert import_document({"results": [sent]})["spacecraft"].unchanged == 1
    clock["t"] += 3600
    assert record(api, craft)["time_in_space"] == "P30DT3H"
    # LL2's newer value: served as sent, growing from now.
    sent["time_in_space"] = "P30DT5H"
    import_document({"results": [sent]})
    assert record(api, craft)["time_in_space"] == "P30DT5H"
    # Back on the ground: as sent, no growth.
    sent["in_space"] = False
    import_document({"results": [sent]})
    clock["t"] += 3600
    assert record(api, craft)["time_in_space"] == "P30DT5H"


# --- the clock ---------------------------------------------------------------------------------


@pytest.fixture
def flying(editor, clock, launches):
    """A spacecraft in space since L2 (2024-10-31), after a first flight of PT20H."""
    craft = factories.spacecraft(name="In orbit", in_space=True)
    save_flights(
        editor,
        craft,
        inline(0, launches[0], "2024-10-05T06:00:00Z"),
        inline(1, launches[2], None),
    )
    return craft


def test_time_in_space_grows_with_the_clock(api, clock, flying):
    assert [record(api, flying)[key] for key in FIGURES] == [2, 1, "P10DT20H", "P25DT18H"]
    clock["t"] += 86_400 + 59  # a day and 59 seconds: the clock moves by whole minutes
    assert record(api, flying)["time_in_space"] == "P11DT20H"
    clock["t"] += 1
    assert record(api, flying)["time_in_space"] == "P11DT20H1M"
    # The open flight's own duration stays null until it ends, as on LL2.
    assert flights_of(api, flying)[1] == (None, None, "P25DT18H")


def test_landing_in_the_admin_stops_the_clock(editor, api, clock, flying):
    clock["t"] += 3600
    assert record(api, flying)["time_in_space"] == "P10DT21H"
    flying.refresh_from_db()
    # Unticking in_space with no mission end: the open flight's end is unknown, it counts nothing.
    save_flights(editor, flying, in_space="")
    assert [record(api, flying)[key] for key in FIGURES] == [2, 1, "PT20H", "P25DT18H"]
    clock["t"] += 3600
    assert record(api, flying)["time_in_space"] == "PT20H"


def test_the_clock_to_the_second(api, clock, flying, settings):
    settings.API_CLOCK_FIGURES_SECONDS = 0
    clock["t"] += 7.9
    assert record(api, flying)["time_in_space"] == "P10DT20H7S"


def test_both_rendering_paths_grow_alike(api, clock, flying, monkeypatch, settings):
    settings.API_CACHE_SECONDS = 0
    clock["t"] += 3_723
    for path, params in [
        ("/2.3.0/spacecraft/", {"mode": "normal"}),
        ("/2.3.0/spacecraft/", {"mode": "detailed", "ordering": "-time_in_space"}),
        (f"/2.3.0/spacecraft/{flying.id}/", {}),
        ("/2.3.0/spacecraft_flights/", {"mode": "detailed"}),
    ]:
        fast, slow = both(api, monkeypatch, path, format="json", **params)
        assert_identical(fast, slow)
        assert b'"time_in_space":"P10DT21H2M"' in fast.content


def test_ordering_by_time_in_space_uses_the_growing_value(api, clock, flying):
    steady = factories.spacecraft(name="Steady", time_in_space=datetime.timedelta(days=11))

    def order(term):
        page = api.get("/2.3.0/spacecraft/", {"format": "json", "ordering": term}).json()
        return [r["id"] for r in page["results"]]

    # Stored P10DT20H < P11D; grown past it after 4 hours.
    assert order("time_in_space") == [flying.id, steady.id]
    clock["t"] += 4 * 3600 + 60
    assert record(api, flying)["time_in_space"] == "P11DT1M"
    assert order("time_in_space") == [steady.id, flying.id]
    assert order("-time_in_space") == [flying.id, steady.id]


def test_a_cached_answer_is_at_most_one_clock_step_old(api, api_cache, clock, flying, settings):
    settings.API_CLOCK_FIGURES_SECONDS = 300
    start = clock["t"]  # a multiple of 300 seconds
    path = f"/2.3.0/spacecraft/{flying.id}/"
    first = api.get(path, {"format": "json"})
    assert first.json()["time_in_space"] == "P10DT20H"
    clock["t"] = start + 299  # the same step: the cached answer, 299 seconds old at most
    again = api.get(path, {"format": "json"})
    assert (again.content, again["ETag"]) == (first.content, first["ETag"])
    clock["t"] = start + 300  # the next step: a new answer
    fresh = api.get(path, {"format": "json"})
    assert fresh.json()["time_in_space"] == "P10DT20H5M"
    assert fresh["ETag"] != first["ETag"]
    # An answer that shows no spacecraft is keyed by the catalogue alone.
    assert not cache.shows_clock_figures("/2.3.0/spacecraft_configurations/")
    assert cache.shows_clock_figures("/2.3.0/spacecraft_flights/")


def test_loaddata_derives_nothing(db):
    """Fixtures load as they are: no signal derives figures (``loaddata`` saves raw)."""
    from django.core.management import call_command

    from .conftest import FIXTURE

    call_command("loaddata", str(FIXTURE), verbosity=0)
    rows = [
        r for r in json.loads(FIXTURE.read_text("utf-8")) if r["model"] == "spacecraft.spacecraft"
    ]
    assert not models.SpacecraftFlight.objects.exists()
    assert sum(r["fields"]["flights_count"] for r in rows) > 0  # zero flights would say 0
    stored = dict(models.Spacecraft.objects.values_list("id", "flights_count"))
    assert stored == {r["pk"]: r["fields"]["flights_count"] for r in rows}
