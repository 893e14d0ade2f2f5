"""The OpenAPI document at ``/2.3.0/schema/``, shaped after LL2's official one.

drf-spectacular generates it from the viewsets and serializers. This module
adds only what cannot be read from them:

- the component names where ours differ from LL2's (``COMPONENT_NAMES``,
  ``POLYMORPHIC_NAMES``);
- the list responses as LL2 types them: one of the mode representations,
  told apart by ``response_mode`` (built from each viewset's
  ``representations``, the same mapping the view answers with);
- the few fields LL2's serializers declare differently from what our models
  imply (``LL2_DECLARATIONS``), so that a client generated from our document
  has the same types as one generated from LL2's;
- two corrections where LL2's document does not fit what LL2 sends: each
  ``response_mode`` has a pattern, so a detailed record matches exactly one
  branch of a ``oneOf``, and links that may be blank have no ``uri`` format;
- the ``mode`` and ``format`` parameters and our error answers (400, 401, 404,
  405, 406, 429), which LL2's document leaves out;
- API keys as LL2 declares them (its ``Token_Authentication`` scheme, copied from
  its document), and ``/2.3.0/api-throttle/``.

The schema is the same on every database: integer bounds are those of a
PostgreSQL ``integer`` column (``fieldtypes``), which is what LL2 documents,
even where SQLite would store more.
"""

import copy

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers

from spacecraft import fieldtypes, ll2schema, shape
from spacecraft.api.views import APIThrottleView, mode_order
from spacecraft.declarations import declaration_of

# Serializers whose LL2 component name is not their class name less "Serializer".
COMPONENT_NAMES = {}

# The name LL2 gives each endpoint's "one of the modes" component.
POLYMORPHIC_NAMES = {
    "SpacecraftViewSet": "PolymorphicSpacecraftEndpoint",
    "SpacecraftConfigViewSet": "PolymorphicSpacecraftConfigurationEndpoint",
    "AgencyViewSet": "PolymorphicAgencyEndpoint",
    "SpacecraftConfigFamilyViewSet": "PolymorphicSpacecraftConfigFamilyEndpoint",
    "SpacecraftFlightViewSet": "PolymorphicSpacecraftFlightEndpoint",
}

# --- our custom serializer fields ---------------------------------------------


class ResponseModeFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "spacecraft.fields.ResponseModeField"

    def map_serializer_field(self, auto_schema, direction):
        # LL2 writes only the default. The pattern makes the modes' schemas
        # exclusive, as ``oneOf`` requires: without it a detailed record also
        # validates as a normal one (it has every normal key).
        mode = self.target.mode
        return {"type": "string", "readOnly": True, "default": mode, "pattern": f"^{mode}$"}


class DetailURLFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "spacecraft.fields.DetailURLField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "format": "uri", "readOnly": True}


class ISODurationFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "spacecraft.fields.ISODurationField"
    match_subclasses = True  # time_in_space's GrowingDurationField (figures.py) too

    def map_serializer_field(self, auto_schema, direction):
        schema = {"type": "string", "readOnly": True}
        if self.target.allow_null or _model_field_is_nullable(self.target):
            schema["nullable"] = True
        return schema


class DocumentFieldSchema(OpenApiSerializerFieldExtension):
    """A stored LL2 document: LL2's own component (copied into ours by ``postprocess``)."""

    target_class = "spacecraft.documents.DocumentField"

    def map_serializer_field(self, auto_schema, direction):
        ref = {"$ref": COMPONENT_REF + self.target.component}
        if self.target.many_documents:
            return {"type": "array", "items": ref}
        if self.target.allow_null:
            # LL2's schema says otherwise, but real flights have no landing.
            return {"allOf": [ref], "nullable": True}
        return ref


def _model_field_is_nullable(field):
    """Whether the column a key reads (``shape.keys``) may be null."""
    model_field = _columns(type(field.parent)).get(field.field_name)
    return model_field is not None and model_field.null


# --- API keys -------------------------------------------------------------------


class APIKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """``Authorization: Token <key>``: LL2's own ``Token_Authentication`` scheme, as its
    document declares it. Every operation also allows no key (``{}``)."""

    target_class = "spacecraft.api.throttling.APIKeyAuthentication"
    name = "Token_Authentication"

    def get_security_definition(self, auto_schema):
        return copy.deepcopy(ll2schema.openapi()["components"]["securitySchemes"][self.name])


UNAUTHORIZED = (
    "The `Authorization: Token <key>` header names no API key, or a revoked one "
    '(`{"detail": "Invalid token."}`, `{"detail": "This API key has been revoked."}`).'
)


# --- error bodies ---------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """An error: `{"detail": "Not found."}`."""

    detail = serializers.CharField()


class ParameterErrorsSerializer(serializers.Serializer):
    """Each invalid query parameter with its messages: `{"status": ["..."]}`."""


class ParameterErrorsSchema(OpenApiSerializerExtension):
    target_class = ParameterErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": ParameterErrorsSerializer.__doc__,
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "minProperties": 1,
        }


class RefusedSerializer(serializers.Serializer):
    """A request Django refuses before the API sees it (more than 1,000 query parameters, a
    `Host` not in `ALLOWED_HOSTS`): `{"error": "Bad Request (400)"}`."""

    error = serializers.CharField()


def _bad_request(with_filters):
    """The 400 body: a filter's errors (endpoints with filters) or Django's own refusal."""
    if not with_filters:
        return _error("Django refused the request.", RefusedSerializer)
    return _error(
        "A filter parameter has an invalid value, or Django refused the request.",
        PolymorphicProxySerializer(
            component_name="BadRequest",
            serializers=[ParameterErrorsSerializer, RefusedSerializer],
            resource_type_field_name=None,
        ),
    )


def _method_and_format_errors():
    return {
        405: _error("A method other than GET or HEAD."),
        406: _error(
            "The `Accept` header names no format this server writes (JSON, or the browsable "
            "API's HTML)."
        ),
    }


def _error(description, serializer=ErrorSerializer):
    return OpenApiResponse(response=serializer, description=description)


# --- the schema of one operation -----------------------------------------------


class LL2AutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, reading LL2 viewsets' own attributes."""

    def get_serializer_name(self, serializer, direction):
        return COMPONENT_NAMES.get(type(serializer)) or super().get_serializer_name(
            serializer, direction
        )

    def get_description(self):
        if hasattr(self.view, "representations"):
            return self.view.get_view_description()
        return super().get_description()

    def get_override_parameters(self):
        parameters = [
            OpenApiParameter(
                "format",
                str,
                enum=["json", "api"],
                description="`json`, or `api` for the browsable API's HTML page.",
            ),
            OpenApiParameter(
                "WWW-Authenticate",
                str,
                location=OpenApiParameter.HEADER,
                response=[401],
                description="How to send a key: `Token`.",
            ),
            OpenApiParameter(
                "Allow",
                str,
                location=OpenApiParameter.HEADER,
                response=[405],
                description="The methods this URL answers: `GET`.",
            ),
        ]
        if not isinstance(self.view, APIThrottleView):  # always allowed
            parameters.append(
                OpenApiParameter(
                    "Retry-After",
                    int,
                    location=OpenApiParameter.HEADER,
                    response=[429],
                    description="Seconds until the next call is allowed.",
                )
            )
        modes = self._list_modes()
        if len(modes) > 1:
            parameters.append(
                OpenApiParameter(
                    "mode",
                    str,
                    enum=modes,
                    description=(
                        f"Level of detail of each record (default `{self._default_mode()}`; "
                        "an unknown mode answers in the default)."
                    ),
                )
            )
        return parameters

    def get_response_serializers(self):
        view = self.view
        if isinstance(view, APIThrottleView):  # always allowed: no 429
            return {
                200: view.serializer_class,
                400: _bad_request(with_filters=False),
                401: _error(UNAUTHORIZED),
                404: _error("An unknown `format`."),
                **_method_and_format_errors(),
            }
        if not hasattr(view, "representations"):
            return super().get_response_serializers()
        responses = {200: self._success_serializer()}
        responses[400] = _bad_request(getattr(view, "filterset_class", None) is not None)
        responses[401] = _error(UNAUTHORIZED)
        responses[404] = _error(
            "No such record (or it does not pass the filters), or an unknown `format`."
        )
        responses.update(_method_and_format_errors())
        responses[429] = _error("Too many calls: wait `Retry-After` seconds.")
        return responses

    def _list_modes(self):
        if getattr(self.view, "action", None) != "list":
            return []
        return mode_order(list(getattr(self.view, "representations", {})))

    def _default_mode(self):
        return next(iter(self.view.representations))

    def _success_serializer(self):
        view = self.view
        representations = view.representations
        if view.action == "retrieve" and view.detail_mode:
            return representations[view.detail_mode]
        if view.action == "list" and len(representations) > 1:
            return PolymorphicProxySerializer(
                component_name=POLYMORPHIC_NAMES[type(view).__name__],
                serializers={mode: representations[mode] for mode in self._list_modes()},
                resource_type_field_name="response_mode",
            )
        return representations[self._default_mode()]

    # --- components --------------------------------------------------------------

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        declared = declaration_of(field.parent, field.field_name).get("schema")
        if declared is not None:
            return copy.deepcopy(declared)
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        columns = _columns(type(serializer))
        for name, prop in properties.items():
            _normalise(prop)
            if name in columns:
                _column_type(prop, columns[name])
            declaration = declaration_of(serializer, name)
            prop.update(declaration.get("keys", {}))
            if "required" in declaration:
                (required.add if declaration["required"] else required.discard)(name)
        if required:
            schema["required"] = sorted(required)
        else:
            schema.pop("required", None)
        return schema


def _normalise(prop):
    """Write one property as LL2's generator wrote its equivalent.

    - A URL field that may be blank: drf-spectacular writes ``oneOf: [uri,
      empty string]``, which generated clients turn into a union type. LL2
      writes ``string`` with ``format: uri``, yet sends ``""`` for a missing
      link, which that format forbids. We write a plain ``string``: the type
      LL2 documents, without a format the value may break.
    """
    alternatives = prop.get("oneOf")
    if (
        alternatives
        and len(alternatives) == 2
        and alternatives[1] == {"type": "string", "maxLength": 0}
        and alternatives[0].get("format") == "uri"
    ):
        del prop["oneOf"]
        prop.update(alternatives[0])
        del prop["format"]
        prop["description"] = 'A URL, or "" when there is none.'


def _columns(serializer_class):
    """{key: model field} of the keys of a representation that read a column."""
    if getattr(getattr(serializer_class, "Meta", None), "model", None) is None:
        return {}
    return {
        key.name: key.model_field
        for key in shape.keys(serializer_class)
        if key.reads == shape.COLUMN
    }


def _column_type(prop, model_field):
    """What the field types' registry says of every column of this type, whatever the
    database (``FieldType.openapi``): an integer has the bounds of a PostgreSQL
    ``integer`` column, which LL2 documents, and no ``int64`` format, whatever range
    the current backend would allow."""
    declared = fieldtypes.of(model_field).openapi
    if "maximum" in declared:
        if prop.get("format") == "int64":
            del prop["format"]
        if "maximum" in prop:
            prop["maximum"] = min(prop["maximum"], declared["maximum"])
        if "minimum" in prop:
            prop["minimum"] = max(prop["minimum"], declared["minimum"])


# --- the whole document ----------------------------------------------------------


COMPONENT_REF = ll2schema.COMPONENT_REF


def _official_components(result):
    """LL2's components our document refers to but does not generate: the stored
    documents' (``LaunchNormal``, ``Landing``...) and all they refer to, as LL2 has
    them, with the ``response_mode`` pattern ours adds to every component."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    official = ll2schema.components()
    todo = sorted(_refs(result))
    while todo:
        name = todo.pop()
        if name in schemas or name not in official:
            continue
        schema = schemas[name] = copy.deepcopy(official[name])
        mode = schema.get("properties", {}).get("response_mode")
        if mode and mode.get("readOnly") and "default" in mode:
            mode["pattern"] = f"^{mode['default']}$"
        todo.extend(sorted(_refs(schema)))
    result["components"]["schemas"] = dict(sorted(schemas.items()))


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(COMPONENT_REF):
                yield value[len(COMPONENT_REF) :]
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def postprocess(result, generator, request, public):
    """LL2's own components for the stored documents; every answer can also come as
    the browsable API's HTML (``?format=api``)."""
    _official_components(result)
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content")
                if content and "application/json" in content:
                    content.setdefault("text/html", {"schema": {"type": "string"}})
    return result
