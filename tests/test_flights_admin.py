# ruff: noqa: F811  (the admin fixtures are imported from test_admin)
"""The admin for flights, launches and landings.

Launch and landing documents are typed as JSON and checked against LL2's
official schema: an error is shown under the box and nothing is saved. The
flights of a spacecraft are edited on its page. What is saved shows in the API
on the next request.
"""

import datetime
import html
import json
import re

import pytest
from django.utils.html import escape

from devtools import ll2shape
from spacecraft import models

from . import factories
from .conftest import form_errors, spacecraft_form, submit, url

# Logging in is what these tests do most.
pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def pretty(value):
    return json.dumps(value, indent=2, ensure_ascii=False)


def box_error(response):
    """The document box's error as the page shows it."""
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["document"], errors
    (message,) = errors["document"]
    assert escape(message) in response.content.decode()
    return message


def test_a_launch_is_added_from_its_json(editor, db):
    sample = ll2shape.sample_launches()[0]
    submit(editor, url(models.Launch, "add"), {"document": pretty(sample), "_save": "Save"})
    launch = models.Launch.objects.get()
    assert str(launch.id) == sample["id"]
    assert (launch.name, launch.slug, launch.status) == (
        sample["name"],
        sample["slug"],
        "Go for Launch",
    )
    assert launch.net == datetime.datetime(2024, 10, 4, 10, tzinfo=datetime.UTC)
    # Stored as LL2 writes it on the wire: compact, keys and numbers untouched.
    assert launch.document == json.dumps(sample, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize(
    "change,reason",
    [
        (lambda d: d.pop("pad"), "'pad' is a required property"),
        (lambda d: d.update(slug="not a slug!"), "slug: 'not a slug!' does not match"),
        (lambda d: d["status"].update(id="one"), "status.id: 'one' is not of type 'integer'"),
        (lambda d: d.update(id="not-a-uuid"), "id: not a UUID"),
        (lambda d: d.pop("net"), "net: a launch needs its date"),
    ],
)
def test_a_launch_that_breaks_the_schema_is_refused(editor, db, change, reason):
    sample = ll2shape.sample_launches()[1]
    change(sample)
    response = submit(
        editor,
        url(models.Launch, "add"),
        {"document": pretty(sample), "_save": "Save"},
        expect_saved=False,
    )
    assert reason in box_error(response)
    assert not models.Launch.objects.exists()
    # What was typed is shown again, to be corrected.
    assert escape(sample["name"]) in response.content.decode()


def test_text_that_is_not_json_is_refused(editor, db):
    response = submit(
        editor,
        url(models.Launch, "add"),
        {"document": '{"id": NaN', "_save": "Save"},
        expect_saved=False,
    )
    assert box_error(response).startswith("Not JSON")
    assert not models.Launch.objects.exists()


def test_the_change_page_shows_pretty_json_and_read_only_columns(editor, db):
    launch = factories.launch(0)
    page = editor.get(url(models.Launch, "change", launch.id)).content.decode()
    box = re.search(r"<textarea[^>]*name=\"document\"[^>]*>(.*?)</textarea>", page, re.S)
    assert json.loads(html.unescape(box.group(1))) == ll2shape.sample_launches()[0]
    assert '\n  "url": ' in html.unescape(box.group(1))
    for column in ("name", "slug", "net", "status"):
        assert not re.search(rf'<input[^>]*name="{column}"', page), column
        assert f"field-{column}" in page
    assert "Go for Launch" in page


def test_an_edited_launch_shows_in_the_api_on_the_next_request(editor, api, api_cache, db):
    craft = factories.spacecraft()
    launch = factories.launch(0)
    factories.flight(craft, launch)
    before = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"}).json()
    assert before["flights"][0]["launch"]["name"] == launch.name
    document = json.loads(launch.document)
    document["name"] = "Vulcan VC2S | Renamed in the admin"
    submit(
        editor,
        url(models.Launch, "change", launch.id),
        {"document": pretty(document), "_save": "Save"},
    )
    launch.refresh_from_db()
    assert launch.name == "Vulcan VC2S | Renamed in the admin"
    after = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"}).json()
    assert after["flights"][0]["launch"]["name"] == "Vulcan VC2S | Renamed in the admin"


def test_a_launch_cannot_change_its_id(editor, db):
    launch = factories.launch(0)
    document = json.loads(launch.document)
    document["id"] = ll2shape.sample_launches()[1]["id"]
    response = submit(
        editor,
        url(models.Launch, "change", launch.id),
        {"document": pretty(document), "_save": "Save"},
        expect_saved=False,
    )
    assert "is not this record's" in box_error(response)
    assert models.Launch.objects.get().document == launch.document


def test_a_landing_is_added_and_checked(editor, db):
    good = ll2shape.landing_document(12)
    submit(editor, url(models.Landing, "add"), {"document": pretty(good), "_save": "Save"})
    assert models.Landing.objects.get().id == 12
    bad = ll2shape.landing_document(13)
    del bad["landing_location"]
    response = submit(
        editor,
        url(models.Landing, "add"),
        {"document": pretty(bad), "_save": "Save"},
        expect_saved=False,
    )
    assert "'landing_location' is a required property" in box_error(response)
    assert list(models.Landing.objects.values_list("id", flat=True)) == [12]


def flight_inline(prefix_index, launch, **values):
    prefix = f"flights-{prefix_index}-"
    data = {
        f"{prefix}launch": str(launch.id),
        f"{prefix}destination": values.get("destination", "Low Earth Orbit"),
        f"{prefix}mission_end_0": values.get("mission_end_date", "2024-10-10"),
        f"{prefix}mission_end_1": values.get("mission_end_time", "12:00:00"),
        f"{prefix}landing": values.get("landing", ""),
    }
    for name in ("launch_crew", "onboard_crew", "landing_crew", "docking_events"):
        data[prefix + name] = values.get(name, "[]")
    return data


def test_flights_are_edited_on_their_spacecraft(editor, api, api_cache, db):
    craft = factories.spacecraft()
    launch = factories.launch(0)
    before = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"}).json()
    assert before["flights"] == []
    data = {
        **spacecraft_form(craft),
        "flights-TOTAL_FORMS": "1",
        # A mission end typed before the launch (2024-10-04T10:00Z), as in real LL2 data.
        **flight_inline(0, launch, mission_end_date="1994-10-04", mission_end_time="08:00:00"),
    }
    submit(editor, url(models.Spacecraft, "change", craft.id), data)
    flight = models.SpacecraftFlight.objects.get()
    # The duration is derived (mission end - launch date: spacecraft/figures.py), not typed.
    assert flight.duration == -datetime.timedelta(days=10958, hours=2)
    assert flight.launch_crew == "[]"
    after = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"}).json()
    assert [(f["id"], f["duration"]) for f in after["flights"]] == [(flight.id, "-P10958DT2H")]
    assert after["flights"][0]["mission_end"] == "1994-10-04T08:00:00Z"
    page = editor.get(url(models.Spacecraft, "change", craft.id)).content.decode()
    assert not re.search(r'name="flights-0-duration"', page)  # shown, not typed:
    assert re.search(r"field-duration_iso.*?-P10958DT2H", page, re.S)
    # The launch is an autocomplete box.
    assert 'data-model-name="launch"' in page or "admin-autocomplete" in page


def test_a_bad_flight_saves_nothing(editor, db):
    craft = factories.spacecraft()
    launch = factories.launch(0)
    data = {
        **spacecraft_form(craft),
        "name": "Renamed",
        "flights-TOTAL_FORMS": "1",
        **flight_inline(0, launch, launch_crew='[{"id": "x"}]'),
    }
    response = submit(editor, url(models.Spacecraft, "change", craft.id), data, expect_saved=False)
    assert response.status_code == 200
    errors = form_errors(response)["inlines"]
    assert "launch_crew" in errors[0]
    assert "AstronautFlight" in errors[0]["launch_crew"][0]
    assert not models.SpacecraftFlight.objects.exists()
    craft.refresh_from_db()
    assert craft.name != "Renamed"


def test_a_flight_has_its_own_page_too(editor, api, db):
    craft = factories.spacecraft()
    flight = factories.flight(craft, factories.launch(0))
    landing = factories.landing(4)
    fields = flight_inline(0, flight.launch, destination="Moon", landing=str(landing.id))
    data = {
        "spacecraft": craft.id,
        **{key.removeprefix("flights-0-"): value for key, value in fields.items()},
        "_save": "Save",
    }
    submit(editor, url(models.SpacecraftFlight, "change", flight.id), data)
    body = api.get(f"/2.3.0/spacecraft_flights/{flight.id}/", {"format": "json"}).json()
    assert (body["destination"], body["landing"]["id"], body["launch_crew"]) == ("Moon", 4, [])
