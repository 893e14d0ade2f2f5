"""``export_ll2 DIR``: the catalogue as LL2 detailed pages, and back."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools import ll2shape
from devtools.fake_ll2 import agency_records, detailed_records
from spacecraft import documents
from spacecraft.ingest.importer import KINDS, WRITE_ORDER, import_document
from spacecraft.models import Agency, Spacecraft, SpacecraftFlight

from . import factories

DETAILED = detailed_records(15, first_id=1001)


@pytest.fixture
def catalogue(seeded):
    """The 20 real LL2 seed spacecraft (normal mode) and 15 detailed ones; the fake
    LL2's agencies page, with their statistics."""
    import_document({"results": DETAILED})
    import_document({"results": agency_records("detailed")})
    assert Spacecraft.objects.count() == 35
    assert Agency.objects.count() == 10
    assert Agency.objects.filter(total_launch_count=41).count() == 1


def export(directory, *args):
    out = io.StringIO()
    call_command("export_ll2", str(directory), *args, stdout=out)
    return out.getvalue()


def pages(directory):
    return sorted(directory.glob("spacecraft-detailed-*.json"))


def api_output(api):
    """Everything /2.3.0/spacecraft/ answers about the catalogue, as bytes."""
    output = {}
    for mode in ("normal", "detailed"):
        offset, url = 0, "/2.3.0/spacecraft/"
        while True:
            response = api.get(url, {"mode": mode, "limit": 10, "offset": offset})
            assert response.status_code == 200
            output[f"{mode} offset {offset}"] = response.content
            offset += 10
            if response.json()["next"] is None:
                break
    for pk in Spacecraft.objects.values_list("id", flat=True):
        response = api.get(f"/2.3.0/spacecraft/{pk}/")
        assert response.status_code == 200
        output[f"detail {pk}"] = response.content
    return output


def agencies_output(api):
    """Everything /2.3.0/agencies/ answers, in each mode and by id, as bytes."""
    output = {}
    for mode in ("list", "normal", "detailed"):
        response = api.get("/2.3.0/agencies/", {"mode": mode, "limit": 100})
        assert response.status_code == 200 and response.json()["next"] is None
        output[f"agencies {mode}"] = response.content
    for pk in Agency.objects.values_list("id", flat=True):
        output[f"agency {pk}"] = api.get(f"/2.3.0/agencies/{pk}/").content
    return output


def empty_the_catalogue():
    for kind in reversed(WRITE_ORDER):
        KINDS[kind].model.objects.all().delete()
    assert not any(KINDS[kind].model.objects.exists() for kind in WRITE_ORDER)


def test_round_trip_gives_back_the_same_api_output(catalogue, api, tmp_path):
    before = {**api_output(api), **agencies_output(api)}
    assert len(before) == 4 * 2 + 35 + 3 + 10

    message = export(tmp_path, "--limit", "10")
    empty_the_catalogue()
    out = io.StringIO()
    files = sorted(tmp_path.glob("*.json"))
    assert [path.name for path in files][0] == "agencies-detailed-0001.json"
    call_command("import_ll2", *map(str, files), stdout=out)

    assert message == (
        f"Wrote 35 spacecraft in 4 pages of up to 10 and 10 agencies in 1 page to {tmp_path}.\n"
    )
    assert "spacecraft: 35 created, 0 updated, 0 unchanged" in out.getvalue()
    # The agencies page came first; the spacecraft pages changed none of them.
    assert "agency: 10 created, 0 updated, 16 unchanged" in out.getvalue()
    after = {**api_output(api), **agencies_output(api)}
    assert Agency.objects.get(total_launch_count=41).successful_landings == 5
    assert after.keys() == before.keys()
    for key, content in before.items():
        assert after[key] == content, key


def test_pages_are_exactly_what_the_api_serves(catalogue, api, tmp_path):
    export(tmp_path, "--limit", "8", "--base-url", "http://testserver")

    files = pages(tmp_path)
    assert [path.name for path in files] == [
        f"spacecraft-detailed-{n:04d}.json" for n in range(1, 6)
    ]
    for number, path in enumerate(files):
        query = {"limit": 8, "mode": "detailed"}
        if number:
            query["offset"] = 8 * number
        response = api.get("/2.3.0/spacecraft/", query)
        assert path.read_bytes() == response.content, path.name
    first, second, last = (json.loads(files[i].read_bytes()) for i in (0, 1, -1))
    assert list(first) == ["count", "next", "previous", "results"]
    assert first["count"] == 35 and first["previous"] is None
    assert first["next"] == "http://testserver/2.3.0/spacecraft/?limit=8&mode=detailed&offset=8"
    assert second["previous"] == "http://testserver/2.3.0/spacecraft/?limit=8&mode=detailed"
    assert last["next"] is None and len(last["results"]) == 3
    assert all(record["response_mode"] == "detailed" for record in first["results"])


def test_links_point_at_the_base_url(catalogue, tmp_path):
    export(tmp_path, "--base-url", "https://ll2.example.org:8443/")

    (only,) = pages(tmp_path)
    page = json.loads(only.read_bytes())
    assert page["next"] is None and len(page["results"]) == 35
    record = page["results"][0]
    assert record["url"] == f"https://ll2.example.org:8443/2.3.0/spacecraft/{record['id']}/"
    assert record["spacecraft_config"]["url"].startswith("https://ll2.example.org:8443/2.3.0/")


def test_a_new_export_replaces_the_pages_of_an_earlier_one(catalogue, tmp_path):
    export(tmp_path, "--limit", "5")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")

    message = export(tmp_path, "--limit", "20")

    assert [path.name for path in pages(tmp_path)] == [
        f"spacecraft-detailed-{n:04d}.json" for n in (1, 2)
    ]
    assert "(removed 6 pages of an earlier export)" in message
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_empty_catalogue_exports_one_empty_page(db, tmp_path):
    export(tmp_path / "new" / "dir")

    (only,) = pages(tmp_path / "new" / "dir")
    assert json.loads(only.read_bytes()) == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    call_command("import_ll2", str(only), stdout=io.StringIO())
    assert not Spacecraft.objects.exists()


def test_export_outside_a_transaction(transactional_db, tmp_path):
    """On PostgreSQL the export reads one snapshot (REPEATABLE READ)."""
    import_document({"results": DETAILED[:3]})
    export(tmp_path)
    (only,) = pages(tmp_path)
    assert [r["id"] for r in json.loads(only.read_bytes())["results"]] == [1001, 1002, 1003]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--limit", "0"], "--limit must be 1 to 100, got 0"),
        (["--limit", "101"], "--limit must be 1 to 100, got 101"),
        (["--base-url", "http://example.org/ll2/"], "--base-url must be a server's address"),
        (["--base-url", "example.org"], "--base-url must be a server's address"),
    ],
)
def test_bad_options_are_refused_clearly(db, tmp_path, args, message):
    with pytest.raises(CommandError) as refused:
        export(tmp_path, *args)
    assert message in str(refused.value)
    assert pages(tmp_path) == []


def test_a_file_in_the_way_is_refused_clearly(db, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        export(blocker)
    assert f"cannot create {blocker}" in str(refused.value)


# --- flights ---------------------------------------------------------------------------


def flights_output(api):
    """Everything /2.3.0/spacecraft_flights/ answers, as bytes."""
    output = {}
    for mode in ("normal", "detailed"):
        response = api.get("/2.3.0/spacecraft_flights/", {"mode": mode, "limit": 100})
        assert response.status_code == 200
        output[f"flights {mode}"] = response.content
    for pk in SpacecraftFlight.objects.values_list("id", flat=True):
        output[f"flight {pk}"] = api.get(f"/2.3.0/spacecraft_flights/{pk}/").content
    return output


@pytest.fixture
def with_flights(catalogue):
    crafts = list(Spacecraft.objects.order_by("id"))
    launches = [factories.launch(n) for n in range(3)]
    landing = factories.landing(9)
    crew = documents.stored_form([ll2shape.astronaut_flight(1), ll2shape.astronaut_flight(2)])
    for number, craft in enumerate(crafts[:12]):
        for flight in range(number % 3 + 1):
            factories.flight(
                craft,
                launches[(number + flight) % 3],
                landing=landing if flight else None,
                duration=-datetime.timedelta(days=number) if number % 4 == 0 else None,
                launch_crew=crew if flight == 0 else "[]",
                docking_events="[]",
            )


def test_round_trip_with_flights(with_flights, api, tmp_path):
    before = {**api_output(api), **flights_output(api), **agencies_output(api)}
    assert SpacecraftFlight.objects.count() == 24

    message = export(tmp_path, "--limit", "10")
    assert ", 24 flights in 3 pages and 10 agencies in 1 page to " in message
    files = sorted(tmp_path.glob("*.json"))
    assert [path.name for path in files][-3:] == [
        f"spacecraft_flights-detailed-{n:04d}.json" for n in (1, 2, 3)
    ]
    empty_the_catalogue()
    out = io.StringIO()
    call_command("import_ll2", *map(str, files), stdout=out)
    assert "flight: 24 created" in out.getvalue()
    assert "launch: 3 created" in out.getvalue()
    after = {**api_output(api), **flights_output(api), **agencies_output(api)}
    assert after.keys() == before.keys()
    for key, content in before.items():
        assert after[key] == content, key
    # The crews came back from the flights pages.
    detailed = json.loads(after["flights detailed"])["results"]
    assert sum(len(record["launch_crew"]) for record in detailed) == 24
