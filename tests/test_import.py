"""``manage.py import_ll2``: every accepted input, its guarantees, every refusal.

Inputs are the captured seed pages and data derived from them
(``devtools/ll2data.py``); bad inputs are written to ``tmp_path``. Every refusal
is checked the same way: the command fails, the message names the file and
the record, nothing prints a traceback, and a full dump of every table is
the same before and after.
"""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devtools import servers
from devtools.ll2data import detailed_from_normal, page, seed_records
from spacecraft import models
from spacecraft.ingest.importer import WRITE_ORDER, ImportFailure, import_document, load_document

from .conftest import (
    SEED_FILES,
    SUMMARY_LINE,
    as_ll2,
    dump,
    fail,
    load_seed,
    run,
    summary,
    write_json,
)

BROWSABLE = {name: path.with_suffix(".browsable.txt") for name, path in SEED_FILES.items()}


# --- helpers ---------------------------------------------------------------------


def distinct_ids(records, pick):
    return len({pick(record) for record in records})


# --- accepted inputs ------------------------------------------------------------


@pytest.mark.parametrize("name", ["ll", "lldev"])
def test_normal_page(db, name):
    seed = load_seed(name)

    out, err = run(SEED_FILES[name])

    assert err == ""
    assert sorted(models.Spacecraft.objects.values_list("id", flat=True)) == sorted(
        record["id"] for record in seed["results"]
    )
    tallies = summary(out)
    assert tallies["spacecraft"] == (10, 0, 0)
    configs = distinct_ids(seed["results"], lambda r: r["spacecraft_config"]["id"])
    assert tallies["configuration"] == (configs, 0, 0)
    assert models.SpacecraftConfig.objects.count() == configs
    # Agencies come as configuration agencies and as family manufacturers.
    agencies = {r["spacecraft_config"]["agency"]["id"] for r in seed["results"]} | {
        family["manufacturer"]["id"]
        for record in seed["results"]
        for family in record["spacecraft_config"]["family"]
        if family["manufacturer"]
    }
    assert tallies["agency"] == (len(agencies), 0, 0)
    assert set(models.Agency.objects.values_list("id", flat=True)) == agencies
    # A record's values land where they belong.
    first = seed["results"][0]
    stored = models.Spacecraft.objects.get(id=first["id"])
    assert stored.name == first["name"]
    assert stored.status_id == first["status"]["id"]
    assert stored.spacecraft_config_id == first["spacecraft_config"]["id"]
    assert stored.image_id == first["image"]["id"]


@pytest.mark.parametrize("name", ["ll", "lldev"])
def test_browsable_page_is_the_same_data_as_the_json_page(db, name):
    out, _ = run(BROWSABLE[name])
    assert summary(out)["spacecraft"] == (10, 0, 0)
    after_browsable = dump()

    out, _ = run(SEED_FILES[name])

    assert all(created == updated == 0 for created, updated, _ in summary(out).values())
    assert dump() == after_browsable


def test_browsable_page_with_windows_line_endings_and_a_bom(db, tmp_path):
    text = BROWSABLE["ll"].read_text(encoding="utf-8").replace("\n", "\r\n")
    path = tmp_path / "saved.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    out, _ = run(path)

    assert summary(out)["spacecraft"] == (10, 0, 0)


def test_browsable_detail_page(db, tmp_path):
    # What /2.3.0/spacecraft/{id}/?format=api shows: one detailed object.
    record = detailed_from_normal(seed_records("lldev")[4])
    head = (
        f"Spacecraft Detail\n\nGET /2.3.0/spacecraft/{record['id']}/?format=api\n"
        "HTTP 200 OK\nAllow: GET\nContent-Type: application/json\nVary: Accept\n\n"
    )
    path = tmp_path / "detail.browsable.txt"
    path.write_text(head + json.dumps(record, indent=4), encoding="utf-8")

    out, _ = run(path)

    assert summary(out)["spacecraft"] == (1, 0, 0)
    config = models.SpacecraftConfig.objects.get(id=record["spacecraft_config"]["id"])
    assert config.capability == record["spacecraft_config"]["capability"]


def test_json_with_a_bom(db, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + SEED_FILES["ll"].read_bytes())

    out, _ = run(path)

    assert summary(out)["spacecraft"] == (10, 0, 0)


def test_list_of_records(db, tmp_path):
    records = seed_records("lldev")
    out, _ = run(write_json(tmp_path / "list.json", records))

    assert summary(out)["spacecraft"] == (10, 0, 0)
    assert set(models.Spacecraft.objects.values_list("id", flat=True)) == {r["id"] for r in records}


def test_single_object(db, tmp_path):
    record = seed_records("ll")[3]
    out, _ = run(write_json(tmp_path / "one.json", record))

    assert summary(out)["spacecraft"] == (1, 0, 0)
    assert list(models.Spacecraft.objects.values_list("id", flat=True)) == [record["id"]]


@pytest.mark.parametrize("document", [page([]), []], ids=["empty page", "empty list"])
def test_empty_page_or_list_imports_nothing(db, tmp_path, document):
    before = dump()
    out, _ = run(write_json(tmp_path / "empty.json", document))

    assert all(counts == (0, 0, 0) for counts in summary(out).values())
    assert dump() == before


@pytest.mark.parametrize("name", ["ll", "lldev"])
def test_detailed_page_round_trips_through_the_api(db, api, settings, tmp_path, name):
    # Import the detailed form, then ask for it back: every detailed-only
    # value must have been stored, key for key.
    records = [
        detailed_from_normal(json.loads(json.dumps(r).replace("format=api", "format=json")))
        for r in seed_records(name)
    ]
    out, _ = run(write_json(tmp_path / "detailed.json", page(records)))
    assert summary(out)["spacecraft"] == (10, 0, 0)
    assert summary(out)["country"][0] > 0
    assert summary(out)["image variant"][0] > 0
    host = records[0]["url"].split("/")[2]
    settings.ALLOWED_HOSTS = [host]

    response = api.get(
        "/2.3.0/spacecraft/",
        {"format": "json", "mode": "detailed", "limit": 100},
        HTTP_HOST=host,
        secure=True,
    )

    assert response.status_code == 200
    ours = {record["id"]: record for record in as_ll2(json.loads(response.content))["results"]}
    assert sorted(ours) == sorted(record["id"] for record in records)
    for record in records:
        assert json.dumps(ours[record["id"]]) == json.dumps(record)


# --- guarantees ------------------------------------------------------------------


def test_second_run_changes_nothing_and_says_so(db, tmp_path):
    detailed = write_json(
        tmp_path / "detailed.json", page(detailed_from_normal(r) for r in seed_records("ll"))
    )
    # The same spacecraft in normal form, then in detailed form. (The two
    # seed pages come from two LL2 servers whose image URLs differ, so
    # importing both flips those images back and forth: a true update.)
    paths = [SEED_FILES["ll"], detailed]
    first, _ = run(*paths)
    assert summary(first)["spacecraft"] == (10, 0, 10)
    assert summary(first)["configuration"][1] > 0
    state = dump()

    second, _ = run(*paths)

    assert dump() == state
    tallies = summary(second)
    assert tallies["spacecraft"] == (0, 0, 20)
    assert tallies["configuration"][2] > 0
    for kind, (created, updated, _unchanged) in tallies.items():
        assert (created, updated) == (0, 0), kind
    # The same objects were seen, so the same number of them is reported.
    assert {k: sum(v) for k, v in tallies.items()} == {k: sum(v) for k, v in summary(first).items()}


def test_normal_import_never_erases_what_a_detailed_import_brought(db, tmp_path):
    normal = seed_records("ll")
    detailed = [detailed_from_normal(record) for record in normal]
    run(write_json(tmp_path / "detailed.json", page(detailed)))
    state = dump()
    config = detailed[0]["spacecraft_config"]
    agency = config["agency"]

    out, _ = run(write_json(tmp_path / "normal.json", page(normal)))

    assert dump() == state
    assert summary(out)["configuration"][1] == 0
    stored = models.SpacecraftConfig.objects.get(id=config["id"])
    assert stored.capability == config["capability"]
    assert stored.history == config["history"]
    assert stored.crew_capacity == config["crew_capacity"]
    assert stored.total_launch_count == config["total_launch_count"]
    stored_agency = models.Agency.objects.get(id=agency["id"])
    assert [c.name for c in stored_agency.countries.all()] == [agency["country"][0]["name"]]
    assert stored_agency.founding_year == agency["founding_year"]
    assert stored_agency.logo.variants.count() == 1
    family = next(r for r in detailed if r["spacecraft_config"]["family"])
    family = family["spacecraft_config"]["family"][0]
    assert (
        models.SpacecraftConfigFamily.objects.get(id=family["id"]).spacecraft_flown
        == family["spacecraft_flown"]
    )


@pytest.mark.parametrize("detailed_first", [True, False])
def test_same_object_in_normal_and_detailed_form_in_one_file(db, tmp_path, detailed_first):
    normal = seed_records("ll")
    detailed = [detailed_from_normal(record) for record in normal]
    # The same spacecraft (and so the same configuration, agency...) twice.
    records = detailed + normal if detailed_first else normal + detailed

    out, _ = run(write_json(tmp_path / "mixed.json", page(records)))

    tallies = summary(out)
    assert tallies["spacecraft"] == (10, 0, 0)
    configs = distinct_ids(normal, lambda r: r["spacecraft_config"]["id"])
    assert tallies["configuration"] == (configs, 0, 0)
    config = detailed[0]["spacecraft_config"]
    stored = models.SpacecraftConfig.objects.get(id=config["id"])
    assert stored.capability == config["capability"]
    assert stored.fastest_turnaround is not None
    assert models.Agency.objects.get(id=config["agency"]["id"]).countries.count() == 1
    # Whatever the order, the result is the detailed data.
    state = dump()
    out, _ = run(write_json(tmp_path / "detailed.json", page(detailed)))
    assert dump() == state
    assert summary(out)["spacecraft"] == (0, 0, 10)


def test_each_object_is_counted_once_per_file(db):
    seed = load_seed("ll")
    out, _ = run(SEED_FILES["ll"])
    tallies = summary(out)
    # Agency 63 and image 1927 are on several records; each counts once.
    images = {
        image["id"]
        for record in seed["results"]
        for image in (record["image"], record["spacecraft_config"]["image"])
        if image
    }
    assert tallies["image"] == (len(images), 0, 0)
    statuses = distinct_ids(seed["results"], lambda r: r["status"]["id"])
    assert tallies["status"] == (statuses, 0, 0)
    assert models.SpacecraftStatus.objects.count() == statuses

    # Once per file: the same file twice in one run counts twice.
    out, _ = run(SEED_FILES["ll"], SEED_FILES["ll"])
    assert summary(out)["status"] == (0, 0, 2 * statuses)


def test_duplicate_record_in_one_file_is_one_object_and_the_last_wins(db, tmp_path):
    record = seed_records("ll")[0]
    renamed = {**record, "name": "Renamed"}

    out, _ = run(write_json(tmp_path / "dupes.json", [record, renamed]))

    assert summary(out)["spacecraft"] == (1, 0, 0)
    assert models.Spacecraft.objects.get(id=record["id"]).name == "Renamed"


def test_updates_are_counted_and_stored(db, tmp_path):
    run(SEED_FILES["ll"])
    records = seed_records("ll")
    records[2]["flights_count"] = 99
    records[2]["time_in_space"] = "P1DT2H"
    records[5]["status"]["name"] = "Renamed status"
    changed_status = records[5]["status"]["id"]
    for record in records:  # every appearance of the status says the same
        if record["status"]["id"] == changed_status:
            record["status"]["name"] = "Renamed status"

    out, _ = run(write_json(tmp_path / "changed.json", page(records)))

    tallies = summary(out)
    assert tallies["spacecraft"] == (0, 1, 9)
    statuses = distinct_ids(records, lambda r: r["status"]["id"])
    assert tallies["status"] == (0, 1, statuses - 1)
    stored = models.Spacecraft.objects.get(id=records[2]["id"])
    assert stored.flights_count == 99
    assert str(stored.time_in_space) == "1 day, 2:00:00"
    assert models.SpacecraftStatus.objects.get(id=changed_status).name == "Renamed status"


def test_child_lists_and_many_to_many_follow_the_latest_import(db, tmp_path):
    record = detailed_from_normal(seed_records("ll")[0])
    logo = record["spacecraft_config"]["agency"]["logo"]
    first_variant = logo["variants"][0]
    second_variant = {**first_variant, "id": first_variant["id"] + 1, "image_url": "https://x/2"}
    logo["variants"] = [first_variant, second_variant]
    run(write_json(tmp_path / "two.json", record))
    assert models.ImageVariant.objects.filter(image_id=logo["id"]).count() == 2

    # Drop a variant, change the other; swap the agency's country.
    logo["variants"] = [{**second_variant, "image_url": "https://x/2b"}]
    record["spacecraft_config"]["agency"]["country"] = [
        {**record["spacecraft_config"]["agency"]["country"][0], "id": 77, "name": "Elsewhere"}
    ]
    out, _ = run(write_json(tmp_path / "one.json", record))

    variants = models.ImageVariant.objects.filter(image_id=logo["id"])
    assert list(variants.values_list("id", "image_url")) == [(second_variant["id"], "https://x/2b")]
    assert not models.ImageVariant.objects.filter(id=first_variant["id"]).exists()
    tallies = summary(out)
    assert tallies["image variant"][:2] == (0, 1)  # the removed one is not counted
    assert tallies["image"][1] == 1  # the logo lost a variant
    assert tallies["agency"][1] == 1  # its country list changed
    agency = models.Agency.objects.get(id=record["spacecraft_config"]["agency"]["id"])
    assert list(agency.countries.values_list("id", flat=True)) == [77]

    # An empty list empties; the same list again changes nothing.
    logo["variants"] = []
    run(write_json(tmp_path / "none.json", record))
    assert not models.ImageVariant.objects.filter(image_id=logo["id"]).exists()
    out, _ = run(tmp_path / "none.json")
    assert summary(out)["image"][1] == 0


def test_ids_may_repeat_across_kinds(db, tmp_path):
    record = seed_records("ll")[0]
    record["id"] = 7
    record["status"]["id"] = 7
    record["image"]["id"] = 7
    config = record["spacecraft_config"]
    config["id"] = config["type"]["id"] = config["agency"]["id"] = 7
    config["agency"]["type"]["id"] = config["image"]["id"] = 7

    run(write_json(tmp_path / "sevens.json", record))

    stored = models.Spacecraft.objects.get(id=7)
    assert stored.status_id == stored.spacecraft_config_id == stored.image_id == 7
    assert stored.spacecraft_config.agency_id == 7


def test_new_rows_after_an_import_get_fresh_ids(db):
    run(SEED_FILES["ll"], SEED_FILES["lldev"])
    top = models.Spacecraft.objects.order_by("-id").first()
    status = models.SpacecraftStatus.objects.create(name="Brand new")
    assert status.id > max(r["status"]["id"] for r in seed_records())

    made = models.Spacecraft.objects.create(
        name="Brand new", status=status, spacecraft_config=top.spacecraft_config
    )

    assert made.id > top.id
    image = models.Image.objects.create(name="new", image_url="u", thumbnail_url="t", license_id=1)
    assert image.id > max(models.Image.objects.exclude(id=image.id).values_list("id", flat=True))


def test_summary_is_one_line_per_kind_in_write_order(db):
    out, err = run(SEED_FILES["ll"])

    lines = out.splitlines()
    assert [SUMMARY_LINE.match(line)["kind"] for line in lines] == WRITE_ORDER
    assert err == ""
    assert "spacecraft: 10 created, 0 updated, 0 unchanged" in lines


def test_summary_at_verbosity_zero_is_silent(db):
    out = StringIO()
    call_command("import_ll2", str(SEED_FILES["ll"]), verbosity=0, stdout=out)
    assert out.getvalue() == ""
    assert models.Spacecraft.objects.count() == 10


def test_queries_do_not_grow_with_the_number_of_records(db):
    def synthetic(count, offset):
        base = seed_records("ll")
        records = []
        for n in range(count):
            record = json.loads(json.dumps(base[n % len(base)]))
            record["id"] = offset + n
            record["spacecraft_config"]["id"] = offset + n
            record["image"]["id"] = offset + n
            records.append(record)
        return records

    def queries(records):
        with CaptureQueriesContext(connection) as context:
            import_document(page(records))
        return len(context.captured_queries)

    # A per-record query would add at least 380 queries; batching (SQLite
    # takes at most 999 parameters a query) may add a few.
    small, large = synthetic(20, 10_000), synthetic(400, 20_000)
    assert queries(large) <= queries(small) + 40  # all created
    assert queries(large) <= queries(small) + 40  # all unchanged
    for record in small + large:
        record["name"] += " (renamed)"
    assert queries(large) <= queries(small) + 40  # all updated


# --- refusals ----------------------------------------------------------------------

GOOD = seed_records("ll")


def _with(index, change):
    """The ll seed page with ``change(record)`` applied to record ``index``."""
    records = seed_records("ll")
    change(records[index])
    return json.dumps(page(records), indent=2).encode()


def _walk(record, path):
    """The container holding the last key of a dotted ``path`` ("image.license")."""
    *parents, last = path.split(".")
    target = record
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    return target, last


def _set(path, value):
    def change(record):
        target, last = _walk(record, path)
        target[last] = value

    return change


def _delete(path):
    def change(record):
        target, last = _walk(record, path)
        del target[last]

    return change


def _raw(index, key, literal):
    """Record ``index``'s ``key`` set to a raw JSON literal (NaN, 1e400...)."""
    marker = "__RAW_VALUE__"
    text = _with(index, _set(key, marker)).decode()
    return text.replace(f'"{marker}"', literal).encode()


SEED_TEXT = SEED_FILES["ll"].read_bytes()
BROWSABLE_TEXT = BROWSABLE["ll"].read_bytes()
HUGE = "9" * 5000

BAD = {
    # name: (file content, fragments the message must contain)
    "truncated": (SEED_TEXT[: len(SEED_TEXT) // 2], ["not JSON (line"]),
    "truncated browsable": (BROWSABLE_TEXT[: len(BROWSABLE_TEXT) // 2], ["not JSON (line"]),
    "not json": (b"Launch Library 2 is great\n", ["not JSON"]),
    "html": (b"<!DOCTYPE html><html><body>Throttled</body></html>", ["not JSON"]),
    "not utf-8": ('{"name": "caf\u00e9"}'.encode("latin-1"), ["not UTF-8"]),
    "utf-16": ("[]".encode("utf-16"), ["not UTF-8"]),
    "empty": (b"", ["empty file"]),
    "blank": (b"  \n\t\n", ["empty file"]),
    "bom only": (b"\xef\xbb\xbf", ["empty file"]),
    "string": (b'"spacecraft"', ["wrong shape", "got a string"]),
    "number": (b"42", ["wrong shape", "got an integer"]),
    "null": (b"null", ["wrong shape", "got null"]),
    "other object": (b'{"detail": "Not found."}', ["wrong shape", "without id or results"]),
    "results not a list": (b'{"count": 1, "results": {"id": 1}}', ["wrong shape", "results"]),
    "extra data": (b'{"count": 0, "results": []} {"x": 1}', ["extra data"]),
    "nan": (_raw(4, "spacecraft_config.id", "NaN"), ["NaN"]),
    "infinity": (_raw(4, "flights_count", "Infinity"), ["Infinity"]),
    "minus infinity": (_raw(4, "flights_count", "-Infinity"), ["-Infinity"]),
    "float overflow": (_raw(4, "flights_count", "1e400"), ["number out of range"]),
    "huge integer literal": (_raw(4, "flights_count", HUGE), ["not JSON"]),
    "deep nesting": (b"[" * 100_000, ["not JSON"]),
    "http error page": (
        b"GET /2.3.0/spacecraft/9999/\nHTTP 404 Not Found\nAllow: GET\n\n"
        b'{\n    "detail": "No Spacecraft matches the given query."\n}\n',
        ["HTTP 404"],
    ),
    "record not an object": (
        json.dumps(page([GOOD[0], "Soyuz"])).encode(),
        ["record 1:", "got a string"],
    ),
    "flights_count as string": (
        _with(3, _set("flights_count", "1")),
        [f"record 3 (id {GOOD[3]['id']})", "flights_count", "expected an integer"],
    ),
    "flights_count too large": (
        _with(3, _set("flights_count", 2**31)),
        [f"record 3 (id {GOOD[3]['id']})", "flights_count", "out of range"],
    ),
    "negative count": (
        _with(3, _set("mission_ends_count", -1)),
        [f"record 3 (id {GOOD[3]['id']})", "mission_ends_count", "negative"],
    ),
    "boolean as string": (
        _with(2, _set("in_space", "false")),
        [f"record 2 (id {GOOD[2]['id']})", "in_space", "true or false"],
    ),
    "name as number": (
        _with(2, _set("name", 5)),
        [f"record 2 (id {GOOD[2]['id']})", "name", "expected a string"],
    ),
    "name too long": (
        _with(2, _set("name", "x" * 256)),
        [f"record 2 (id {GOOD[2]['id']})", "name", "longer than 255"],
    ),
    "nul character": (
        _with(2, _set("description", "a\x00b")),
        [f"record 2 (id {GOOD[2]['id']})", "description", "NUL"],
    ),
    "lone surrogate": (
        _with(2, _set("description", "\ud800")),
        [f"record 2 (id {GOOD[2]['id']})", "description", "surrogate"],
    ),
    "duration in years": (
        _with(6, _set("time_in_space", "P1Y")),
        [f"record 6 (id {GOOD[6]['id']})", "time_in_space", "P1Y"],
    ),
    "duration in words": (
        _with(6, _set("time_docked", "soon")),
        [f"record 6 (id {GOOD[6]['id']})", "time_docked", "soon"],
    ),
    "negative duration": (
        _with(6, _set("time_docked", "-P1D")),
        [f"record 6 (id {GOOD[6]['id']})", "time_docked", "negative"],
    ),
    "enormous duration": (
        _with(6, _set("time_docked", "P999999999D")),
        [f"record 6 (id {GOOD[6]['id']})", "time_docked", "out of range"],
    ),
    "duration as number": (
        _with(6, _set("fastest_turnaround", 3600)),
        [f"record 6 (id {GOOD[6]['id']})", "fastest_turnaround", "duration"],
    ),
    "bad date": (
        _with(0, _set("spacecraft_config.family.0.maiden_flight", "1966-13-28")),
        ["record 0 (id 520) > spacecraft_config (id 1) > family[0] (id 1)", "maiden_flight"],
    ),
    "status missing": (
        _with(7, _delete("status")),
        [f"record 7 (id {GOOD[7]['id']})", "missing 'status'"],
    ),
    "status null": (
        _with(7, _set("status", None)),
        [f"record 7 (id {GOOD[7]['id']})", "status must not be null"],
    ),
    "status a number": (
        _with(7, _set("status", 3)),
        [f"record 7 (id {GOOD[7]['id']}) > status", "expected a status object"],
    ),
    "config missing": (
        _with(8, _delete("spacecraft_config")),
        [f"record 8 (id {GOOD[8]['id']})", "missing 'spacecraft_config'"],
    ),
    "agency type missing": (
        _with(1, _delete("spacecraft_config.agency.type")),
        [f"record 1 (id {GOOD[1]['id']}) > spacecraft_config", "> agency (id", "missing 'type'"],
    ),
    "license missing": (
        _with(1, _delete("image.license")),
        [f"record 1 (id {GOOD[1]['id']}) > image (id", "missing 'license'"],
    ),
    "family not a list": (
        _with(1, _set("spacecraft_config.family", {"id": 1})),
        [f"record 1 (id {GOOD[1]['id']}) > spacecraft_config", "family: expected a list"],
    ),
    "id missing": (_with(5, _delete("id")), ["record 5:", "missing 'id'"]),
    "id a string": (_with(5, _set("id", "255")), ['record 5 (id "255")', "expected an integer"]),
    "id zero": (_with(5, _set("id", 0)), ["record 5 (id 0)", "positive"]),
    "id negative": (_with(5, _set("id", -4)), ["record 5 (id -4)", "positive"]),
    "id too large": (_with(5, _set("id", 2**31)), [f"record 5 (id {2**31})", "out of range"]),
    "id a boolean": (_with(5, _set("id", True)), ["record 5 (id true)", "expected an integer"]),
    "nested id a float": (
        _with(5, _set("status.id", 1.5)),
        [f"record 5 (id {GOOD[5]['id']}) > status (id 1.5)", "expected an integer"],
    ),
}


@pytest.fixture
def existing(db):
    """Data already there before the bad file, so "unchanged" means something."""
    run(SEED_FILES["lldev"])
    return dump()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_file_fails_names_the_record_and_changes_nothing(existing, tmp_path, case):
    content, fragments = BAD[case]
    path = tmp_path / "bad-input.json"
    path.write_bytes(content)

    out, message = fail(path)

    assert f"{path}: " in message
    for fragment in fragments:
        assert fragment in message
    assert "nothing from this file was saved" in message
    assert "Traceback" not in out + message
    assert dump() == existing


def test_bad_record_in_the_middle_of_a_good_page(existing, tmp_path):
    records = seed_records("ll")
    records[5]["time_in_space"] = "soon"
    bad = write_json(tmp_path / "middle.json", page(records))
    good = write_json(tmp_path / "good.json", page(detailed_from_normal(r) for r in records[:5]))

    out, message = fail(good, bad)

    assert f"{bad}: record 5 (id {records[5]['id']}): time_in_space" in message
    assert "1 of 2 files failed" in message
    assert str(good) not in message
    # The good file before it was saved, nothing of the bad one was.
    saved = set(models.Spacecraft.objects.values_list("id", flat=True))
    assert {r["id"] for r in records[:5]} <= saved
    assert not {r["id"] for r in records[6:]} & saved
    assert summary(out)["spacecraft"] == (5, 0, 0)


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_unreadable_path(existing, tmp_path, what):
    path = tmp_path / "nope.json" if what == "missing" else tmp_path

    _, message = fail(path)

    assert f"{path}: cannot read" in message
    assert "Traceback" not in message
    assert dump() == existing


def test_load_document_takes_bytes_and_text(db):
    assert load_document(SEED_TEXT) == load_document(SEED_TEXT.decode()) == load_seed("ll")
    assert load_document(BROWSABLE_TEXT) == load_seed("ll")
    with pytest.raises(ImportFailure, match="NaN"):
        load_document('{"results": [NaN]}')


# --- the real command line --------------------------------------------------------


@pytest.fixture(scope="module")
def cli_database(tmp_path_factory):
    """A migrated SQLite file of its own, for manage.py run as a process."""
    path = tmp_path_factory.mktemp("cli") / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "cli-tests"}
    servers.manage("migrate", "--noinput", "-v0", env=env, check=True)
    return env


def manage(env, *args):
    return servers.manage("import_ll2", *args, env=env)


@pytest.mark.server
def test_command_line_exit_codes_and_messages(cli_database, tmp_path):
    records = seed_records("ll")
    del records[4]["spacecraft_config"]
    bad = write_json(tmp_path / "bad.json", page(records))

    failed = manage(cli_database, SEED_FILES["lldev"], bad)

    assert failed.returncode == 1
    assert f"{bad}: record 4 (id {records[4]['id']}): spacecraft is missing" in failed.stderr
    assert "CommandError: 1 of 2 files failed" in failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    assert "spacecraft: 10 created, 0 updated, 0 unchanged" in failed.stdout

    again = manage(cli_database, SEED_FILES["lldev"])

    assert again.returncode == 0, again.stderr
    assert again.stderr == ""
    assert "spacecraft: 0 created, 0 updated, 10 unchanged" in again.stdout


# --- statistics after a large import -------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's")
def test_a_large_import_refreshes_the_planner_statistics_once(db, tmp_path, monkeypatch):
    from devtools.fake_ll2 import detailed_records
    from spacecraft.ingest import writing

    monkeypatch.setattr(writing, "ANALYZE_AFTER", 10)
    path = tmp_path / "page.json"
    path.write_text(json.dumps(detailed_records(12)), encoding="utf-8")

    with CaptureQueriesContext(connection) as queries:
        call_command("import_ll2", str(path), verbosity=0)
    analyzed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    assert len(analyzed) == 1
    for table in (
        "spacecraft_spacecraft",
        "spacecraft_imagevariant",
        "spacecraft_agency_countries",
    ):
        assert f'"{table}"' in analyzed[0]

    # The same file again writes nothing: no statistics to refresh.
    with CaptureQueriesContext(connection) as queries:
        call_command("import_ll2", str(path), verbosity=0)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
