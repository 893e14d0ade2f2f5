"""The compiled validator (``jsonschema_rs``) and the precise one (``jsonschema``) agree.

``ll2schema.problems`` trusts the compiled validator's "valid" and asks the
precise one otherwise. So a document is accepted wrongly only if the compiled
validator says valid where the precise one finds a problem; and a document
pays for the precise validator only where the compiled one says no. Both are
held here over LL2's real documents and documents mutated from them
(hypothesis): the real sample launches, a landing, a crew member and a
detailed spacecraft record, in the lenient mode (import) and the strict one
(our own output).

One difference is known and kept: ECMA 262's ``$`` (the compiled validator's
``pattern``) does not match before a final newline, Python's does; a launch
slug ending in a newline is valid for the precise validator only, and the
precise validator's answer stands.
"""

import copy
import re
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devtools import ll2shape
from devtools.catalogue import catalogue_records
from spacecraft import documents, ll2schema

# (component, real instances)
REAL = {
    "LaunchNormal": ll2shape.sample_launches(),
    "Landing": [ll2shape.landing_document(1)],
    "AstronautFlight": [ll2shape.astronaut_flight(1)],
    "SpacecraftEndpointDetailed": catalogue_records(),
}
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"  # LaunchNormal.slug's, in the official document

# Strings each format check, or LL2's data, makes a case of.
EDGE_STRINGS = [
    "",
    "\n",
    "slug-1\n",
    "http://",
    "https://example.org",
    "https://ll.thespacedevs.com/2.3.0/launches/x/?format=api",
    "ftp://example.org/x",
    "//example.org/x",
    "example.org",
    "2024-02-29",
    "2023-02-29",
    "2024-13-01",
    "2024-1-01",
    "2024-01-01T00:00:00Z",
    "not a date",
    "e3df2ecd-c239-472f-95e4-2b89b4f75800",
    "Союз 🚀\u2028",
    "normal",
    "detailed",
    "mini",
]
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 1, -1, 1.0, 0.5, 2**31, 2**31 - 1, 1e300]),
    st.sampled_from(EDGE_STRINGS),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(["id", "name", "url", "x"]), children, max_size=3),
    ),
    max_leaves=6,
)


def paths(value, path=()):
    """The path of every node of ``value``, its root included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*path, index))


def node(value, path):
    for step in path:
        value = value[step]
    return value


@st.composite
def mutated(draw):
    """(component, an instance: a real one with a few of its nodes changed)."""
    component = draw(st.sampled_from(sorted(REAL)))
    instance = copy.deepcopy(draw(st.sampled_from(REAL[component])))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(list(paths(instance))))
        if not path:
            continue
        parent, last = node(instance, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "url", "id"]))] = draw(JSON_VALUES)
        else:
            parent[last] = draw(JSON_VALUES)
    return component, instance


def _known_difference(component, instance):
    """A launch slug that only Python's ``$`` accepts (see the module docstring)."""
    slug = instance.get("slug") if isinstance(instance, dict) else None
    return (
        component == "LaunchNormal"
        and isinstance(slug, str)
        and slug.endswith("\n")
        and re.search(SLUG_PATTERN, slug) is not None
    )


def answers(component, instance, strict):
    fast = ll2schema.fast_says_valid(component, instance, strict, strict)
    precise = ll2schema.precise_problems(component, instance, strict, strict)
    return fast, precise


@pytest.mark.parametrize("strict", [False, True], ids=["import", "strict"])
@pytest.mark.parametrize("component", sorted(REAL))
def test_both_validators_accept_the_real_documents(component, strict):
    for instance in REAL[component]:
        assert answers(component, instance, strict) == (True, [])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.booleans())
def test_both_validators_agree_on_mutated_documents(case, strict):
    component, instance = case
    fast, precise = answers(component, instance, strict)
    if fast:  # trusted: the precise validator must agree
        assert precise == []
    elif not _known_difference(component, instance):
        assert precise != [], "the compiled validator refused a valid document"
    assert ll2schema.problems(component, instance, strict, strict) == precise


def test_mutations_reach_both_answers():
    """The mutations above are not all valid nor all invalid (the test could fail)."""
    launch = copy.deepcopy(REAL["LaunchNormal"][0])
    assert answers("LaunchNormal", launch, False) == (True, [])
    launch["net"] = 5
    assert answers("LaunchNormal", launch, False) == (False, ["$.net: 5 is not of type 'string'"])


def test_a_slug_ending_in_a_newline_is_the_precise_validators_call():
    launch = copy.deepcopy(REAL["LaunchNormal"][0])
    launch["slug"] = "falcon-9-block-5-starlink\n"
    assert answers("LaunchNormal", launch, False) == (False, [])
    assert ll2schema.problems("LaunchNormal", launch, False, False) == []
    documents.check("LaunchNormal", launch)  # accepted, as before the compiled validator
    launch["slug"] = "falcon 9"
    assert ll2schema.problems("LaunchNormal", launch, False, False) == [
        f"$.slug: 'falcon 9' does not match '{SLUG_PATTERN}'"
    ]


def test_formats_are_those_the_precise_validator_checks():
    """date and uri checked alike by both; date-time and uuid by neither."""
    launch = REAL["LaunchNormal"][0]
    crew = REAL["AstronautFlight"][0]
    cases = [
        ("LaunchNormal", launch, ("net",), "not a date-time", True),
        ("LaunchNormal", launch, ("id",), "not a uuid", True),
        ("LaunchNormal", launch, ("url",), "ftp://example.org/x", False),
        ("LaunchNormal", launch, ("url",), "", True),
        ("AstronautFlight", crew, ("astronaut", "date_of_birth"), "1967-02-29", False),
        ("AstronautFlight", crew, ("astronaut", "date_of_birth"), "1968-02-29", True),
        ("AstronautFlight", crew, ("astronaut", "date_of_birth"), "1968-2-29", False),
    ]
    for component, instance, path, value, valid in cases:
        changed = copy.deepcopy(instance)
        node(changed, path[:-1])[path[-1]] = value
        fast, precise = answers(component, changed, False)
        assert (fast, precise == []) == (valid, valid), (path, value)


def test_taking_format_off_links_cannot_change_validity():
    """A valid stored text is remembered (``documents.check``), and the stored text
    leaves out each hyperlink's ``?format=``: sound only while no ``url`` property of
    the official components says more than "a uri string"."""
    seen = set()
    for component in ll2schema.components().values():
        for name, prop in (component.get("properties") or {}).items():
            if name == "url":
                seen.add(tuple(sorted(set(prop) - {"readOnly", "nullable", "description"})))
                assert prop.get("format") == "uri" and prop.get("type") == "string"
    assert seen == {("format", "type")}


URI_PARTS = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTP://",
        "ftp://",
        "",
        "//",
        "a",
        "-",
        ".",
        ":",
        "8",
        "[",
        "]",
        "@",
        "/",
        "?",
        "#",
        " ",
        "\t",
        "\n",
        "\r",
        "é",
        "%20",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(URI_PARTS, max_size=8).map("".join))
def test_the_quick_uri_check_reads_links_as_urlsplit_does(value):
    """``_is_uri`` answers plain links without ``urlsplit``: the same answer."""
    try:
        parts = urlsplit(value)
    except ValueError:
        expected = False
    else:
        expected = value == "" or (parts.scheme in ("http", "https") and bool(parts.netloc))
    assert ll2schema.FORMATS["uri"](value) is expected


def test_a_url_urlsplit_cannot_read_is_refused_with_a_message():
    launch = copy.deepcopy(REAL["LaunchNormal"][0])
    launch["url"] = "https://[ll.thespacedevs.com/2.3.0/launches/"
    assert answers("LaunchNormal", launch, False) == (
        False,
        ["$.url: 'https://[ll.thespacedevs.com/2.3.0/launches/' is not a 'uri'"],
    )


def test_the_memory_of_valid_texts_is_bounded(monkeypatch):
    monkeypatch.setattr(documents, "CHECKED_LIMIT", 3)
    monkeypatch.setattr(documents, "_checked", set())
    launch = copy.deepcopy(REAL["LaunchNormal"][0])
    sizes = []
    for number in range(7):
        launch["name"] = f"Launch {number}"
        documents.check("LaunchNormal", launch, text=documents.stored_form(launch))
        sizes.append(len(documents._checked))
    assert sizes == [1, 2, 3, 1, 2, 3, 1]
