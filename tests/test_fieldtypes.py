"""The field types' registry (``spacecraft/fieldtypes.py``): one entry per model field type,
read by the importer, the fast renderer, the filters and the OpenAPI document.

Each supported type is checked through each of its readers: the importer's check
accepts and refuses LL2 values; the renderer writes a column value as the DRF
field does; the filter set picks the filter; the document gets the bounds. A type
without an entry stops the app's start, naming the model and the field.
"""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import django_filters
import pytest
from django.apps import apps
from django.core.validators import MinValueValidator
from django.db import models as dj
from rest_framework import renderers
from rest_framework import serializers as drf

from spacecraft import fields, fieldtypes, models, shape, values
from spacecraft.api import filters, rendering, schema
from spacecraft.ingest import importer

ROOT = Path(__file__).resolve().parent.parent
INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}
DURATION = datetime.timedelta(days=1, minutes=78)


def bound(field, name="value", model=models.Spacecraft):
    field.set_attributes_from_name(name)
    field.model = model
    return field


# One case per registered type: the model field; an LL2 value the importer accepts and
# what it stores; one it refuses and the message; a DRF field of a representation, a
# column value and what the renderer writes; the filter class; the OpenAPI bounds.
CASES = {
    dj.CharField: (
        dj.CharField(max_length=3),
        ("abc", "abc"),
        ("abcd", "longer than 3 characters"),
        (drf.CharField(), "Союз", "Союз"),
        filters.TextFilter,
        {},
    ),
    dj.URLField: (
        dj.URLField(max_length=5),
        ("", ""),
        ("http:/", "longer than 5 characters"),
        (drf.URLField(), "https://x", "https://x"),
        filters.TextFilter,
        {},
    ),
    dj.TextField: (
        dj.TextField(),
        ("x" * 10_000, "x" * 10_000),
        (1, "expected a string"),
        (drf.CharField(), "a\u2028b", "a\u2028b"),
        filters.TextFilter,
        {},
    ),
    dj.AutoField: (
        dj.AutoField(primary_key=True),
        (7, 7),
        (0, "ids are positive"),
        (drf.IntegerField(), 2**31 - 1, 2**31 - 1),
        filters.IntegerFilter,
        INT32,
    ),
    dj.IntegerField: (
        dj.IntegerField(),
        (-5, -5),
        (2**31, "integer out of range"),
        (drf.IntegerField(), -5, -5),
        filters.IntegerFilter,
        INT32,
    ),
    dj.PositiveIntegerField: (
        dj.PositiveIntegerField(),
        (0, 0),
        (-1, "must not be negative"),
        (drf.IntegerField(), 3, 3),
        filters.IntegerFilter,
        INT32,
    ),
    dj.BooleanField: (
        dj.BooleanField(),
        (False, False),
        (0, "expected true or false"),
        (drf.BooleanField(), True, True),
        django_filters.rest_framework.BooleanFilter,
        {},
    ),
    dj.FloatField: (
        dj.FloatField(),
        (1, 1.0),
        ("1", "expected a number"),
        (drf.FloatField(), 1e-05, 1e-05),
        django_filters.NumberFilter,
        {},
    ),
    dj.DateField: (
        dj.DateField(),
        ("1990-01-02", datetime.date(1990, 1, 2)),
        ("1990-1-2", "not a YYYY-MM-DD date"),
        (drf.DateField(), datetime.date(1990, 1, 2), "1990-01-02"),
        django_filters.DateFilter,
        {},
    ),
    dj.DateTimeField: (
        dj.DateTimeField(),
        ("2024-10-14T16:06:00Z", datetime.datetime(2024, 10, 14, 16, 6, tzinfo=datetime.UTC)),
        ("2024-10-14T16:06:00", "with a time zone"),
        (
            drf.DateTimeField(),
            datetime.datetime(2024, 10, 14, 16, 6, tzinfo=datetime.UTC),
            "2024-10-14T16:06:00Z",
        ),
        django_filters.IsoDateTimeFilter,
        {},
    ),
    dj.DurationField: (
        dj.DurationField(),
        ("P1DT1H18M", DURATION),
        ("-P1D", "durations are never negative"),
        (fields.ISODurationField(), DURATION, "P1DT1H18M"),
        django_filters.DurationFilter,
        {},
    ),
    models.SignedDurationField: (
        models.SignedDurationField(),
        ("-P1DT1H18M", -DURATION),
        ("P1Y", "years or months"),
        (fields.ISODurationField(), -DURATION, "-P1DT1H18M"),
        django_filters.DurationFilter,
        {},
    ),
}


def test_every_registered_type_has_a_case_here():
    assert set(CASES) == set(fieldtypes.REGISTRY)


@pytest.mark.parametrize("field_type", list(CASES), ids=lambda t: t.__name__)
def test_the_importer_check_of_each_type(field_type):
    model_field, (value, stored), (refused, message), *_ = CASES[field_type]
    check = fieldtypes.importer_check(bound(model_field))
    assert check(value) == stored
    assert type(check(value)) is type(stored)
    with pytest.raises(values.Invalid, match=message):
        check(refused)


@pytest.mark.parametrize("field_type", list(CASES), ids=lambda t: t.__name__)
def test_the_importer_checks_with_the_registry(field_type):
    """The importer has no check of its own: each key's check is the registry's."""
    model_field, (value, stored), (refused, message), *_ = CASES[field_type]
    assert importer.converter is fieldtypes.importer_check
    check = importer.converter(bound(model_field))
    assert check(value) == stored
    with pytest.raises(values.Invalid, match=message):
        check(refused)


@pytest.mark.parametrize("field_type", list(CASES), ids=lambda t: t.__name__)
def test_the_renderer_writes_each_type_as_drf_does(field_type):
    model_field, *_, (drf_field, column_value, expected), _, _ = CASES[field_type]
    convert = rendering._converter(drf_field, bound(model_field))
    rule = fieldtypes.of(model_field).render.get(type(drf_field))
    assert drf_field.to_representation(column_value) == expected
    if rule == fieldtypes.AS_IS:
        assert convert is None  # the column value is written as it is
        assert column_value == expected
    else:
        assert convert(column_value) == expected
        assert isinstance(convert(column_value), rendering.JSONFloat) is (rule == fieldtypes.FLOAT)
    written = column_value if convert is None else convert(column_value)
    assert rendering.encode({"v": written}) == renderers.JSONRenderer().render({"v": expected})


@pytest.mark.parametrize("field_type", list(CASES), ids=lambda t: t.__name__)
def test_the_filter_of_each_type(field_type):
    model_field, *_, filter_class, _ = CASES[field_type]
    chosen, _ = filters.LL2FilterSet.filter_for_lookup(bound(model_field), "exact")
    assert chosen is filter_class


@pytest.mark.parametrize("field_type", list(CASES), ids=lambda t: t.__name__)
def test_the_openapi_type_of_each_type(field_type):
    model_field, *_, bounds = CASES[field_type]
    assert fieldtypes.of(model_field).openapi == bounds
    if bounds:  # whatever range the backend allows, the document has the column's
        prop = {"type": "integer", "format": "int64", "maximum": 2**63 - 1, "minimum": 0}
        schema._column_type(prop, bound(model_field))
        assert prop == {"type": "integer", "maximum": 2**31 - 1, "minimum": 0}


# --- a type without an entry ----------------------------------------------------------------


def test_a_type_without_an_entry_is_named_with_its_model_and_field():
    field = bound(dj.BigIntegerField(null=True), "mass")
    with pytest.raises(
        fieldtypes.UnsupportedFieldType, match=r"^Spacecraft\.mass: BigIntegerField"
    ):
        fieldtypes.of(field)
    with pytest.raises(
        fieldtypes.UnsupportedFieldType, match=r"^Spacecraft\.mass: BigIntegerField"
    ):
        fieldtypes.check_models([models.Spacecraft, FakeModelWith(field)])


class FakeModelWith:
    """A stand-in for a model whose one column is ``field``."""

    def __init__(self, field):
        self._meta = type("Meta", (), {"concrete_fields": [field]})


def test_an_integer_with_another_lower_bound_is_named():
    field = bound(dj.IntegerField(validators=[MinValueValidator(1)]), "crew")
    with pytest.raises(fieldtypes.UnsupportedFieldType, match=r"^Spacecraft\.crew: .* 1\b"):
        fieldtypes.importer_check(field)


def test_the_app_start_checks_every_column_of_the_rendered_models(monkeypatch):
    """The check runs in the app's ``ready()``: a type the models use, taken out of the
    registry, stops it with the first such column named."""
    monkeypatch.delitem(fieldtypes.REGISTRY, dj.FloatField)
    with pytest.raises(
        fieldtypes.UnsupportedFieldType, match=r"^SpacecraftConfig\.height: FloatField"
    ):
        apps.get_app_config("spacecraft").ready()
    checked = {model for model in shape.forms()}
    assert models.SpacecraftConfig in checked and models.SpacecraftFlight in checked


PLANT = """
import django
from django.db import models
from django.db.models.signals import class_prepared

def plant(sender, **kwargs):
    if sender.__module__ == "spacecraft.models" and sender.__name__ == "Spacecraft":
        models.BigIntegerField(null=True).contribute_to_class(sender, "mass")

class_prepared.connect(plant)
django.setup()
"""


@pytest.mark.server
def test_a_model_field_of_an_unsupported_type_stops_the_start():
    """Django's own start (``django.setup()``, as manage.py and the WSGI app do), with a
    ``BigIntegerField`` planted on ``Spacecraft``: one error naming it, and no start."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "spacedevs.test_settings"}
    done = subprocess.run(
        [sys.executable, "-c", PLANT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(
        "spacecraft.fieldtypes.UnsupportedFieldType: Spacecraft.mass: BigIntegerField is not "
        "a supported field type"
    ), done.stderr
