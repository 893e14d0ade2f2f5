"""The model field types the catalogue may use: one entry each, read by every interpreter.

Each supported model field class has one ``FieldType`` saying, for a column
of that type:

- ``check``: the importer's check of an LL2 value (``values.py``), given the
  model field (a text's length, an integer's lower bound);
- ``render``: how the fast renderer (``spacecraft.api.rendering``) turns the
  column's value into what a DRF serializer field returns: ``AS_IS`` (the
  value already is it: ``CharField.to_representation`` is ``str(value)``),
  ``FLOAT`` (the DRF field's result, written as Python's ``json`` writes a
  float), and for any DRF field not listed, that field's own
  ``to_representation``;
- ``filter``: the filter that bounds a query parameter on it (``TEXT``,
  ``INTEGER``), or None for django-filter's own (``spacecraft.api.filters``);
- ``openapi``: what the OpenAPI document says of every column of this type
  whatever the database (``spacecraft.api.schema``): integers have the bounds
  of a PostgreSQL ``integer`` column, as LL2 documents them.

A type is looked up by its exact class: a subclass (``BigIntegerField`` is an
``IntegerField``) stores other values, and needs an entry of its own. Every
column of a model a representation renders must have one: ``check_models()``,
run when the app starts (``apps.py``), stops the start with one error naming
the model and the field.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models as dj
from rest_framework import serializers as drf

from spacecraft import values
from spacecraft.models import SignedDurationField
from spacecraft.shape import UndeclaredShape

AS_IS = "as is"
FLOAT = "float"

TEXT = "text"
INTEGER = "integer"

INT32_MIN, INT32_MAX = values.INT_MIN, values.INT_MAX


class UnsupportedFieldType(UndeclaredShape):
    """A model field whose type has no entry here (or a value range it has no check for)."""


@dataclass(frozen=True)
class FieldType:
    model_field: type  # the Django model field class
    check: Any  # model field -> the importer's check of an LL2 value (raises values.Invalid)
    render: dict = field(default_factory=dict)  # DRF serializer field class -> AS_IS or FLOAT
    filter: str | None = None  # TEXT, INTEGER, or None for django-filter's own
    openapi: dict = field(default_factory=dict)  # schema keys every such column gets

    def importer_check(self, model_field):
        return self.check(model_field)


def _text(model_field):
    return values.text(model_field.max_length or math.inf)


def _lower_bound(model_field):
    """The least value the model field's validators allow (the column's own range included)."""
    bounds = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
    return max(bounds) if bounds else None


def _integer(model_field):
    lower = _lower_bound(model_field)
    if lower is None or lower <= values.INT_MIN:  # any 32-bit integer
        return values.integer
    if lower == 0:  # PositiveIntegerField, count_field()
        return values.count
    raise UnsupportedFieldType(
        f"{_name(model_field)}: no importer check for a lower bound of {lower} "
        "(spacecraft/fieldtypes.py checks integers from 0 or from any 32-bit value)"
    )


def _always(check):
    return lambda model_field: check


_TEXT_AS_IS = {drf.CharField: AS_IS, drf.URLField: AS_IS}
_INTEGER_AS_IS = {drf.IntegerField: AS_IS}
_INT32 = {"minimum": INT32_MIN, "maximum": INT32_MAX}

REGISTRY = {
    entry.model_field: entry
    for entry in (
        FieldType(dj.CharField, _text, _TEXT_AS_IS, TEXT),
        FieldType(dj.URLField, _text, _TEXT_AS_IS, TEXT),
        FieldType(dj.TextField, _text, _TEXT_AS_IS, TEXT),
        # The primary key: the importer reads ids with values.identifier.
        FieldType(dj.AutoField, _always(values.identifier), _INTEGER_AS_IS, INTEGER, _INT32),
        FieldType(dj.IntegerField, _integer, _INTEGER_AS_IS, INTEGER, _INT32),
        FieldType(dj.PositiveIntegerField, _integer, _INTEGER_AS_IS, INTEGER, _INT32),
        FieldType(dj.BooleanField, _always(values.boolean), {drf.BooleanField: AS_IS}),
        FieldType(dj.FloatField, _always(values.number), {drf.FloatField: FLOAT}),
        FieldType(dj.DateField, _always(values.date)),
        FieldType(dj.DateTimeField, _always(values.date_time)),
        FieldType(dj.DurationField, _always(values.parse_duration)),
        FieldType(SignedDurationField, _always(values.parse_signed_duration)),
    )
}


def _name(model_field):
    model = getattr(model_field, "model", None)
    owner = model.__name__ if model is not None else "(no model)"
    return f"{owner}.{model_field.name}"


def of(model_field):
    """The ``FieldType`` of ``model_field``; ``UnsupportedFieldType`` naming it if none."""
    entry = REGISTRY.get(type(model_field))
    if entry is None:
        raise UnsupportedFieldType(
            f"{_name(model_field)}: {type(model_field).__name__} is not a supported field "
            "type (add an entry to spacecraft/fieldtypes.py: the importer's check, the "
            "renderer's conversion, the filter and the OpenAPI type)"
        )
    return entry


def importer_check(model_field):
    """The importer's check and conversion of an LL2 value for ``model_field``."""
    return of(model_field).importer_check(model_field)


def columns(model):
    """The model's own columns (its primary key included, its foreign keys not)."""
    return [f for f in model._meta.concrete_fields if not f.is_relation]


def check_models(model_list):
    """Every column of ``model_list`` has a supported type, or the first that has not is
    named (``UnsupportedFieldType``); the importer's check of each is built once."""
    for model in model_list:
        for model_field in columns(model):
            importer_check(model_field)
