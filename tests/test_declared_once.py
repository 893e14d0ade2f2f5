"""Each LL2 representation is declared once, by its serializer; the rest agrees with it.

For every representation (each serializer class a view answers with, and
every serializer nested in them), on real rows:

- the fast renderer (``rendering.plan_for``) writes the serializer's keys, in
  its order, at every level of nesting;
- its component in our OpenAPI document (``/2.3.0/schema/?format=json``) has
  the serializer's keys as properties, in the same order;
- the importer accepts, for the representation's model, exactly the keys the
  model's forms store (``response_mode``, ``url`` and the keys listed in
  ``NOT_STORED`` aside), in the forms' order, and requires exactly the keys
  the document requires in every form.

The importer's checks, the write order and the DRF path's joins are
derived from the same declaration; the last tests check those derivations.
"""

import functools

import pytest
from django.db import models as db_models
from django.db.models import Prefetch
from rest_framework import serializers as drf
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from spacecraft import declarations, models, serializers, shape, values
from spacecraft.api import rendering, schema, selectors, urls
from spacecraft.ingest import importer

from . import factories

# Keys of a representation that come from the request and the representation
# itself, not from stored data.
DERIVED = {"response_mode", "url"}

# (component, key): why the key is written but not stored, so not imported.
NOT_STORED = {
    ("AgencyEndpointDetailed", "social_media_links"): "not modelled: always []",
    ("AgencyEndpointDetailed", "launcher_list"): "not modelled: always []",
    ("AgencyEndpointDetailed", "spacecraft_list"): (
        "the agency's configurations: each configuration's own `agency` says so"
    ),
    ("SpacecraftConfigFamilyEndpointDetailed", "spacecraft"): (
        "the family's configurations: each configuration's own `family` says so"
    ),
}

# Keys the importer accepts that no representation writes. None: every key it
# reads is one our API writes back (agency `info_url` and `wiki_url` come from
# the agency endpoint's detailed form).
IMPORT_ONLY = {}


# --- the representations ---------------------------------------------------------------


def nested_classes(serializer_class):
    for field in serializer_class().fields.values():
        if isinstance(field, drf.ListSerializer) and isinstance(field.child, drf.ModelSerializer):
            yield type(field.child)
        elif isinstance(field, drf.ModelSerializer):
            yield type(field)


def all_representations():
    """Every serializer class a view answers with, and those nested in them, each once."""
    found = []
    todo = [
        serializer_class
        for _, viewset, _ in urls.router.registry
        for serializer_class in viewset.representations.values()
    ]
    while todo:
        serializer_class = todo.pop(0)
        if serializer_class not in found:
            found.append(serializer_class)
            todo.extend(nested_classes(serializer_class))
    return found


REPRESENTATIONS = all_representations()


def component_name(serializer_class):
    return schema.COMPONENT_NAMES.get(serializer_class) or serializer_class.__name__.removesuffix(
        "Serializer"
    )


@functools.cache
def serializer_keys(serializer_class):
    return list(serializer_class().fields)


def stored_keys(serializer_class):
    """The keys of a representation the importer should accept, in its order."""
    name = component_name(serializer_class)
    return [
        key
        for key in serializer_keys(serializer_class)
        if key not in DERIVED and (name, key) not in NOT_STORED
    ]


def forms_of(model):
    return [s for s in REPRESENTATIONS if s.Meta.model is model]


def kind_of(model):
    (kind,) = [kind for kind in importer.KINDS.values() if kind.model is model]
    return kind


def accepted_keys(kind):
    return ["id", *(spec.key for spec in kind.fields)]


def test_every_serializer_is_a_representation_a_view_reaches():
    declared = [
        value
        for value in vars(serializers).values()
        if isinstance(value, type)
        and issubclass(value, drf.ModelSerializer)
        and getattr(value.Meta, "model", None) is not None
    ]
    assert sorted(declared, key=str) == sorted(REPRESENTATIONS, key=str)


def test_the_not_stored_keys_are_real_keys():
    names = {component_name(s): s for s in REPRESENTATIONS}
    for component, key in NOT_STORED:
        assert key in serializer_keys(names[component]), (component, key)


def reads(serializer_class):
    return {key.name: key.reads for key in shape.keys(serializer_class)}


class StatusWithLabel(serializers.SpacecraftStatusSerializer):
    label = drf.CharField(source="__str__")

    class Meta(serializers.SpacecraftStatusSerializer.Meta):
        fields = [*serializers.SpacecraftStatusSerializer.Meta.fields, "label"]


def test_what_each_kind_of_key_reads():
    spacecraft = reads(serializers.SpacecraftEndpointDetailedSerializer)
    assert spacecraft["response_mode"] == spacecraft["url"] == shape.COMPUTED
    assert spacecraft["flights"] == shape.CHILDREN  # deleted with their spacecraft
    flight = reads(serializers.SpacecraftFlightDetailedSerializer)
    assert flight["launch"] == flight["landing"] == shape.DOCUMENT  # launch.document
    assert flight["launch_crew"] == flight["docking_events"] == shape.DOCUMENT  # a column
    assert reads(serializers.AgencyEndpointDetailedSerializer)["launcher_list"] == (
        shape.COMPUTED  # a method field
    )
    assert spacecraft["id"] == spacecraft["time_in_space"] == shape.COLUMN
    assert spacecraft["image"] == spacecraft["spacecraft_config"] == shape.FOREIGN_KEY
    assert reads(serializers.ImageSerializer)["variants"] == shape.CHILDREN
    agency = reads(serializers.AgencyEndpointDetailedSerializer)
    assert agency["country"] == shape.MANY
    assert agency["spacecraft_list"] == shape.BACK_REFERENCE  # a reverse foreign key
    family = reads(serializers.SpacecraftConfigFamilyEndpointDetailedSerializer)
    assert family["spacecraft"] == shape.BACK_REFERENCE  # a reverse many-to-many
    assert reads(StatusWithLabel)["label"] == shape.COMPUTED  # not a model field


def test_where_each_kind_of_list_is_found():
    """``shape.listing``: the table a list is read from, its column holding the parent's id,
    the path to the listed object; names from ``_meta``."""

    def listing(serializer_class, name):
        (key,) = [key for key in shape.keys(serializer_class) if key.name == name]
        return shape.listing(key)

    countries = models.Agency._meta.get_field("countries")
    assert listing(serializers.AgencyNormalSerializer, "country") == shape.Listing(
        countries.remote_field.through, "agency_id", "country__", models.Country
    )
    families = models.SpacecraftConfig._meta.get_field("families")
    assert listing(
        serializers.SpacecraftConfigFamilyEndpointDetailedSerializer, "spacecraft"
    ) == shape.Listing(
        families.remote_field.through,
        "spacecraftconfigfamily_id",
        "spacecraftconfig__",
        models.SpacecraftConfig,
    )
    assert listing(serializers.ImageSerializer, "variants") == shape.Listing(
        models.ImageVariant, "image_id", "", models.ImageVariant
    )
    assert listing(
        serializers.AgencyEndpointDetailedSerializer, "spacecraft_list"
    ) == shape.Listing(models.SpacecraftConfig, "agency_id", "", models.SpacecraftConfig)


class StatusAsConfigType(serializers.SpacecraftNormalSerializer):
    status = serializers.SpacecraftConfigTypeSerializer()


def test_a_nested_serializer_must_render_its_relations_target():
    with pytest.raises(
        shape.UndeclaredShape,
        match="key 'status': SpacecraftConfigTypeSerializer renders SpacecraftConfigType, "
        "not SpacecraftStatus",
    ):
        shape.keys(StatusAsConfigType)
    # The fast renderer reads the same answer: no plan, so the view renders with DRF.
    assert rendering.plan_for(StatusAsConfigType) is None


def test_a_key_computed_by_the_model_leaves_the_fast_renderer_out():
    """``label`` reads ``__str__``: nothing stored, so no plan (the DRF serializer answers)."""
    assert rendering.plan_for(StatusWithLabel) is None
    assert rendering.plan_for(serializers.SpacecraftStatusSerializer) is not None


# --- the fast renderer --------------------------------------------------------------------


@pytest.fixture
def rows(db):
    for number, label in enumerate(("A", "B")):
        craft = factories.rich_spacecraft(label)
        factories.flight(craft, factories.launch(number), landing=factories.landing(number + 1))


def check_keys(serializer_class, data, seen):
    """``data`` has the serializer's keys in order, and so has every nested object."""
    assert list(data) == serializer_keys(serializer_class), serializer_class.__name__
    seen.add(serializer_class)
    for name, field in serializer_class().fields.items():
        value = data[name]
        if isinstance(field, drf.ListSerializer) and isinstance(field.child, drf.ModelSerializer):
            for item in value:
                check_keys(type(field.child), item, seen)
        elif isinstance(field, drf.ModelSerializer) and value is not None:
            check_keys(type(field), value, seen)


@pytest.mark.parametrize("serializer_class", REPRESENTATIONS, ids=component_name)
def test_fast_renderer_writes_the_serializers_keys_in_order(rows, serializer_class):
    plan = rendering.plan_for(serializer_class)
    assert plan is not None, "the fast renderer compiles every representation"
    ids = list(serializer_class.Meta.model.objects.order_by("id").values_list("id", flat=True))
    assert ids
    request = Request(APIRequestFactory().get("/2.3.0/spacecraft/"))
    rendered = plan.render(plan.fetch(ids), request)
    assert len(rendered) == len(ids)
    seen = set()
    for data in rendered:
        check_keys(serializer_class, data, seen)
    # Every nested representation was met with data, not just the root.
    expected, todo = set(), [serializer_class]
    while todo:
        current = todo.pop()
        if current not in expected:
            expected.add(current)
            todo.extend(nested_classes(current))
    assert seen == expected


# --- the OpenAPI document -------------------------------------------------------------------


@pytest.fixture(scope="module")
def document(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/2.3.0/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


@pytest.mark.parametrize("serializer_class", REPRESENTATIONS, ids=component_name)
def test_openapi_component_has_the_serializers_keys_in_order(document, serializer_class):
    component = document[component_name(serializer_class)]
    assert list(component["properties"]) == serializer_keys(serializer_class)


@pytest.mark.parametrize("serializer_class", REPRESENTATIONS, ids=component_name)
def test_required_keys_are_the_documents(document, serializer_class):
    """``declarations.required_keys`` (which the importer reads) says what the document says."""
    component = document[component_name(serializer_class)]
    assert sorted(declarations.required_keys(serializer_class)) == sorted(component["required"])


# --- the importer ---------------------------------------------------------------------------


MODELS = list(dict.fromkeys(s.Meta.model for s in REPRESENTATIONS))
# The documents a flight holds, kept as LL2 sent them: kinds of their own.
DOCUMENT_MODELS = [models.Launch, models.Landing]


def test_every_model_a_representation_renders_is_an_importer_kind():
    assert sorted(m.__name__ for m in MODELS + DOCUMENT_MODELS) == sorted(
        kind.model.__name__ for kind in importer.KINDS.values()
    )
    for model in DOCUMENT_MODELS:
        kind = importer.KINDS[importer.kind_name(model)]
        assert kind.component and kind.fields == ()


@pytest.mark.parametrize("serializer_class", REPRESENTATIONS, ids=component_name)
def test_importer_accepts_the_representations_keys_in_order(serializer_class):
    keys = stored_keys(serializer_class)
    accepted = accepted_keys(kind_of(serializer_class.Meta.model))
    assert [key for key in accepted if key in keys] == keys


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_importer_accepts_only_the_keys_the_forms_store(model):
    kind = kind_of(model)
    accepted = accepted_keys(kind)
    written = {key for form in forms_of(model) for key in stored_keys(form)}
    assert len(accepted) == len(set(accepted))
    assert set(accepted) == written | set(IMPORT_ONLY.get(kind.name, ()))


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_importer_requires_what_the_document_requires_in_every_form(document, model):
    kind = kind_of(model)
    in_every_form = set.intersection(
        *(set(document[component_name(form)]["required"]) for form in forms_of(model))
    )
    stored = {key for form in forms_of(model) for key in stored_keys(form)}
    assert kind.required[0] == "id"
    assert set(kind.required) == in_every_form & stored


def test_required_keys_are_the_ones_ll2_requires_in_a_spacecraft_record():
    """The derived lists, spelled out: what a file must carry for each object."""
    required = {name: kind.required for name, kind in importer.KINDS.items()}
    assert required["spacecraft"] == (
        "id",
        "name",
        "image",
        "time_in_space",
        "time_docked",
        "flights_count",
        "status",
        "description",
        "spacecraft_config",
        "fastest_turnaround",
    )
    assert required["configuration"] == ("id", "name", "type", "agency", "family", "image")
    assert required["agency"] == ("id", "name", "type")
    assert required["family"] == ("id", "name")
    assert required["image"] == ("id", "name", "image_url", "thumbnail_url", "license", "variants")
    assert required["image variant"] == ("id", "type", "image_url")
    assert required["status"] == required["configuration type"] == ("id", "name")
    for name in ("license", "variant type", "country", "agency type"):
        assert required[name] == ("id",)


@pytest.mark.parametrize("kind_name", list(importer.KINDS))
def test_importer_checks_follow_the_model_fields(kind_name):
    kind = importer.KINDS[kind_name]
    for spec in kind.fields:
        if isinstance(spec, importer.NestedList):
            target = importer.KINDS[spec.kind].model
            if spec.children:
                parent = target._meta.get_field(spec.parent_key.removesuffix("_id"))
                assert parent.related_model is kind.model
                assert parent.remote_field.on_delete is db_models.CASCADE
            else:
                assert kind.model._meta.get_field(spec.attr).related_model is target
            continue
        field = kind.model._meta.get_field(spec.attr or spec.key)
        assert spec.nullable == field.null, spec.key
        if isinstance(spec, importer.Nested):
            assert importer.KINDS[spec.kind].model is field.related_model
            continue
        assert spec.column == field.attname
        if isinstance(field, db_models.CharField):
            spec.convert("x" * field.max_length)
            with pytest.raises(values.Invalid, match=f"longer than {field.max_length}"):
                spec.convert("x" * (field.max_length + 1))
        elif isinstance(field, db_models.DurationField):
            assert spec.convert("PT1M49S").total_seconds() == 109
        if isinstance(field, db_models.IntegerField) and any(
            getattr(v, "limit_value", None) == 0 for v in field.validators
        ):
            with pytest.raises(values.Invalid, match="must not be negative"):
                spec.convert(-1)


# The importer's check of each model field type: tests/test_fieldtypes.py (the registry).


def test_write_order_puts_every_kind_after_those_it_points_at():
    position = {name: index for index, name in enumerate(importer.WRITE_ORDER)}
    assert sorted(position) == sorted(importer.KINDS)
    for name, kind in importer.KINDS.items():
        for spec in kind.fields:
            if isinstance(spec, importer.Nested) and spec.kind != name:
                assert position[spec.kind] < position[name], (spec.kind, name)
            elif isinstance(spec, importer.NestedList):
                before, after = (name, spec.kind) if spec.children else (spec.kind, name)
                assert position[before] < position[after], (before, after)


def test_write_order_sorts_models_given_in_any_order():
    given = [kind.model for kind in importer.KINDS.values()][::-1]
    order = shape.write_order(given)
    assert sorted(order, key=str) == sorted(given, key=str)
    position = {model: index for index, model in enumerate(order)}
    for model in order:
        for field in model._meta.get_fields():
            target = field.related_model
            if field.concrete and field.is_relation and target in position and target is not model:
                assert position[target] < position[model], (target, model)


# --- the DRF path's joins -----------------------------------------------------------------


def test_joins_are_read_from_the_serializer():
    """What ``selectors`` reads from a serializer's nesting, spelled out for one."""
    related, lists = selectors.joins(serializers.SpacecraftNormalSerializer)
    assert related == (
        "image",
        "image__license",
        "status",
        "spacecraft_config",
        "spacecraft_config__type",
        "spacecraft_config__agency",
        "spacecraft_config__agency__type",
        "spacecraft_config__image",
        "spacecraft_config__image__license",
    )
    assert lists == (
        ("image__variants", serializers.ImageVariantSerializer),
        ("spacecraft_config__families", serializers.SpacecraftConfigFamilyNormalSerializer),
        ("spacecraft_config__image__variants", serializers.ImageVariantSerializer),
    )


@pytest.mark.parametrize("serializer_class", REPRESENTATIONS, ids=component_name)
def test_querysets_join_what_the_serializer_nests_in_id_order(serializer_class):
    queryset = selectors.queryset_for(serializer_class)
    assert queryset.model is serializer_class.Meta.model
    # The model's order: by id (flights: by launch date, then id).
    assert list(queryset.query.order_by) == list(queryset.model._meta.ordering)
    assert queryset.query.order_by[-1] == "id"
    related, lists = selectors.joins(serializer_class)
    assert set(related) == set(flatten(queryset.query.select_related))
    assert [p.prefetch_through for p in queryset._prefetch_related_lookups] == [p for p, _ in lists]
    for lookup, (_, listed) in zip(queryset._prefetch_related_lookups, lists, strict=True):
        assert isinstance(lookup, Prefetch)
        assert lookup.queryset.model is listed.Meta.model
        assert list(lookup.queryset.query.order_by) == list(lookup.queryset.model._meta.ordering)


def flatten(select_related, prefix=""):
    if select_related is False:
        return
    for name, nested in select_related.items():
        yield prefix + name
        yield from flatten(nested, f"{prefix}{name}__")


# --- fields of our own ---------------------------------------------------------------------


def own_field_problems(own_fields):
    """What is wrong with a declaration of fields of our own (``declarations.OWN_FIELDS``):
    a key its serializer does not write, or a key some LL2 component has (the tests that
    compare with LL2's data leave own keys out by name, so none may be LL2's)."""
    from . import schema

    ll2_keys = {
        key for component in schema.components().values() for key in component.get("properties", {})
    }
    found = []
    for serializer_class, names in own_fields.items():
        written = serializer_class().fields
        for name in names:
            if name not in written:
                found.append(f"{serializer_class.__name__}.{name}: not a key it writes")
            if name in ll2_keys:
                found.append(f"{serializer_class.__name__}.{name}: a key LL2 sends")
    return found


def test_the_own_fields_are_keys_we_write_and_ll2_never_sends():
    assert own_field_problems(declarations.OWN_FIELDS) == []


def test_a_wrong_own_field_is_named():
    planted = {serializers.SpacecraftNormalSerializer: ("description", "notes_of_ours")}
    assert own_field_problems(planted) == [
        "SpacecraftNormalSerializer.description: a key LL2 sends",
        "SpacecraftNormalSerializer.notes_of_ours: not a key it writes",
    ]


def test_own_fields_are_inherited_by_the_subclasses(monkeypatch):
    monkeypatch.setattr(
        declarations, "OWN_FIELDS", {serializers.SpacecraftNormalSerializer: ("x", "y")}
    )
    assert declarations.own_fields_of(serializers.SpacecraftEndpointDetailedSerializer) == [
        "x",
        "y",
    ]
    assert declarations.own_fields_of(serializers.AgencyNormalSerializer) == []
    assert declarations.own_keys() == {"x", "y"}


def test_the_comparisons_with_ll2_leave_the_own_keys_out(monkeypatch):
    from .conftest import as_ll2

    monkeypatch.setattr(
        declarations, "OWN_FIELDS", {serializers.SpacecraftNormalSerializer: ("note",)}
    )
    payload = {"note": 1, "a": [{"b": 3, "note": 2}], "c": {"note": None}, "d": "é\u2028"}
    assert list(as_ll2(payload).items()) == [("a", [{"b": 3}]), ("c", {}), ("d", "é\u2028")]
