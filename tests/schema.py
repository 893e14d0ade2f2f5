"""LL2's official OpenAPI components as JSON Schema, for ``jsonschema``.

An OpenAPI 3.0 schema object is not quite JSON Schema. The translation:

* ``nullable: true`` means "or null": the translated schema becomes
  ``{"anyOf": [{"type": "null"}, <the rest>]}``. This also covers LL2's
  ``{"allOf": [{"$ref": ...}], "nullable": true}`` (a nested object or
  null), which plain JSON Schema would read as "never null".
* ``$ref: "#/components/schemas/X"`` points at ``#/$defs/X`` of one
  self-contained document holding every component, so references (also
  recursive ones) resolve inside it. As in OpenAPI 3.0, keys next to a
  ``$ref`` are ignored.
* ``oneOf`` with a ``discriminator`` picks the schema named by the
  discriminator property (``response_mode``), as OpenAPI clients do: the
  property must hold a mapped value and the object must match that value's
  schema. Plain ``oneOf`` would refuse LL2's own records, because a normal
  record is also a valid mini record (components are open objects).
* OpenAPI 3.0's boolean ``exclusiveMinimum``/``exclusiveMaximum`` become
  JSON Schema's numeric ones; ``discriminator``, ``example``, ``xml`` and
  ``externalDocs`` are dropped.

Two options make the check stricter than the document itself, for our own
output: ``closed`` refuses keys a component does not declare (LL2's
components never combine property sets, so closing each is safe), and
``pin_defaults`` requires a read-only property with a default to hold that
default (LL2's ``response_mode``: ``SpacecraftNormal`` says ``"normal"``).

Formats: ``date`` is checked; ``uri`` must be an absolute http(s) URL or
empty (LL2 sends ``""`` for a blank URL field such as ``wiki_link``).
"""

from spacecraft.ll2schema import (  # noqa: F401  (re-exported for the tests)
    COMPONENT_REF,
    FORMATS,
    SCHEMA_FILE,
    component_name,
    components,
    json_schema,
    openapi,
    problems,
    translate,
    validator,
)

# The agency's launch and landing statistics, which our catalogue does not
# keep: our detailed agency leaves these keys of LL2's out (none is required).
AGENCY_STATISTICS = [
    "total_launch_count",
    "consecutive_successful_launches",
    "successful_launches",
    "failed_launches",
    "pending_launches",
    "consecutive_successful_landings",
    "successful_landings",
    "failed_landings",
    "attempted_landings",
    "successful_landings_spacecraft",
    "failed_landings_spacecraft",
    "attempted_landings_spacecraft",
    "successful_landings_payload",
    "failed_landings_payload",
    "attempted_landings_payload",
]

# --- walking a payload alongside its schema ------------------------------------------


def properties(name):
    """The property names of component ``name``, in the document's order."""
    return list(components()[name]["properties"])


def objects(name, instance, path="$"):
    """(path, component name, object) for every object of ``instance`` that a
    named component describes, ``instance`` itself included, following
    properties, arrays, ``allOf`` and discriminated ``oneOf``."""
    yield from _walk({"$ref": COMPONENT_REF + name}, instance, path)


def _walk(node, instance, path, name=None):
    if instance is None:
        return
    if "$ref" in node:
        name = component_name(node["$ref"])
        yield from _walk(components()[name], instance, path, name)
        return
    for part in node.get("allOf", ()):
        yield from _walk(part, instance, path)
    if "oneOf" in node and "discriminator" in node and isinstance(instance, dict):
        prop = node["discriminator"]["propertyName"]
        target = node["discriminator"]["mapping"].get(instance.get(prop))
        if target:
            yield from _walk({"$ref": target}, instance, path)
    if "properties" in node and isinstance(instance, dict):
        if name:
            yield path, name, instance
        for key, schema in node["properties"].items():
            if key in instance:
                yield from _walk(schema, instance[key], f"{path}.{key}")
    if "items" in node and isinstance(instance, list):
        for index, item in enumerate(instance):
            yield from _walk(node["items"], item, f"{path}[{index}]")
