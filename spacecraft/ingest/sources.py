"""Where a record came from, and so its kind.

Each LL2 list endpoint serves records of one kind, in the forms its
polymorphic component maps ``response_mode`` to, as LL2's OpenAPI document
declares them (``spacecraft.ll2schema``): ``/2.3.0/spacecraft/`` serves
``SpacecraftNormal`` and ``SpacecraftEndpointDetailed``,
``/2.3.0/spacecraft_flights/`` ``SpacecraftFlightNormal`` and
``SpacecraftFlightDetailed``. Each component is one of our serializers (its
name less "Serializer"), whose model is the importer kind of the records.

- A sync (``import_ll2 --from URL``) knows the endpoint from the URL's path:
  ``endpoint_of_url``.
- A file says it record by record, with the keys LL2 declares: a record
  belongs to the endpoint whose form (the one its ``response_mode`` names,
  or every form without it) requires a key that no other imported
  endpoint's forms declare at all (a spacecraft's ``spacecraft_config``, a
  flight's ``launch``): ``endpoint_of_record``.

``IMPORTED`` names the endpoints a file or a sync may hold (``/2.3.0/agencies/`` too, whose
pages alone carry an agency's statistics); naming one is all another endpoint needs here.
"""

import functools
from dataclasses import dataclass

from spacecraft import ll2schema, shape
from spacecraft import values as checks
from spacecraft.ingest.errors import ImportFailure
from spacecraft.ingest.kinds import KINDS, kind_name
from spacecraft.ingest.words import plural_of

# The list endpoints records are imported from, as LL2's paths name them (after the version).
IMPORTED = ("spacecraft", "spacecraft_flights", "agencies")


@dataclass(frozen=True)
class Endpoint:
    name: str  # "spacecraft_flights": the path after the version
    path: str  # "/2.3.0/spacecraft_flights/", as LL2's document writes it
    kind: str  # the importer kind of its records ("flight")
    forms: dict  # response_mode -> the component's name
    required: dict  # response_mode -> frozenset of the keys that form requires
    declared: frozenset  # every key any of its forms declares

    @property
    def noun(self):
        """What its records are called in messages: the kind, in the plural."""
        return plural_of(self.kind)


def _ref(schema):
    return ll2schema.component_name(schema["$ref"])


def _forms(component_name):
    """{response_mode: component name} of a list's item component."""
    component = ll2schema.components()[component_name]
    discriminator = component.get("discriminator")
    if discriminator is None:
        return {None: component_name}
    return {mode: ll2schema.component_name(ref) for mode, ref in discriminator["mapping"].items()}


def _endpoint(path, operation):
    name = path.strip("/").split("/", 1)[1]
    page = _ref(operation["responses"]["200"]["content"]["application/json"]["schema"])
    items = ll2schema.components()[page]["properties"]["results"]["items"]
    forms = _forms(_ref(items))
    serializers = {cls.__name__.removesuffix("Serializer"): cls for cls in shape.representations()}
    models = set()
    for component in forms.values():
        if component not in serializers:
            raise shape.UndeclaredShape(f"{path}: no serializer renders LL2's {component}")
        models.add(shape.model_of(serializers[component]))
    if len(models) != 1:
        raise shape.UndeclaredShape(f"{path}: its forms render {len(models)} models, not one")
    kind = kind_name(models.pop())
    if kind not in KINDS or KINDS[kind].component:
        raise shape.UndeclaredShape(f"{path}: {kind} is not a kind the importer writes")
    components = ll2schema.components()
    return Endpoint(
        name=name,
        path=path,
        kind=kind,
        forms=forms,
        required={mode: frozenset(components[c]["required"]) for mode, c in forms.items()},
        declared=frozenset(key for c in forms.values() for key in components[c]["properties"]),
    )


def _derive_endpoints():
    found = {}
    for path, item in ll2schema.openapi()["paths"].items():
        if "{" in path or "get" not in item:
            continue
        name = path.strip("/").split("/", 1)[1]
        if name in IMPORTED:
            found[name] = _endpoint(path, item["get"])
    missing = [name for name in IMPORTED if name not in found]
    if missing:
        raise shape.UndeclaredShape(f"LL2's document has no list endpoint {', '.join(missing)}")
    return {name: found[name] for name in IMPORTED}


ENDPOINTS = _derive_endpoints()


def _marks():
    """{endpoint name: {response_mode: the keys that tell its records from the others'}}."""
    marks = {}
    for name, endpoint in ENDPOINTS.items():
        others = frozenset().union(*(e.declared for e in ENDPOINTS.values() if e is not endpoint))
        marks[name] = {mode: keys - others for mode, keys in endpoint.required.items()}
    return marks


MARKS = _marks()


def endpoint_of_url(path):
    """The endpoint a sync's URL path reads (``/2.3.0/spacecraft_flights/``), or None.

    The path may sit under a prefix (a proxy's); a missing final slash is allowed.
    """
    path = path if path.endswith("/") else path + "/"
    for endpoint in ENDPOINTS.values():
        if path.endswith(endpoint.path):
            return endpoint
    return None


def paths():
    """The imported endpoints' paths, for messages."""
    return ", ".join(endpoint.path for endpoint in ENDPOINTS.values())


@functools.lru_cache(maxsize=16)  # a file's modes are few; a hostile one's need no memory
def _marks_for(mode):
    """[(endpoint, the keys that tell its records)] for a record's ``response_mode``.

    A mode one endpoint's forms have (``list``, were agencies imported) leaves out the
    others; no mode, or one no endpoint has, means every form of every endpoint.
    """
    if not any(mode in endpoint.forms for endpoint in ENDPOINTS.values()):
        mode = None
    return [
        (endpoint, MARKS[name][mode] if mode is not None else _all_marks(name))
        for name, endpoint in ENDPOINTS.items()
        if mode is None or mode in endpoint.forms
    ]


@functools.cache
def _all_marks(name):
    return frozenset().union(*MARKS[name].values())


def endpoint_of_record(record, where):
    """The endpoint a record of a file came from, by the keys LL2 declares (see above)."""
    if not isinstance(record, dict):
        return ENDPOINTS[IMPORTED[0]]  # refused by the kind's own check, with its message
    mode = record.get("response_mode")
    candidates = _marks_for(mode if isinstance(mode, str) else None)
    found = [(endpoint, marks) for endpoint, marks in candidates if not marks.isdisjoint(record)]
    if len(found) == 1:
        return found[0][0]
    pk = f" (id {checks.short(record['id'])})" if "id" in record else ""
    if not found:
        keys = "; ".join(f"{e.noun}: {', '.join(sorted(marks))}" for e, marks in candidates)
        raise ImportFailure(
            f"{where}{pk}: not a record of {paths()}: it has none of the keys LL2 "
            f"declares for one of them only ({keys})"
        )
    keys = " and of ".join(
        f"{e.noun} ({', '.join(sorted(marks & record.keys()))})" for e, marks in found
    )
    raise ImportFailure(f"{where}{pk}: has keys of {keys}: a record comes from one of {paths()}")
