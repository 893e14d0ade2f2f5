"""Launches and landings are declared once, on their models (``class LL2``).

The component a document fits, its id rule (the primary key's type) and the columns it
fills are read from the model by the serializers, the admin, its forms and the importer
(``spacecraft/documents.py``). Here: what each derives, and that a changed declaration
changes all of them.
"""

import uuid

import pytest
from django.contrib import admin

from devtools import ll2shape
from spacecraft import documents, models, serializers
from spacecraft.forms import DocumentModelForm, FlightForm
from spacecraft.ingest import importer

LAUNCH = "11111111-2222-4333-8444-555555555555"


def test_the_models_that_keep_a_document_are_the_flights_launch_and_landing():
    assert documents.stored_models() == [models.Launch, models.Landing]
    pointed_at = {
        field.related_model
        for field in models.SpacecraftFlight._meta.get_fields()
        if field.many_to_one
    }
    assert set(documents.stored_models()) <= pointed_at


def test_each_reader_takes_the_component_from_the_model():
    flight = serializers.SpacecraftFlightNormalSerializer().fields
    assert (flight["launch"].component, flight["landing"].component) == ("LaunchNormal", "Landing")
    assert (importer.KINDS["launch"].component, importer.KINDS["landing"].component) == (
        "LaunchNormal",
        "Landing",
    )
    for model in documents.stored_models():
        form = admin.site._registry[model].get_form(None)()
        assert form.fields["document"].component == model.LL2.component


def test_the_flight_form_checks_the_lists_the_detailed_serializer_writes():
    assert FlightForm.lists == {
        "launch_crew": "AstronautFlight",
        "onboard_crew": "AstronautFlight",
        "landing_crew": "AstronautFlight",
        "docking_events": "DockingEventForChaserNormal",
    }


def test_the_id_rule_follows_the_primary_keys_type():
    assert documents.document_id(models.Launch, {"id": LAUNCH}) == uuid.UUID(LAUNCH)
    assert documents.document_id(models.Landing, {"id": 7}) == 7
    assert documents.document_id("Landing", {"id": 7}) == 7  # named by its component
    with pytest.raises(documents.DocumentError) as refused:
        documents.document_id(models.Landing, {"id": "7"})
    assert str(refused.value) == "landing: id: not a positive integer id: '7'"
    with pytest.raises(documents.DocumentError) as refused:
        documents.document_id(models.Launch, {"id": 7})
    assert str(refused.value) == "launch: id: not a UUID: '7'"


def test_the_copied_columns_are_the_declared_ones_converted_by_field_type():
    document = ll2shape.sample_launches()[0]
    copied = documents.copied_columns(models.Launch, document)
    assert list(copied) == ["name", "slug", "net", "status"]
    assert copied["net"].isoformat() == document["net"].replace("Z", "+00:00")
    assert (copied["name"], copied["slug"], copied["status"]) == (
        document["name"],
        document["slug"],
        document["status"]["name"],
    )
    assert documents.copied_columns(models.Landing, ll2shape.landing_document(3)) == {}


def test_a_changed_declaration_changes_the_admin_and_the_rows(monkeypatch, db):
    # The slug copied from the name instead, the status no longer copied.
    monkeypatch.setattr(models.Launch.LL2, "copied", {"name": "name", "slug": "name", "net": "net"})
    document = ll2shape.sample_launches()[1]
    launch_admin = admin.site._registry[models.Launch]
    assert launch_admin.get_readonly_fields(None) == ["name", "slug", "net"]
    form = launch_admin.get_form(None)(data={"document": documents.encode(document)})
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.name, saved.slug, saved.status) == (document["name"], document["name"], "")


def test_a_column_no_conversion_is_declared_for_is_named(monkeypatch):
    monkeypatch.setattr(models.Launch.LL2, "copied", {"id": "id"})
    with pytest.raises(TypeError) as refused:
        documents.copied_columns(models.Launch, {"id": LAUNCH})
    assert str(refused.value) == "Launch.id: a copied column cannot be a UUIDField"


def test_a_model_without_a_declaration_keeps_no_document():
    with pytest.raises(TypeError) as refused:
        documents.component_of(models.Spacecraft)
    assert str(refused.value) == "Spacecraft keeps no LL2 document (it has no inner class LL2)"
    assert not issubclass(admin.site._registry[models.Spacecraft].form, DocumentModelForm)
