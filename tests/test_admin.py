"""The admin site (``/admin/``): registration, forms, validation, and the API seeing its saves.

Data is entered the way a person does it: a superuser logs in through the
login form and posts the add and change forms with a real CSRF token, on a
client that enforces CSRF checks.
"""

import datetime
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from devtools import ll2shape
from spacecraft import models
from spacecraft.ingest.importer import import_document

from . import factories
from .conftest import load_seed, submit, url

# Logging in is what these tests do most.
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

APP_MODELS = list(apps.get_app_config("spacecraft").get_models())
# Bookkeeping, shown but never typed in: they have no add page.
READ_ONLY = {models.MirrorCheckpoint, models.CatalogueVersion}
SINGLETONS = {models.CatalogueVersion}  # one row, whatever is written


def model_id(model):
    return model._meta.model_name


@pytest.fixture
def staff_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def add(client, model, data):
    before = set(model.objects.values_list("id", flat=True))
    submit(client, url(model, "add"), data)
    (new_id,) = set(model.objects.values_list("id", flat=True)) - before
    return model.objects.get(id=new_id)


SPACECRAFT_FORM = {
    "name": "Admin Dragon",
    "serial_number": "C299",
    "image": "",
    "description": "Entered through the admin.",
    "in_space": "on",
    "flights_count": "3",
    "mission_ends_count": "1",
    "time_in_space": "P1DT2H",
    "time_docked": "PT1M49S",
    "fastest_turnaround": "P0D",
    # The flights inline, empty.
    "flights-TOTAL_FORMS": "0",
    "flights-INITIAL_FORMS": "0",
    "_save": "Save",
}


def add_status_and_config(client):
    """A status, and a configuration with its type and agency, all through the admin."""
    status = add(client, models.SpacecraftStatus, {"name": "Active (admin)"})
    config_type = add(client, models.SpacecraftConfigType, {"name": "Capsule (admin)"})
    agency_type = add(client, models.AgencyType, {"name": "Commercial (admin)"})
    agency = add(
        client,
        models.Agency,
        {"name": "Admin Space Co", "abbrev": "ASC", "type": agency_type.id},
    )
    config = add(
        client,
        models.SpacecraftConfig,
        {
            "name": "Admin Capsule",
            "type": config_type.id,
            "agency": agency.id,
            "in_use": "on",
            "human_rated": "on",
            "crew_capacity": "4",
            "payload_capacity": "6000",
            "height": "8.1",
            "fastest_turnaround": "P36DT12H",
        },
    )
    return status, config


# --- registration ------------------------------------------------------------------


def test_every_model_is_registered():
    missing = [m.__name__ for m in APP_MODELS if not admin.site.is_registered(m)]
    assert missing == []


@pytest.mark.parametrize("model", APP_MODELS, ids=model_id)
def test_relations_are_autocomplete_boxes_and_lists_are_ordered_by_id(model):
    model_admin = admin.site._registry[model]
    relations = {
        field.name
        for field in model._meta.get_fields()
        if (field.many_to_one or field.many_to_many) and field.concrete and field.editable
    }
    assert relations <= set(model_admin.autocomplete_fields)
    assert list(model_admin.ordering) == ["id"]
    assert model_admin.search_fields
    # Columns that show a related row come with it in the same query.
    field_names = {field.name for field in model._meta.get_fields()}
    related_columns = {
        name
        for name in model_admin.list_display
        if name in field_names and model._meta.get_field(name).is_relation
    }
    assert related_columns <= set(model_admin.list_select_related or ())


@pytest.mark.parametrize("model", sorted(set(APP_MODELS) - READ_ONLY, key=model_id), ids=model_id)
def test_the_form_offers_every_editable_field(model, superuser, rf):
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    form_fields = set(model_admin.get_form(request)().fields)
    editable = {
        field.name
        for field in model._meta.get_fields()
        if field.concrete and field.editable and not field.primary_key and not field.auto_created
    }
    assert form_fields == editable


# --- login required ----------------------------------------------------------------


@pytest.mark.parametrize("model", APP_MODELS, ids=model_id)
def test_anonymous_requests_are_sent_to_the_login_page(db, model):
    client = Client()
    for page in ("/admin/", url(model, "changelist"), url(model, "add")):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == f"{reverse('admin:login')}?next={page}"


def test_anonymous_post_saves_nothing(db):
    status = factories.status()
    config = factories.config()
    data = {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id}
    response = Client().post(url(models.Spacecraft, "add"), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not models.Spacecraft.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(editor):
    status = factories.status()
    config = factories.config()
    data = {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id}
    response = editor.post(url(models.Spacecraft, "add"), data)
    assert response.status_code == 403
    assert not models.Spacecraft.objects.exists()


# --- every page renders ------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    """Two rich spacecraft (every model has rows) plus a second row of each lookup."""
    alpha = factories.rich_spacecraft("Alpha", serial_number="SN-A1")
    beta = factories.rich_spacecraft(
        "Beta", serial_number="SN-B1", status=factories.status("Retired")
    )
    factories.config_type("Cargo")
    factories.agency_type("Commercial")
    factories.image_license("CC BY 4.0", link="https://creativecommons.org/licenses/by/4.0/")
    now = timezone.now()
    models.MirrorCheckpoint.objects.create(source_url="https://ll.example.org/a/", started_at=now)
    models.MirrorCheckpoint.objects.create(
        source_url="https://lldev.example.org/b/", started_at=now, finished_at=now
    )
    factories.flight(alpha, factories.launch(0), landing=factories.landing(1))
    factories.flight(beta, factories.launch(1))
    models.APIKey.issue("Alpha app")
    models.APIKey.issue("Beta app", rate="100/hour")
    return alpha, beta


@pytest.mark.parametrize("model", APP_MODELS, ids=model_id)
def test_changelist_add_and_change_pages_render(staff_client, catalogue, model):
    response = staff_client.get(url(model, "changelist"))
    assert response.status_code == 200
    changelist = response.context["cl"]
    result_ids = [obj.id for obj in changelist.result_list]
    assert result_ids == sorted(result_ids)
    assert changelist.result_count == model.objects.count() > 0

    response = staff_client.get(url(model, "add"))
    assert response.status_code == (403 if model in READ_ONLY else 200)

    response = staff_client.get(url(model, "change", model.objects.order_by("id").first().id))
    assert response.status_code == 200


def test_admin_index_lists_every_model(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    for model in APP_MODELS:
        assert url(model, "changelist") in response.content.decode()


@pytest.mark.parametrize("model", APP_MODELS, ids=model_id)
def test_changelists_do_not_query_per_row(staff_client, catalogue, model):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url(model, "changelist"))
        assert response.status_code == 200
        return len(queries), response.context["cl"].result_count

    few, rows_before = count_queries()
    factories.rich_spacecraft("Gamma", status=factories.status("Destroyed"))
    factories.rich_spacecraft("Delta")
    factories.image_license("Extra license")
    factories.variant_type("Extra variant type")
    factories.agency_type("Extra agency type")
    factories.config_type("Extra configuration type")
    now = timezone.now()
    models.MirrorCheckpoint.objects.create(source_url="https://x.example.org/c/", started_at=now)
    gamma = models.Spacecraft.objects.get(name="Gamma spacecraft")
    factories.flight(gamma, factories.launch(2), landing=factories.landing(2))
    models.APIKey.issue("Gamma app")
    many, rows_after = count_queries()
    assert rows_after > rows_before or model in SINGLETONS
    assert many == few


def test_a_searched_or_filtered_changelist_counts_only_its_own_rows(staff_client, catalogue):
    """One COUNT per page: not a second one over the whole table (show_full_result_count),
    and no filter lists a large table (configurations are filtered by their small type)."""
    for query in ({"q": "Alpha"}, {"status__id__exact": factories.status().id}, {}):
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url(models.Spacecraft, "changelist"), query)
        assert response.status_code == 200
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        assert len(counts) == 1, counts
    filters = admin.site._registry[models.Spacecraft].list_filter
    assert "spacecraft_config" not in filters and "image" not in filters


@pytest.mark.parametrize("model", APP_MODELS, ids=model_id)
def test_autocomplete_answers_for_every_relation(staff_client, catalogue, model):
    for field_name in admin.site._registry[model].autocomplete_fields:
        response = staff_client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": "spacecraft",
                "model_name": model._meta.model_name,
                "field_name": field_name,
                "term": "a",
            },
        )
        assert response.status_code == 200, field_name
        assert "results" in response.json()


# --- search --------------------------------------------------------------------------

SEARCHES = [
    (models.Spacecraft, "alpha", {"Alpha spacecraft"}),
    (models.Spacecraft, "SN-B1", {"Beta spacecraft"}),
    (models.Spacecraft, "beta config", {"Beta spacecraft"}),
    (models.SpacecraftConfig, "Alpha", {"Alpha config"}),
    (models.SpacecraftConfig, '"Beta C Agency"', {"Beta config"}),
    (models.SpacecraftConfigFamily, "alpha grandparent", {"Alpha grandparent family"}),
    (models.SpacecraftConfigFamily, '"Beta PA Agency"', {"Beta parent family A"}),
    (models.Agency, '"Alpha FB Agency"', {"Alpha FB Agency"}),
    (models.Country, '"Beta G Country 2"', {"Beta G Country 2"}),
    (models.Image, '"Alpha spacecraft image"', {"Alpha spacecraft image"}),
    (
        models.ImageVariant,
        '"Beta config image"',
        {"Variant 1 of Beta config image"} | {"Variant 2 of Beta config image"},
    ),
    (models.ImageLicense, "cc by", {"CC BY 4.0"}),
    (models.ImageVariantType, "variant 3", {"Variant 3"}),
    (models.AgencyType, "commercial", {"Commercial"}),
    (models.SpacecraftConfigType, "cargo", {"Cargo"}),
    (models.SpacecraftStatus, "retired", {"Retired"}),
    (models.MirrorCheckpoint, "lldev", {"https://lldev.example.org/b/"}),
    (models.CatalogueVersion, "no such stamp", set()),
    (models.Launch, "vulcan", {"Vulcan VC2S | Certification Flight 2"}),
    (models.Landing, "Splashdown", {"landing 1"}),
    (
        models.SpacecraftFlight,
        "beta",
        {"Beta spacecraft on Falcon 9 Block 5 | Starlink Group 10-10"},
    ),
    (models.APIKey, "beta", {"Beta app"}),
]


def test_every_model_has_a_search_case():
    assert {model for model, _, _ in SEARCHES} == set(APP_MODELS)


@pytest.mark.parametrize(
    "model,query,expected", SEARCHES, ids=[f"{model_id(m)}-{q}" for m, q, _ in SEARCHES]
)
def test_changelist_search(staff_client, catalogue, model, query, expected):
    response = staff_client.get(url(model, "changelist"), {"q": query})
    assert response.status_code == 200
    assert {str(obj) for obj in response.context["cl"].result_list} == expected


def test_changelist_filters(staff_client, catalogue):
    retired = models.SpacecraftStatus.objects.get(name="Retired")
    response = staff_client.get(
        url(models.Spacecraft, "changelist"), {"status__id__exact": retired.id}
    )
    assert response.status_code == 200
    assert [str(obj) for obj in response.context["cl"].result_list] == ["Beta spacecraft"]


# --- durations ---------------------------------------------------------------------------


def test_durations_are_shown_as_iso_8601_in_lists_and_forms(staff_client, catalogue):
    alpha, _ = catalogue
    page = staff_client.get(url(models.Spacecraft, "changelist")).content.decode()
    assert '<td class="field-time_in_space_iso">P1DT1H18M</td>' in page
    assert '<td class="field-time_docked_iso">PT12H</td>' in page

    page = staff_client.get(url(models.SpacecraftConfig, "changelist")).content.decode()
    assert '<td class="field-fastest_turnaround_iso">P30D</td>' in page

    page = staff_client.get(url(models.Spacecraft, "change", alpha.id)).content.decode()
    assert re.search(r'<input[^>]*name="time_in_space"[^>]*value="P1DT1H18M"', page)
    assert re.search(r'<input[^>]*name="time_docked"[^>]*value="PT12H"', page)
    assert re.search(r'<input[^>]*name="fastest_turnaround"[^>]*placeholder="e.g. P1DT2H"', page)
    assert "P1DT2H (1 day 2 hours)" in page  # the help text


def test_an_empty_duration_is_shown_as_empty(staff_client, db):
    craft = factories.spacecraft(time_in_space=None, time_docked=datetime.timedelta(0))
    page = staff_client.get(url(models.Spacecraft, "changelist")).content.decode()
    assert '<td class="field-time_in_space_iso">-</td>' in page
    assert '<td class="field-time_docked_iso">P0D</td>' in page
    page = staff_client.get(url(models.Spacecraft, "change", craft.id)).content.decode()
    assert re.search(r'<input(?![^>]*value=)[^>]*name="time_in_space"', page)


BAD_DURATIONS = [
    ("1 day", "Not an ISO 8601 duration"),
    ("01:02:03", "Not an ISO 8601 duration"),
    ("P", "Not an ISO 8601 duration"),
    ("PT-5S", "Not an ISO 8601 duration"),
    ("P1Y", "years or months"),
    ("P2M", "years or months"),
    ("-P1D", "never negative"),
    ("P1000000D", "out of range"),
]


@pytest.mark.parametrize("value,reason", BAD_DURATIONS)
@pytest.mark.parametrize("field", ["time_in_space", "time_docked", "fastest_turnaround"])
def test_an_invalid_duration_is_a_form_error(editor, value, reason, field):
    status, config = factories.status(), factories.config()
    data = {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id, field: value}
    response = submit(editor, url(models.Spacecraft, "add"), data, expect_saved=False)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    (message,) = errors[field]
    assert reason in message
    assert "Enter an ISO 8601 duration such as P1DT2H" in message
    page = response.content.decode()
    assert "Please correct the error below." in page
    assert reason in page
    # What was typed is shown again, to be corrected.
    assert re.search(rf'<input[^>]*name="{field}"[^>]*value="{re.escape(value)}"', page)
    assert not models.Spacecraft.objects.exists()


def test_an_invalid_configuration_turnaround_is_a_form_error(editor):
    agency = factories.agency()
    data = {"name": "Bad", "type": factories.config_type().id, "agency": agency.id}
    response = submit(
        editor,
        url(models.SpacecraftConfig, "add"),
        {**data, "fastest_turnaround": "P1M"},
        expect_saved=False,
    )
    assert response.status_code == 200
    assert "years or months" in response.context["adminform"].form.errors["fastest_turnaround"][0]
    assert not models.SpacecraftConfig.objects.exists()


@pytest.mark.parametrize(
    "typed,stored,shown",
    [
        ("P1DT2H", datetime.timedelta(days=1, hours=2), "P1DT2H"),
        (" PT1M49S ", datetime.timedelta(minutes=1, seconds=49), "PT1M49S"),
        ("P0D", datetime.timedelta(0), "P0D"),
        ("PT0S", datetime.timedelta(0), "P0D"),
        ("P1W", datetime.timedelta(days=7), "P7D"),
        ("PT36H", datetime.timedelta(hours=36), "P1DT12H"),
        ("PT0.5S", datetime.timedelta(milliseconds=500), "PT0.5S"),
        ("", None, None),
    ],
)
def test_valid_durations_are_saved(editor, api, typed, stored, shown):
    status, config = factories.status(), factories.config()
    data = {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id}
    craft = add(editor, models.Spacecraft, {**data, "time_docked": typed})
    assert craft.time_docked == stored
    assert api.get(f"/2.3.0/spacecraft/{craft.id}/").json()["time_docked"] == shown


# --- counts and required fields ----------------------------------------------------------


@pytest.mark.parametrize("field", ["flights_count", "mission_ends_count"])
def test_a_negative_spacecraft_count_is_a_form_error(editor, field):
    status, config = factories.status(), factories.config()
    data = {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id, field: "-1"}
    response = submit(editor, url(models.Spacecraft, "add"), data, expect_saved=False)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors[field] == ["Ensure this value is greater than or equal to 0."]
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert not models.Spacecraft.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [("crew_capacity", "-2"), ("payload_capacity", "-1"), ("total_launch_count", "-1")]
    + [("height", "-0.5"), ("diameter", "-3")],
)
def test_a_negative_configuration_number_is_a_form_error(editor, field, value):
    data = {"name": "Bad", "type": factories.config_type().id, "agency": factories.agency().id}
    response = submit(
        editor, url(models.SpacecraftConfig, "add"), {**data, field: value}, expect_saved=False
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert not models.SpacecraftConfig.objects.exists()


def test_a_negative_family_count_is_a_form_error(editor):
    response = submit(
        editor,
        url(models.SpacecraftConfigFamily, "add"),
        {"name": "Bad", "failed_landings": "-1"},
        expect_saved=False,
    )
    assert response.status_code == 200
    assert "failed_landings" in response.context["adminform"].form.errors
    assert not models.SpacecraftConfigFamily.objects.exists()


def test_a_negative_count_on_edit_changes_nothing(editor):
    craft = factories.spacecraft(flights_count=2)
    data = {
        **SPACECRAFT_FORM,
        "name": craft.name,
        "status": craft.status_id,
        "spacecraft_config": craft.spacecraft_config_id,
        "flights_count": "-5",
    }
    response = submit(editor, url(models.Spacecraft, "change", craft.id), data, expect_saved=False)
    assert response.status_code == 200
    craft.refresh_from_db()
    assert craft.flights_count == 2


def test_required_fields_are_enforced(editor):
    response = submit(
        editor,
        url(models.Spacecraft, "add"),
        {"time_in_space": "P1D"},
        expect_saved=False,
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"name", "status", "spacecraft_config"}
    for field in errors:
        assert errors[field] == ["This field is required."]
    assert not models.Spacecraft.objects.exists()


def test_an_unknown_related_id_is_a_form_error(editor):
    data = {**SPACECRAFT_FORM, "status": "999999", "spacecraft_config": "999999"}
    response = submit(editor, url(models.Spacecraft, "add"), data, expect_saved=False)
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"status", "spacecraft_config"}


def test_image_variants_are_edited_inside_their_image(editor):
    license_ = factories.image_license()
    thumbnail = factories.variant_type("Thumbnail")
    banner = factories.variant_type("Banner")
    image = add(
        editor,
        models.Image,
        {
            "name": "Admin image",
            "image_url": "https://images.example.org/admin.jpg",
            "thumbnail_url": "https://images.example.org/admin_thumb.jpg",
            "license": license_.id,
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "0",
            "variants-0-type": thumbnail.id,
            "variants-0-image_url": "https://images.example.org/admin_1.jpg",
            "variants-1-type": banner.id,
            "variants-1-image_url": "https://images.example.org/admin_2.jpg",
        },
    )
    assert [(v.type.name, v.image_url) for v in image.variants.order_by("id")] == [
        ("Thumbnail", "https://images.example.org/admin_1.jpg"),
        ("Banner", "https://images.example.org/admin_2.jpg"),
    ]
    page = editor.get(url(models.Image, "change", image.id)).content.decode()
    assert "https://images.example.org/admin_2.jpg" in page


# --- what the admin saves, the API serves ------------------------------------------------


def test_a_spacecraft_added_in_the_admin_is_served_by_the_api(editor, api, api_cache):
    assert api.get("/2.3.0/spacecraft/", {"format": "json"}).json()["count"] == 0
    status, config = add_status_and_config(editor)
    craft = add(
        editor,
        models.Spacecraft,
        {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id},
    )

    detail = api.get(f"/2.3.0/spacecraft/{craft.id}/", {"format": "json"})
    assert detail.status_code == 200
    record = detail.json()
    expected = {
        "response_mode": "detailed",
        "id": craft.id,
        "name": "Admin Dragon",
        "serial_number": "C299",
        "is_placeholder": False,
        "image": None,
        "in_space": True,
        "time_in_space": "P1DT2H",
        "time_docked": "PT1M49S",
        "flights_count": 3,
        "mission_ends_count": 1,
        "status": {"id": status.id, "name": "Active (admin)"},
        "description": "Entered through the admin.",
        "fastest_turnaround": "P0D",
    }
    assert {key: record[key] for key in expected} == expected
    configuration = record["spacecraft_config"]
    assert configuration["id"] == config.id
    assert configuration["name"] == "Admin Capsule"
    assert configuration["type"] == {"id": config.type_id, "name": "Capsule (admin)"}
    assert configuration["agency"]["name"] == "Admin Space Co"
    assert configuration["agency"]["abbrev"] == "ASC"
    assert configuration["agency"]["type"]["name"] == "Commercial (admin)"
    assert configuration["in_use"] is True
    assert configuration["human_rated"] is True
    assert configuration["crew_capacity"] == 4
    assert configuration["payload_capacity"] == 6000
    assert configuration["height"] == 8.1
    assert configuration["diameter"] is None
    assert configuration["fastest_turnaround"] == "P36DT12H"
    assert configuration["family"] == []

    listing = api.get("/2.3.0/spacecraft/", {"format": "json"}).json()
    assert listing["count"] == 1
    (listed,) = listing["results"]
    assert listed["response_mode"] == "normal"
    assert {key: listed[key] for key in expected if key != "response_mode"} == {
        key: value for key, value in expected.items() if key != "response_mode"
    }
    assert listed["spacecraft_config"]["name"] == "Admin Capsule"
    searched = api.get("/2.3.0/spacecraft/", {"format": "json", "search": "admin dragon"}).json()
    assert [r["id"] for r in searched["results"]] == [craft.id]

    configuration = api.get(f"/2.3.0/spacecraft_configurations/{config.id}/").json()
    assert configuration["fastest_turnaround"] == "P36DT12H"


def test_an_edit_in_the_admin_shows_in_the_api_on_the_next_request(editor, api, api_cache):
    status, config = add_status_and_config(editor)
    data = {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id}
    craft = add(editor, models.Spacecraft, data)
    # Read everything once first, so a stale cached answer would be caught.
    before = api.get(f"/2.3.0/spacecraft/{craft.id}/").json()
    assert before["time_docked"] == "PT1M49S"
    (listed,) = api.get("/2.3.0/spacecraft/").json()["results"]
    assert listed["name"] == "Admin Dragon"

    retired = add(editor, models.SpacecraftStatus, {"name": "Retired (admin)"})
    edited = {
        **data,
        "name": "Admin Dragon (refurbished)",
        "status": retired.id,
        "flights_count": "4",
        "time_in_space": "P12DT3H4M5S",
        "time_docked": "",
        "fastest_turnaround": "P120D",
    }
    del edited["in_space"]  # an unticked box is not sent at all
    submit(editor, url(models.Spacecraft, "change", craft.id), edited)
    submit(
        editor,
        url(models.SpacecraftConfig, "change", config.id),
        {
            "name": "Admin Capsule Block 2",
            "type": config.type_id,
            "agency": config.agency_id,
            "human_rated": "on",
            "crew_capacity": "7",
            "fastest_turnaround": "PT1M49S",
        },
    )

    after = api.get(f"/2.3.0/spacecraft/{craft.id}/").json()
    assert after["name"] == "Admin Dragon (refurbished)"
    assert after["status"] == {"id": retired.id, "name": "Retired (admin)"}
    assert after["in_space"] is False
    assert after["flights_count"] == 4
    assert after["time_in_space"] == "P12DT3H4M5S"
    assert after["time_docked"] is None
    assert after["fastest_turnaround"] == "P120D"
    assert after["spacecraft_config"]["name"] == "Admin Capsule Block 2"
    assert after["spacecraft_config"]["in_use"] is False
    assert after["spacecraft_config"]["crew_capacity"] == 7
    assert after["spacecraft_config"]["fastest_turnaround"] == "PT1M49S"

    (listed,) = api.get("/2.3.0/spacecraft/").json()["results"]
    assert listed["name"] == "Admin Dragon (refurbished)"
    assert listed["time_in_space"] == "P12DT3H4M5S"
    assert listed["status"]["name"] == "Retired (admin)"

    # The edit form shows the stored values back as ISO 8601.
    page = editor.get(url(models.Spacecraft, "change", craft.id)).content.decode()
    assert re.search(r'<input[^>]*name="time_in_space"[^>]*value="P12DT3H4M5S"', page)


def test_a_delete_in_the_admin_shows_in_the_api_on_the_next_request(editor, api, api_cache):
    kept = factories.spacecraft(name="Kept")
    gone = factories.spacecraft(name="Gone")
    assert api.get(f"/2.3.0/spacecraft/{gone.id}/").status_code == 200
    assert api.get("/2.3.0/spacecraft/").json()["count"] == 2

    submit(editor, url(models.Spacecraft, "delete", gone.id), {"post": "yes"})

    assert api.get(f"/2.3.0/spacecraft/{gone.id}/").status_code == 404
    listing = api.get("/2.3.0/spacecraft/").json()
    assert [record["id"] for record in listing["results"]] == [kept.id]


def test_a_family_linked_in_the_admin_shows_in_the_api(editor, api, api_cache):
    craft = factories.spacecraft()
    config = craft.spacecraft_config
    family = factories.family(name="Admin family")
    assert api.get(f"/2.3.0/spacecraft/{craft.id}/").json()["spacecraft_config"]["family"] == []

    submit(
        editor,
        url(models.SpacecraftConfig, "change", config.id),
        {
            "name": config.name,
            "type": config.type_id,
            "agency": config.agency_id,
            "families": [family.id],
        },
    )

    families = api.get(f"/2.3.0/spacecraft/{craft.id}/").json()["spacecraft_config"]["family"]
    assert [(f["id"], f["name"]) for f in families] == [(family.id, "Admin family")]


def test_records_added_after_an_import_get_fresh_ids(editor, api):
    """The importer resets the id sequences, so admin entries never collide (PostgreSQL)."""
    seed = load_seed("ll")
    import_document(seed)
    top = {
        model: model.objects.aggregate(top=Max("id"))["top"]
        for model in (models.Spacecraft, models.SpacecraftStatus, models.SpacecraftConfig)
    }
    assert top[models.Spacecraft] == max(record["id"] for record in seed["results"])

    status, config = add_status_and_config(editor)
    craft = add(
        editor,
        models.Spacecraft,
        {**SPACECRAFT_FORM, "status": status.id, "spacecraft_config": config.id},
    )
    assert craft.id > top[models.Spacecraft]
    assert status.id > top[models.SpacecraftStatus]
    assert config.id > top[models.SpacecraftConfig]

    # An imported configuration can be chosen too.
    imported = seed["results"][0]
    second = add(
        editor,
        models.Spacecraft,
        {
            **SPACECRAFT_FORM,
            "name": "Admin Soyuz",
            "status": imported["status"]["id"],
            "spacecraft_config": imported["spacecraft_config"]["id"],
        },
    )
    assert second.id == craft.id + 1

    listing = api.get("/2.3.0/spacecraft/", {"format": "json", "limit": 100}).json()
    assert listing["count"] == len(seed["results"]) + 2
    served = {record["id"]: record for record in listing["results"]}
    assert served[craft.id]["time_docked"] == "PT1M49S"
    assert served[second.id]["spacecraft_config"]["id"] == imported["spacecraft_config"]["id"]
    # The imported records are untouched.
    for record in seed["results"]:
        assert served[record["id"]]["name"] == record["name"]


# --- agency statistics (issue 16) ----------------------------------------------------------


def test_agency_statistics_are_edited_in_their_own_section(editor, api):
    agency_type = add(editor, models.AgencyType, {"name": "Government (admin)"})
    page = editor.get(url(models.Agency, "add")).content.decode()
    own, statistics = page.split("Launch and landing statistics", 1)
    for name in ll2shape.AGENCY_STATISTICS:
        assert f'name="{name}"' in statistics and f'name="{name}"' not in own
    data = {"name": "Stats Agency", "abbrev": "SA", "type": agency_type.id}
    values = {name: str(3 * index) for index, name in enumerate(ll2shape.AGENCY_STATISTICS)}
    agency = add(editor, models.Agency, {**data, **values})

    body = api.get(f"/2.3.0/agencies/{agency.id}/").json()
    assert {name: body[name] for name in ll2shape.AGENCY_STATISTICS} == {
        name: int(value) for name, value in values.items()
    }
    # Emptied in the form: null, as LL2 sends an unknown count.
    submit(
        editor, url(models.Agency, "change", agency.id), {**data, **values, "failed_launches": ""}
    )
    assert api.get(f"/2.3.0/agencies/{agency.id}/").json()["failed_launches"] is None


@pytest.mark.parametrize("field", ["pending_launches", "attempted_landings_payload"])
def test_a_negative_agency_statistic_is_a_form_error(editor, field):
    agency_type = factories.agency_type("Government")
    data = {"name": "Bad", "type": agency_type.id, field: "-1"}
    response = submit(editor, url(models.Agency, "add"), data, expect_saved=False)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert not models.Agency.objects.exists()
