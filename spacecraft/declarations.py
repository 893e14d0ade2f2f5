"""What LL2 declares of a field beyond what our models and serializers imply.

Part of the one declaration of each representation: the serializers say the
keys, this says the few places where LL2's own OpenAPI document types or
requires a field differently (``LL2_DECLARATIONS``). The OpenAPI document
(``spacecraft.api.schema``) writes it; the importer reads the required keys
from it (``required_keys``), so both agree without one importing the other.
"""

from spacecraft import serializers as ll2

REQUIRED = {"required": True}
OPTIONAL = {"required": False}
# Relations we do not model yet: the key is always there, its list always empty.
NOT_MODELLED = {
    "schema": {
        "type": "array",
        "items": {"type": "object"},
        "maxItems": 0,
        "readOnly": True,
        "description": "Not modelled by this server: always an empty list.",
    },
    **REQUIRED,
}

# Fields that LL2's serializers declare themselves rather than take from the
# model, and so type differently from what ours would get from our models.
# Per serializer class (subclasses inherit), per field: schema keys to set,
# ``required`` to put the field in or out of the required list, or a whole
# ``schema``.
LL2_DECLARATIONS = {
    ll2.SpacecraftNormalSerializer: {"description": REQUIRED, "flights_count": REQUIRED},
    ll2.SpacecraftConfigNormalSerializer: {"family": {"nullable": True}},
    # LL2 sends the parent agency's name, read-only.
    ll2.AgencyNormalSerializer: {"parent": {"readOnly": True, **REQUIRED}},
    ll2.AgencyEndpointDetailedSerializer: {
        "social_media_links": NOT_MODELLED,
        "launcher_list": NOT_MODELLED,
    },
    ll2.AgencyTypeSerializer: {"name": OPTIONAL},
    ll2.CountrySerializer: {"name": OPTIONAL},
    ll2.ImageLicenseSerializer: {"name": OPTIONAL},
    ll2.ImageVariantTypeSerializer: {"name": OPTIONAL},
}


# Fields of our own: keys our serializers write that LL2 never sends (so neither its
# schema, nor its pages, nor the builder's records have them). Per serializer class
# (subclasses inherit), the keys. The tests that compare our answers with LL2's data
# leave these keys out of the comparison (``tests/conftest.py``: ``as_ll2``), and
# ``tests/test_declared_once.py`` checks that each is a key of its serializer and of no
# LL2 component. See docs/adding-a-field.md.
OWN_FIELDS = {}


def own_keys():
    """Every key of our own, whatever object writes it (an own key is never an LL2 key)."""
    return frozenset(name for names in OWN_FIELDS.values() for name in names)


def own_fields_of(serializer_class):
    """The keys of our own ``serializer_class`` writes (its own and its bases')."""
    return [
        name for klass in reversed(serializer_class.__mro__) for name in OWN_FIELDS.get(klass, ())
    ]


def required_keys(serializer_class):
    """The keys our document's component for ``serializer_class`` lists as required.

    As ``LL2AutoSchema`` decides, without generating the document: drf-spectacular
    requires a response field the serializer requires or that is read-only
    (its ``COMPONENT_NO_READ_ONLY_REQUIRED`` is off), then ``LL2_DECLARATIONS``
    puts fields in or out. In key order. (``tests/test_declared_once.py``
    checks it against the served document.)
    """
    serializer = serializer_class()
    required = []
    for name, field in serializer.fields.items():
        declaration = declaration_of(serializer, name)
        if "required" in declaration:
            wanted = declaration["required"]
        else:
            declared = declaration.get("schema")
            read_only = declared.get("readOnly", False) if declared else field.read_only
            wanted = field.required or read_only
        if wanted:
            required.append(name)
    return required


def declaration_of(serializer, field_name):
    """What ``LL2_DECLARATIONS`` says of a field, the subclass winning."""
    merged = {}
    for klass in reversed(type(serializer).__mro__):
        declaration = dict(LL2_DECLARATIONS.get(klass, {}).get(field_name, {}))
        if "required" in declaration:
            merged["required"] = declaration.pop("required")
        if "schema" in declaration:
            merged["schema"] = declaration.pop("schema")
        merged.setdefault("keys", {}).update(declaration)
    return merged
