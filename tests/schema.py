"""LL2's official OpenAPI components as JSON Schema, for the tests (``jsonschema``).

The translation from OpenAPI 3.0 and its options are ``spacecraft/ll2schema.py``'s (the
importer and the admin check launches and landings with it too); this module adds
what only the tests use.
"""

from jsonschema import Draft7Validator

from spacecraft.ll2schema import (  # noqa: F401  (re-exported for the tests)
    COMPONENT_REF,
    SCHEMA_FILE,
    component_name,
    components,
    json_schema,
    openapi,
    problems,
    translate,
    validator,
)

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


def openapi_validator(document, name):
    """A JSON Schema validator for one component (OpenAPI 3.0 ``nullable`` made JSON Schema)."""
    return Draft7Validator(
        {
            "$ref": f"#/components/schemas/{name}",
            "components": {"schemas": as_json_schema(document["components"]["schemas"])},
        }
    )


def as_json_schema(node):
    if isinstance(node, list):
        return [as_json_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
        else:
            return {"anyOf": [node, {"type": "null"}]}
    node.pop("discriminator", None)
    return node
