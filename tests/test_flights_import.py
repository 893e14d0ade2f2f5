"""Importing flights: detailed spacecraft records and /spacecraft_flights/ pages.

The records are LL2-shaped (``devtools/ll2data.py`` on the captured seeds) and
their launches the real LL2 2.3.0 records of fixtures/ll2/samples/. What is
imported is served back exactly as it was sent, when asked for as LL2's own
host. Refusals change nothing (every table compared whole) and name the
file, the record, the flight and the key.
"""

import copy
import json
import uuid

import pytest

from devtools import ll2shape
from devtools.ll2data import detailed_from_normal, page, seed_records
from spacecraft import ll2schema, models

from .conftest import HOST, dump, fail, get_json, run, summary, write_json

BASE = f"https://{HOST}/2.3.0"
# Where the flights' landings are: the first sample launch's pad, as LL2 sent it.
PAD_LOCATION = ll2shape.sample_launches()[0]["pad"]["location"]


@pytest.fixture(autouse=True)
def ll2_host(settings):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    from spacecraft.serving import cache

    cache.store.clear()


def normal_record(index=0):
    """A real LL2 normal record, its links without the ``?format=api`` of its capture."""
    return without_format(seed_records("ll")[index])


def without_format(value):
    if isinstance(value, dict):
        return {
            key: item.removesuffix("?format=api") if key == "url" else without_format(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_format(item) for item in value]
    return value


def flight(pk, spacecraft, launch=0, **fields):
    """A flight as LL2 2.3.0 writes it inside a detailed spacecraft record (``spacecraft``:
    the record's normal form), ``fields`` changing its keys."""
    facts = {
        "id": pk,
        "destination": "International Space Station",
        "mission_end": "2024-10-25T07:29:00Z",
        "launch": ll2shape.sample_launches()[launch],
        "landing": ll2shape.splashdown(pk + 1000, PAD_LOCATION),
        "duration": "P20DT21H29M",
        "turn_around_time": "P151DT2H44M",
    }
    return {**ll2shape.flight_around(facts, spacecraft, BASE), **fields}


def detailed_with_flights(index=0, flights=((1, 0), (2, 1))):
    normal = normal_record(index)
    record = detailed_from_normal(normal)
    record["flights"] = [flight(pk, normal, launch) for pk, launch in flights]
    return record


def detailed_flight(record):
    """``record`` (a normal flight) as the flights endpoint's detailed form."""
    spacecraft = get_json_any(record["spacecraft"]["id"])
    del spacecraft["flights"]
    spacecraft["response_mode"] = "normal"
    crew = [ll2shape.astronaut_flight(3)]
    return ll2shape.flight_detailed(record, spacecraft, launch_crew=crew, landing_crew=crew)


def get_json_any(pk):
    from rest_framework.test import APIClient

    return get_json(APIClient(), f"/2.3.0/spacecraft/{pk}/")


# --- detailed spacecraft --------------------------------------------------------------


def test_a_detailed_record_is_served_back_as_sent(api, db, tmp_path):
    record = detailed_with_flights()
    out, _ = run(write_json(tmp_path / "detailed.json", page([record])))
    tallies = summary(out)
    assert tallies["flight"] == (2, 0, 0)
    assert tallies["launch"] == (2, 0, 0)
    assert tallies["landing"] == (2, 0, 0)
    assert get_json(api, f"/2.3.0/spacecraft/{record['id']}/") == record
    listed = get_json(api, "/2.3.0/spacecraft/", {"mode": "detailed", "limit": 100})
    assert listed["results"] == [record]
    # The launch's bytes are LL2's compact encoding of what it sent.
    response = api.get(
        f"/2.3.0/spacecraft/{record['id']}/", HTTP_HOST=HOST, secure=True, format="json"
    )
    sample = ll2shape.sample_launches()[0]
    assert json.dumps(sample, ensure_ascii=False, separators=(",", ":")).encode() in (
        response.content
    )


def test_a_second_import_changes_nothing(db, tmp_path):
    path = write_json(tmp_path / "detailed.json", page([detailed_with_flights()]))
    run(path)
    before = dump()
    out, _ = run(path)
    for kind, (created, updated, _unchanged) in summary(out).items():
        assert (created, updated) == (0, 0), kind
    assert summary(out)["flight"] == (0, 0, 2)
    assert dump() == before


def test_a_detailed_records_flights_are_authoritative(api, db, tmp_path):
    record = detailed_with_flights(flights=((1, 0), (2, 1), (3, 2)))
    run(write_json(tmp_path / "three.json", page([record])))
    record["flights"] = record["flights"][1:2]
    run(write_json(tmp_path / "one.json", page([record])))
    assert list(models.SpacecraftFlight.objects.values_list("id", flat=True)) == [2]
    assert get_json(api, f"/2.3.0/spacecraft/{record['id']}/") == record
    record["flights"] = []
    run(write_json(tmp_path / "none.json", page([record])))
    assert not models.SpacecraftFlight.objects.exists()
    assert models.Launch.objects.count() == 3  # launches are kept


def test_a_normal_record_leaves_flights_alone(db, tmp_path):
    record = detailed_with_flights()
    run(write_json(tmp_path / "detailed.json", page([record])))
    normal = normal_record()
    normal["name"] = "Renamed in normal mode"
    run(write_json(tmp_path / "normal.json", page([normal])))
    assert models.Spacecraft.objects.get(id=record["id"]).name == "Renamed in normal mode"
    assert models.SpacecraftFlight.objects.count() == 2


def test_a_launch_shared_by_two_flights_is_stored_once(api, db, tmp_path):
    one, two = normal_record(0), normal_record(1)
    records = [detailed_from_normal(one), detailed_from_normal(two)]
    records[0]["flights"] = [flight(1, one, 0)]
    records[1]["flights"] = [flight(2, two, 0, landing=None)]
    out, _ = run(write_json(tmp_path / "shared.json", page(records)))
    assert summary(out)["launch"] == (1, 0, 0)
    assert models.Launch.objects.count() == 1
    for record in records:
        assert get_json(api, f"/2.3.0/spacecraft/{record['id']}/") == record


def test_real_data_nulls_and_negative_durations_are_accepted(api, db, tmp_path):
    normal = normal_record()
    record = detailed_from_normal(normal)
    record["flights"] = [
        flight(
            1,
            normal,
            2,
            landing=None,
            duration="-P10948DT2H",
            turn_around_time=None,
            mission_end="1994-10-04T08:00:00Z",
            destination=None,
        ),
        flight(2, normal, 1, duration=None),
    ]
    run(write_json(tmp_path / "nulls.json", page([record])))
    served = get_json(api, f"/2.3.0/spacecraft/{record['id']}/")
    # Served by launch date: sample 1 (2024-10-05) before sample 2 (2024-10-31).
    assert served["flights"] == [record["flights"][1], record["flights"][0]]


def test_format_is_taken_off_links_and_put_back_as_asked(api, db, tmp_path):
    record = detailed_with_flights(flights=((1, 0),))
    sent = copy.deepcopy(record)
    launch = sent["flights"][0]["launch"]
    launch["url"] += "?format=json"
    launch["pad"]["url"] += "?format=json"
    run(write_json(tmp_path / "formatted.json", page([sent])))
    stored = models.Launch.objects.get().document
    assert "format=" not in stored
    assert get_json(api, f"/2.3.0/spacecraft/{record['id']}/") == record
    served = get_json(api, f"/2.3.0/spacecraft/{record['id']}/", {"format": "json"})
    assert served["flights"][0]["launch"]["pad"]["url"].endswith("/?format=json")


# --- the flights endpoint's own pages ------------------------------------------------------


def test_a_flights_page_is_imported(api, db, tmp_path):
    spacecraft = normal_record(2)
    records = [flight(5, spacecraft, 1), flight(6, spacecraft, 2, landing=None)]
    out, _ = run(write_json(tmp_path / "flights.json", page(records)))
    assert summary(out)["flight"] == (2, 0, 0)
    assert summary(out)["spacecraft"] == (1, 0, 0)
    served = get_json(api, "/2.3.0/spacecraft_flights/")
    assert served == page(records)


def test_a_single_flight_and_a_list_are_imported(api, db, tmp_path):
    spacecraft = normal_record(2)
    run(write_json(tmp_path / "one.json", flight(5, spacecraft, 1)))
    run(write_json(tmp_path / "list.json", [flight(6, spacecraft, 2)]))
    assert list(models.SpacecraftFlight.objects.values_list("id", flat=True)) == [5, 6]


def test_a_detailed_flight_keeps_its_crews_as_sent(api, db, tmp_path):
    spacecraft = normal_record(2)
    run(write_json(tmp_path / "normal.json", flight(5, spacecraft, 1)))
    detailed = detailed_flight(flight(5, spacecraft, 1))
    out, _ = run(write_json(tmp_path / "detailed.json", detailed))
    assert summary(out)["flight"] == (0, 1, 0)
    assert get_json(api, "/2.3.0/spacecraft_flights/5/") == detailed
    # A normal page afterwards leaves the crews alone (it has none of their keys).
    run(write_json(tmp_path / "normal.json", flight(5, spacecraft, 1)))
    assert get_json(api, "/2.3.0/spacecraft_flights/5/") == detailed


def test_a_saved_browsable_flights_page_is_imported(api, db, tmp_path):
    spacecraft = normal_record(2)
    body = json.dumps(page([flight(5, spacecraft, 1)]), indent=4, ensure_ascii=False)
    path = tmp_path / "flights.browsable.txt"
    path.write_text(
        "Spacecraft Flight List\n\nGET /2.3.0/spacecraft_flights/\n\n"
        "HTTP 200 OK\nAllow: GET\nContent-Type: application/json\nVary: Accept\n\n" + body,
        encoding="utf-8",
    )
    run(path)
    assert (
        get_json(api, "/2.3.0/spacecraft_flights/5/")["launch"]
        == flight(5, spacecraft, 1)["launch"]
    )


# --- refusals ---------------------------------------------------------------------------------


def refused(tmp_path, document, *fragments):
    run(write_json(tmp_path / "good.json", page([detailed_with_flights(1)])))
    before = dump()
    path = write_json(tmp_path / "bad.json", document)
    _, message = fail(path)
    assert f"{path}: " in message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message
    assert dump() == before


def test_a_launch_that_breaks_the_schema_refuses_the_file(db, tmp_path):
    record = detailed_with_flights(0)
    record["flights"][1]["launch"]["slug"] = 42
    refused(
        tmp_path,
        page([record]),
        f"record 0 (id {record['id']}) > flights[1] (id 2) > launch",
        "LaunchNormal: slug: 42 is not of type 'string'",
    )


def test_a_flight_without_a_launch_id_refuses_the_file(db, tmp_path):
    record = detailed_with_flights(0)
    del record["flights"][0]["launch"]["id"]
    refused(tmp_path, page([record]), "flights[0] (id 1) > launch: launch is missing 'id'")


def test_a_flight_without_a_launch_refuses_the_file(db, tmp_path):
    record = detailed_with_flights(0)
    del record["flights"][0]["launch"]
    refused(tmp_path, page([record]), "flights[0] (id 1): flight is missing 'launch'")


@pytest.mark.parametrize(
    "value,reason",
    [
        ("5 days", "not an ISO 8601 duration"),
        ("P1Y", "durations with years"),
        (5, "expected"),
        # A flight's duration may be negative, once: two signs are not a duration.
        ("--P1D", 'not an ISO 8601 duration: "--P1D"'),
        ("-P1Y", 'durations with years or months are ambiguous: "P1Y"'),
    ],
)
def test_a_bad_duration_refuses_the_file(db, tmp_path, value, reason):
    record = detailed_with_flights(0)
    record["flights"][1]["duration"] = value
    refused(tmp_path, page([record]), "flights[1] (id 2): duration: " + reason)


def test_a_bad_landing_refuses_the_file(db, tmp_path):
    record = detailed_with_flights(0)
    del record["flights"][0]["landing"]["landing_location"]
    refused(
        tmp_path,
        page([record]),
        "flights[0] (id 1) > landing (id 1001): landing does not fit LL2's Landing",
        "'landing_location' is a required property",
    )


def test_a_flights_page_record_without_its_spacecraft_is_refused(db, tmp_path):
    record = flight(5, normal_record(2), 1)
    del record["spacecraft"]
    refused(tmp_path, page([record]), "record 0 (id 5): flight is missing 'spacecraft'")


# --- a record's kind, from where it came ------------------------------------------------


SPACECRAFT_MARKS = (
    "fastest_turnaround",
    "flights_count",
    "spacecraft_config",
    "status",
    "time_docked",
    "time_in_space",
)
AGENCY_MARKS = ("country", "logo", "parent", "social_logo", "type")


def test_the_imported_endpoints_are_read_from_ll2s_document():
    from spacecraft.ingest.sources import ENDPOINTS, MARKS

    assert {name: (e.path, e.kind, e.forms) for name, e in ENDPOINTS.items()} == {
        "spacecraft": (
            "/2.3.0/spacecraft/",
            "spacecraft",
            {"normal": "SpacecraftNormal", "detailed": "SpacecraftEndpointDetailed"},
        ),
        "spacecraft_flights": (
            "/2.3.0/spacecraft_flights/",
            "flight",
            {"normal": "SpacecraftFlightNormal", "detailed": "SpacecraftFlightDetailed"},
        ),
        "agencies": (
            "/2.3.0/agencies/",
            "agency",
            {"list": "AgencyMini", "normal": "AgencyNormal", "detailed": "AgencyEndpointDetailed"},
        ),
    }
    # What tells a file's record apart: keys one endpoint's form requires and no form of
    # another declares (an agency has a name, an image, a description and spacecraft too).
    assert MARKS == {
        "spacecraft": {
            "normal": set(SPACECRAFT_MARKS),
            "detailed": {*SPACECRAFT_MARKS, "flights"},
        },
        "spacecraft_flights": {
            "normal": {"duration", "landing", "launch", "turn_around_time"},
            "detailed": {
                "docking_events",
                "duration",
                "landing",
                "landing_crew",
                "launch",
                "launch_crew",
                "onboard_crew",
                "turn_around_time",
            },
        },
        "agencies": {
            "list": {"type"},
            "normal": set(AGENCY_MARKS),
            "detailed": {
                *AGENCY_MARKS,
                "launcher_list",
                "social_media_links",
                "spacecraft_list",
            },
        },
    }


@pytest.mark.parametrize(
    "path, name",
    [
        ("/2.3.0/spacecraft/", "spacecraft"),
        ("/2.3.0/spacecraft", "spacecraft"),
        ("/2.3.0/spacecraft_flights/", "spacecraft_flights"),
        ("/ll2/2.3.0/spacecraft_flights/", "spacecraft_flights"),
        ("/2.3.0/agencies/", "agencies"),
        ("/2.3.0/spacecraft/5/", None),
        ("/2.3.0/spacecraft_configurations/", None),
        ("/", None),
    ],
)
def test_a_sync_knows_its_records_kind_from_the_url_path(path, name):
    from spacecraft.ingest.sources import endpoint_of_url

    found = endpoint_of_url(path)
    assert (found.name if found else None) == name


def test_a_file_record_with_keys_of_both_endpoints_is_refused(db, tmp_path):
    record = flight(5, normal_record(2), 1)
    record["spacecraft_config"] = normal_record(2)["spacecraft_config"]
    refused(
        tmp_path,
        page([record]),
        # (an agency record declares "spacecraft" too, so it tells no flight apart)
        "record 0 (id 5): has keys of spacecraft (spacecraft_config) and of flights "
        "(duration, landing, launch, turn_around_time): a record comes from "
        "one of /2.3.0/spacecraft/, /2.3.0/spacecraft_flights/, /2.3.0/agencies/",
    )


def test_a_file_record_with_keys_of_neither_endpoint_is_refused(db, tmp_path):
    refused(
        tmp_path,
        page([{"id": 7, "url": f"{BASE}/spacecraft/7/", "response_mode": "normal"}]),
        "record 0 (id 7): not a record of /2.3.0/spacecraft/, /2.3.0/spacecraft_flights/, "
        "/2.3.0/agencies/: it has none of the keys LL2 declares for one of them only "
        "(spacecraft: fastest_turnaround, ",
        "; flights: duration, landing, launch, turn_around_time; agencies: country, logo, ",
    )


def test_a_record_s_response_mode_picks_the_form_whose_keys_tell(db, tmp_path):
    # ``launch_crew`` is only the detailed flight form's: a normal flight
    # record carrying just that (and spacecraft keys) is a spacecraft.
    record = normal_record(2)
    record["launch_crew"] = []
    run(write_json(tmp_path / "ok.json", page([record])))
    assert models.Spacecraft.objects.filter(pk=record["id"]).exists()
    record["response_mode"] = "detailed"
    refused(tmp_path, page([record]), "record 0 (id ", "has keys of spacecraft (")


def test_the_progress_bar_names_what_the_files_held(db, tmp_path):
    import io
    import re

    from django.core.management import call_command

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    spacecraft = write_json(
        tmp_path / "spacecraft.json", page([normal_record(0), normal_record(1)])
    )
    flights = write_json(tmp_path / "flights.json", page([flight(5, normal_record(2), 1)]))
    terminal = Terminal()
    call_command("import_ll2", str(spacecraft), str(flights), stdout=terminal)
    shown = terminal.getvalue()
    assert re.search(r"\r 50%\|#+ +\| 1/2 \[[^\]]*, 2 spacecraft · [\d,]+/s\]", shown), shown
    assert re.search(r"\r100%\|#+\| 2/2 \[[^\]]*, 2 spacecraft, 1 flight · [\d,]+/s\]", shown), (
        shown
    )
    # The flight's own spacecraft is an object nested in it, not a record the files held.
    assert "\nspacecraft: 3 created, 0 updated, 0 unchanged\n" in shown


def test_a_bad_launch_is_refused_with_the_file_record_flight_and_key(db, tmp_path):
    record = detailed_with_flights(0)
    launch = record["flights"][1]["launch"]
    launch["slug"] = 42
    path = write_json(tmp_path / "bad.json", page([record]))
    _, message = fail(path)
    assert message == (
        f"{path}: record 0 (id {record['id']}) > flights[1] (id 2) > launch (id {launch['id']}): "
        "launch does not fit LL2's LaunchNormal: slug: 42 is not of type 'string' "
        "(nothing from this file was saved)\n"
        f"1 of 1 files failed: {path}"
    )


def fresh_launch(sample):
    """Real sample launch ``sample`` under an id no test has used: a text never checked."""
    launch = copy.deepcopy(ll2shape.sample_launches()[sample])
    launch["id"] = str(uuid.uuid4())
    return launch


def test_each_launch_is_checked_once_per_import(db, tmp_path, monkeypatch):
    checked = []
    precise_or_fast = ll2schema.problems

    def counted(component, instance, *args, **kwargs):
        if component == "LaunchNormal":
            checked.append(instance["id"])
        return precise_or_fast(component, instance, *args, **kwargs)

    monkeypatch.setattr(ll2schema, "problems", counted)
    a, b, c = (fresh_launch(sample) for sample in range(3))
    first = detailed_with_flights(0, flights=((1, 0), (2, 0), (3, 0)))
    for flight_record, launch in zip(first["flights"], (a, b, a), strict=True):
        flight_record["launch"] = launch
    second = detailed_with_flights(1, flights=((4, 0), (5, 0)))
    for flight_record, launch in zip(second["flights"], (b, c), strict=True):
        flight_record["launch"] = copy.deepcopy(launch)
    paths = [
        write_json(tmp_path / "1.json", page([first])),
        write_json(tmp_path / "2.json", page([second])),
    ]
    run(*paths)
    assert checked == [a["id"], b["id"], c["id"]]
    assert models.Launch.objects.filter(id__in=[a["id"], b["id"], c["id"]]).count() == 3

    run(*paths)  # the same texts again, in another command
    assert checked == [a["id"], b["id"], c["id"]]

    changed = copy.deepcopy(second)
    changed["flights"][0]["launch"]["name"] = "Renamed"  # another text: checked again
    run(write_json(tmp_path / "3.json", page([changed])))
    assert checked == [a["id"], b["id"], c["id"], b["id"]]


def test_a_launch_checked_valid_before_is_still_checked_when_it_changes(db, tmp_path):
    launch = fresh_launch(0)
    record = detailed_with_flights(0, flights=((1, 0),))
    record["flights"][0]["launch"] = launch
    run(write_json(tmp_path / "good.json", page([record])))
    before = dump()
    broken = copy.deepcopy(record)
    broken["flights"][0]["launch"]["slug"] = "not a slug"
    path = write_json(tmp_path / "bad.json", page([broken]))
    _, message = fail(path)
    assert message.splitlines()[0] == (
        f"{path}: record 0 (id {record['id']}) > flights[0] (id 1) > launch (id {launch['id']}): "
        "launch does not fit LL2's LaunchNormal: slug: 'not a slug' does not match "
        "'^[-a-zA-Z0-9_]+$' (nothing from this file was saved)"
    )
    assert dump() == before


def test_a_launch_url_with_an_unclosed_bracket_is_refused_not_a_crash(db, tmp_path):
    record = detailed_with_flights(0)
    record["flights"][0]["launch"]["url"] = "https://[ll.thespacedevs.com/2.3.0/launches/"
    refused(
        tmp_path,
        page([record]),
        "flights[0] (id 1) > launch (id ",
        "launch does not fit LL2's LaunchNormal: url: "
        "'https://[ll.thespacedevs.com/2.3.0/launches/' is not a 'uri'",
    )
