"""The shape of each LL2 representation, read from the serializers once.

``serializers.py`` (with the models' fields) is the one declaration of each
representation: its keys, their order, their nesting and what each key reads.
This module reads it for the code that derives from it, the one reading of
the declaration: the importer's kinds (``ingest/importer.py``), the fast
renderer's plan (``api/rendering.py``), the joins of the DRF querysets
(``api/selectors.py``), the OpenAPI document's column types
(``api/schema.py``) and the tests that prove the derivations agree. What a
column's type means to each of them is ``fieldtypes.py``.

``keys(SerializerClass)`` tells, for each key of a representation, what it
reads:

- ``COLUMN``: a model field of the row itself (``name``, ``time_in_space``);
- ``FOREIGN_KEY``: a nested object, through a forward foreign key;
- ``MANY``: a list of objects, through a forward many-to-many;
- ``CHILDREN``: a list of objects that belong to this one, through their
  foreign key to it, deleted with it (``on_delete=CASCADE``: an image's
  variants);
- ``BACK_REFERENCE``: a list of other records that point at this one (an
  agency's configurations): written by those records' own foreign key, not
  by this one;
- ``DOCUMENT``: a JSON document kept as LL2 sent it (``documents.py``): a
  flight's ``launch`` and ``landing`` (through a foreign key to the row that
  holds it: ``launch.document``) or its crew lists (a text column);
- ``COMPUTED``: nothing stored (``response_mode``, ``url``, method fields, a
  model property).
"""

import functools
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers as drf

from spacecraft import serializers
from spacecraft.documents import DocumentField
from spacecraft.fields import DetailURLField, ResponseModeField

COLUMN = "column"
FOREIGN_KEY = "foreign key"
MANY = "many-to-many"
CHILDREN = "children"
BACK_REFERENCE = "back reference"
DOCUMENT = "document"
COMPUTED = "computed"

# What a key of the stored kinds reads: these are written by the importer.
STORED = (COLUMN, FOREIGN_KEY, MANY, CHILDREN, DOCUMENT)


class UndeclaredShape(TypeError):
    """A serializer field whose source this module cannot read."""


@dataclass(frozen=True)
class Key:
    """One key of a representation and what it reads."""

    name: str  # the key, as LL2 writes it
    reads: str  # COLUMN, FOREIGN_KEY, MANY, CHILDREN, BACK_REFERENCE or COMPUTED
    field: object  # the serializer field
    model_field: object = None  # the model field or relation it reads (None if computed)
    nested: object = None  # the serializer class of a nested object or list

    @property
    def source(self):
        """The model attribute it reads (``countries`` for the key ``country``)."""
        return self.model_field.name if self.model_field is not None else None

    @property
    def target(self):
        """The model of a nested object or list."""
        return self.model_field.related_model if self.model_field is not None else None

    @property
    def document_path(self):
        """A ``DOCUMENT``'s text, as a path from the row (``launch__document``, ``launch_crew``)."""
        return "__".join(self.field.source_attrs)


@dataclass(frozen=True)
class Listing:
    """Where the objects of a list key are found: ``model``'s rows whose ``parent``
    column holds the listing object's id; ``prefix`` leads from such a row to the
    listed object (``target``): the through table of a many-to-many, or the listed
    rows themselves (``prefix`` empty)."""

    model: type
    parent: str
    prefix: str
    target: type


def listing(key):
    """The ``Listing`` of a ``MANY``, ``CHILDREN`` or ``BACK_REFERENCE`` key."""
    model_field = key.model_field
    if key.reads == MANY:  # a forward many-to-many
        through = model_field.remote_field.through
        parent, listed = model_field.m2m_field_name(), model_field.m2m_reverse_field_name()
    elif key.reads in (CHILDREN, BACK_REFERENCE) and model_field.many_to_many:  # its reverse
        forward = model_field.field
        through = forward.remote_field.through
        parent, listed = forward.m2m_reverse_field_name(), forward.m2m_field_name()
    elif key.reads in (CHILDREN, BACK_REFERENCE):  # the reverse of a foreign key
        return Listing(model_field.related_model, model_field.field.attname, "", key.target)
    else:
        raise UndeclaredShape(f"key {key.name!r} ({key.reads}) is not a list")
    return Listing(through, through._meta.get_field(parent).attname, listed + "__", key.target)


def representations():
    """Every serializer of ``serializers.py`` that renders a model, in definition order."""
    return [
        value
        for value in vars(serializers).values()
        if isinstance(value, type)
        and issubclass(value, drf.ModelSerializer)
        and value.__module__ == serializers.__name__
        and getattr(getattr(value, "Meta", None), "model", None) is not None
    ]


def model_of(serializer_class):
    return serializer_class.Meta.model


@functools.cache
def keys(serializer_class):
    """The ``Key`` of each key of ``serializer_class``, in its key order."""
    model = model_of(serializer_class)
    return tuple(
        _key(model, name, field)
        for name, field in serializer_class().fields.items()
        if not field.write_only
    )


def _key(model, name, field):
    if isinstance(field, (ResponseModeField, DetailURLField, drf.SerializerMethodField)):
        return Key(name, COMPUTED, field)
    where = f"{model.__name__} key {name!r}"
    if isinstance(field, DocumentField):
        return _document(model, name, field, where)
    if len(field.source_attrs) != 1:
        raise UndeclaredShape(f"{where}: source {field.source!r} is not one model attribute")
    source = field.source_attrs[0]
    try:
        model_field = model._meta.pk if source == "pk" else model._meta.get_field(source)
    except FieldDoesNotExist:  # a property or method of the model: nothing stored
        return Key(name, COMPUTED, field)
    if isinstance(field, drf.ListSerializer):
        reads = _to_many(model_field, where)
        return Key(name, reads, field, model_field, _nested(field.child, model_field, where))
    if isinstance(field, drf.ModelSerializer):
        if not (model_field.many_to_one or model_field.one_to_one) or model_field.auto_created:
            raise UndeclaredShape(f"{where}: a nested object needs a forward foreign key")
        return Key(name, FOREIGN_KEY, field, model_field, _nested(field, model_field, where))
    if model_field.is_relation:
        raise UndeclaredShape(f"{where}: {source} is a relation; nest its serializer")
    if isinstance(field, (drf.RelatedField, drf.ManyRelatedField)):
        raise UndeclaredShape(f"{where}: a related field reads a relation, not {source}")
    return Key(name, COLUMN, field, model_field)


def _nested(serializer, model_field, where):
    """The serializer class of a nested object or list, which must render its target."""
    target = model_field.related_model
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    if not isinstance(serializer, drf.ModelSerializer) or model is None:
        raise UndeclaredShape(f"{where}: a nested object needs a model serializer")
    if not issubclass(target, model):
        raise UndeclaredShape(
            f"{where}: {type(serializer).__name__} renders {model.__name__}, not {target.__name__}"
        )
    return type(serializer)


def _document(model, name, field, where):
    """A stored document: a text column of the row (``launch_crew``), or the
    ``document`` column of the row a forward foreign key points at (``launch.document``)."""
    if len(field.source_attrs) == 1:
        model_field = model._meta.get_field(field.source_attrs[0])
        if not isinstance(model_field, models.TextField):
            raise UndeclaredShape(f"{where}: a document is kept in a text column")
        return Key(name, DOCUMENT, field, model_field)
    if len(field.source_attrs) != 2 or field.source_attrs[1] != "document":
        raise UndeclaredShape(f"{where}: source {field.source!r} is not <foreign key>.document")
    model_field = model._meta.get_field(field.source_attrs[0])
    if not model_field.many_to_one or model_field.auto_created:
        raise UndeclaredShape(f"{where}: {model_field.name} is not a forward foreign key")
    if not isinstance(model_field.related_model._meta.get_field("document"), models.TextField):
        raise UndeclaredShape(f"{where}: a document is kept in a text column")
    return Key(name, DOCUMENT, field, model_field)


def _to_many(model_field, where):
    if model_field.many_to_many and not model_field.auto_created:
        return MANY
    if model_field.one_to_many and model_field.auto_created:  # the reverse of a foreign key
        if model_field.field.remote_field.on_delete is models.CASCADE:
            return CHILDREN
        return BACK_REFERENCE
    if model_field.many_to_many:  # the reverse of a many-to-many
        return BACK_REFERENCE
    raise UndeclaredShape(f"{where}: a list needs a to-many relation")


def forms():
    """{model: [the serializer classes that render it]}, in definition order."""
    found = {}
    for serializer_class in representations():
        found.setdefault(model_of(serializer_class), []).append(serializer_class)
    return found


def stored_keys(serializer_class):
    """The keys of ``serializer_class`` the importer writes, ``id`` aside."""
    pk = model_of(serializer_class)._meta.pk
    return [
        key for key in keys(serializer_class) if key.reads in STORED and key.model_field is not pk
    ]


def union_of_keys(serializer_classes):
    """The stored keys of several forms of one model, each once, in first-seen order.

    A key two forms read differently (another source, or another kind of
    relation or target) is a mistake in the declaration, and refused.
    """
    merged = {}
    for serializer_class in serializer_classes:
        for key in stored_keys(serializer_class):
            seen = merged.setdefault(key.name, key)
            if _reading(seen) != _reading(key):
                raise UndeclaredShape(
                    f"{model_of(serializer_class).__name__} key {key.name!r} reads "
                    f"{seen.source} in one form and {key.source} in another"
                )
    return list(merged.values())


def _reading(key):
    return key.reads, key.model_field, model_of(key.nested) if key.nested else None


def write_order(model_list):
    """``model_list`` with every model after those its foreign keys and many-to-manys
    point at (a topological sort), ties in the order the models are defined.

    A foreign key of a model to itself (a family's parent) is left out: such
    rows are written in one statement, and the database checks the keys at
    commit.
    """
    defined = {model: index for index, model in enumerate(model_list)}
    depends = {
        model: {
            field.related_model
            for field in model._meta.get_fields()
            if field.concrete
            and field.is_relation
            and (field.many_to_one or field.one_to_one or field.many_to_many)
            and field.related_model in defined
            and field.related_model is not model
        }
        for model in model_list
    }
    order, done = [], set()
    while len(order) < len(model_list):
        ready = [model for model in model_list if model not in done and depends[model] <= done]
        if not ready:
            cycle = sorted(model.__name__ for model in model_list if model not in done)
            raise UndeclaredShape(f"foreign keys in a cycle among {', '.join(cycle)}")
        first = min(ready, key=defined.__getitem__)
        order.append(first)
        done.add(first)
    return order
