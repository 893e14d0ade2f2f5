"""The importer's kinds: what each kind of object looks like in LL2.

Derived, once, from the serializers and the models' fields (``shape.py``):
one kind per model a serializer renders; its keys are those its forms
(normal, detailed, an endpoint's own) store, in their key order; each key's
column is the serializer field's source, its check the model field's type,
length and nullability; the write order follows the foreign keys.
"""

from dataclasses import dataclass
from functools import cached_property

from django.apps import apps

from spacecraft import fieldtypes, models, shape
from spacecraft import values as checks
from spacecraft.declarations import required_keys


@dataclass(frozen=True)
class Scalar:
    key: str
    convert: object
    nullable: bool = False
    attr: str = ""

    @cached_property
    def column(self):
        return self.attr or self.key


@dataclass(frozen=True)
class Nested:
    """A foreign key rendered as a nested object (``null`` where allowed)."""

    key: str
    kind: str
    nullable: bool = False
    attr: str = ""

    @cached_property
    def column(self):
        return f"{self.attr or self.key}_id"


@dataclass(frozen=True)
class NestedList:
    """A many-to-many (or a child list) rendered as a list of objects.

    ``children``: the listed objects belong to this one (an image's
    variants) through their foreign key ``parent_key``; a child left out of
    the list is deleted. Otherwise ``attr`` is a many-to-many field.
    """

    key: str
    kind: str
    attr: str = ""
    parent_key: str = ""

    @property
    def children(self):
        return bool(self.parent_key)


@dataclass(frozen=True)
class Kind:
    """One model and the keys of its LL2 object.

    ``required``: the keys required in every form the object takes, as our
    OpenAPI document lists them (LL2's own required lists; ``response_mode``
    and ``url`` aside, which are derived, not stored). A key that is optional
    may be left out: the stored value is then kept as it is.
    """

    name: str
    model: object
    fields: tuple
    required: tuple = ("id",)
    # A kind kept as the document LL2 sent (a launch, a landing): the official
    # schema's component it must fit (spacecraft/documents.py). Its ``fields``
    # are then empty.
    component: str = ""


# The names kinds go by in messages and in the summary: the model's verbose
# name, or a shorter one where the context says the rest.
SHORT_NAMES = {
    models.ImageLicense: "license",
    models.ImageVariantType: "variant type",
    models.SpacecraftConfigFamily: "family",
    models.SpacecraftConfigType: "configuration type",
    models.SpacecraftConfig: "configuration",
    models.SpacecraftStatus: "status",
    models.SpacecraftFlight: "flight",
}


def kind_name(model):
    return SHORT_NAMES.get(model) or str(model._meta.verbose_name)


# The check and conversion of an LL2 value for a model field: the field types' registry's.
converter = fieldtypes.importer_check


def _spec(key):
    """The importer's spec of one stored key (``shape.Key``)."""
    model_field = key.model_field
    if key.reads == shape.DOCUMENT:
        if model_field.is_relation:  # a launch or landing, a kind of its own
            return Nested(key.name, kind_name(key.target), model_field.null, model_field.name)
        component = key.field.component
        return Scalar(
            key.name, checks.document_list(component), model_field.null, model_field.attname
        )
    if key.reads == shape.COLUMN:
        return Scalar(key.name, converter(model_field), model_field.null, model_field.attname)
    target = kind_name(key.target)
    if key.reads == shape.FOREIGN_KEY:
        return Nested(key.name, target, model_field.null, model_field.name)
    if key.reads == shape.MANY:
        return NestedList(key.name, target, attr=model_field.name)
    return NestedList(key.name, target, parent_key=model_field.field.attname)  # CHILDREN


def _required(forms, stored):
    """The stored keys required in every form, with ``id``, in key order."""
    in_every_form = set.intersection(*(set(required_keys(form)) for form in forms))
    return ("id", *(key.name for key in stored if key.name in in_every_form))


def _kind(model, forms):
    stored = shape.union_of_keys(forms)
    return Kind(
        kind_name(model),
        model,
        tuple(_spec(key) for key in stored),
        required=_required(forms, stored),
    )


def _document_kinds(forms):
    """{model: Kind} of the documents the forms' keys point at (launches, landings)."""
    found = {}
    for model_forms in forms.values():
        for key in shape.union_of_keys(model_forms):
            if key.reads == shape.DOCUMENT and key.model_field.is_relation:
                component = key.field.component
                found[key.target] = Kind(kind_name(key.target), key.target, (), component=component)
    return found


def _derive_kinds():
    forms = shape.forms()
    document_kinds = _document_kinds(forms)
    defined = [
        model
        for model in apps.get_app_config("spacecraft").get_models()
        if model in forms or model in document_kinds
    ]
    return {
        kind_name(model): document_kinds.get(model) or _kind(model, forms[model])
        for model in shape.write_order(defined)
    }


KINDS = _derive_kinds()

# Parents before children, so foreign keys exist when a row is written.
WRITE_ORDER = list(KINDS)
