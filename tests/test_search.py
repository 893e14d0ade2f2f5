"""``search=`` over ``name`` and ``spacecraft_config__name``, as DRF's SearchFilter does.

Case-insensitive containment; several terms (split on spaces and commas,
quoted phrases kept whole) must each match one of the fields. Hostile input
(NUL bytes, huge terms, hundreds of terms) never causes a 500.
"""

import pytest
from django.db import connection

from spacecraft import models
from spacecraft.api.filters import LL2SearchFilter
from spacecraft.api.views import SpacecraftViewSet

from . import factories

URL = "/2.3.0/spacecraft/"


@pytest.fixture
def fleet(db):
    dragon = factories.config(name="Dragon 2")
    soyuz = factories.config(name="Soyuz MS")
    shuttle = factories.config(name="Space Shuttle")
    rows = [
        ("Endeavour", dragon),
        ("Endurance", dragon),
        ("Soyuz MS-25", soyuz),
        ("Progress MS-27", soyuz),
        ("Space Shuttle Endeavour", shuttle),
        ("Discovery", shuttle),
        ("100% Pure_Test", shuttle),
    ]
    return {name: factories.spacecraft(name=name, spacecraft_config=c) for name, c in rows}


def search(api, term, **params):
    response = api.get(URL, {"format": "json", "limit": 100, "search": term, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["results"])
    return [record["id"] for record in body["results"]]


def matching(fleet, *terms):
    """What DRF's search gives: every term in the name or the config's name."""

    def matches(craft, term):
        term = term.lower()
        return term in craft.name.lower() or term in craft.spacecraft_config.name.lower()

    return sorted(
        craft.id for craft in fleet.values() if all(matches(craft, term) for term in terms)
    )


@pytest.mark.parametrize("term", ["endeavour", "ENDEAVOUR", "EnDeAvOuR", "deav"])
def test_search_is_case_insensitive_containment_on_name(api, fleet, term):
    expected = [fleet["Endeavour"].id, fleet["Space Shuttle Endeavour"].id]
    assert search(api, term) == sorted(expected) == matching(fleet, term)


def test_search_matches_the_configuration_name(api, fleet):
    # Neither spacecraft's own name contains "dragon".
    expected = sorted([fleet["Endeavour"].id, fleet["Endurance"].id])
    assert search(api, "dragon") == expected == matching(fleet, "dragon")
    assert search(api, "SHUTTLE") == matching(fleet, "shuttle")
    assert len(matching(fleet, "shuttle")) == 3


def test_terms_are_anded_across_fields(api, fleet):
    # "endeavour" matches two names, "dragon" two configurations: one has both.
    assert search(api, "endeavour dragon") == [fleet["Endeavour"].id]
    assert search(api, "dragon endeavour") == [fleet["Endeavour"].id]
    assert search(api, "soyuz progress") == [fleet["Progress MS-27"].id]
    assert search(api, "endeavour discovery") == []


def test_terms_split_on_commas_and_repeated_spaces(api, fleet):
    assert search(api, "endeavour,dragon") == [fleet["Endeavour"].id]
    assert search(api, "  endeavour ,  dragon  ") == [fleet["Endeavour"].id]


def test_quoted_phrase_is_one_term(api, fleet):
    # Unquoted, the two words may be anywhere in either field...
    assert search(api, "endeavour space") == [fleet["Space Shuttle Endeavour"].id]
    # ...quoted, they are one term that nothing contains.
    assert search(api, '"endeavour space"') == []
    assert search(api, '"shuttle endeavour"') == [fleet["Space Shuttle Endeavour"].id]
    assert search(api, "'soyuz ms-2'") == matching(fleet, "soyuz ms-2")


@pytest.mark.parametrize("term", ["%", "_", "100%", "pure_test", "\\"])
def test_like_wildcards_are_literal(api, fleet, term):
    assert search(api, term) == matching(fleet, term)
    assert len(search(api, term)) < len(fleet)


@pytest.mark.parametrize("term", ["", " ", ",", " , ,", '""'])
def test_blank_search_returns_everything(api, fleet, term):
    assert search(api, term) == sorted(craft.id for craft in fleet.values())


def test_search_with_non_ascii_text(api, db):
    craft = factories.spacecraft(name="Shenzhou 神舟 🚀 مركبة")
    factories.spacecraft(name="Shenzhou 20")
    assert search(api, "神舟") == [craft.id]
    assert search(api, "🚀") == [craft.id]
    assert search(api, "مركبة") == [craft.id]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's LIKE folds the case of ASCII letters only",
)
def test_non_ascii_search_is_case_insensitive_on_postgresql(api, db):
    craft = factories.spacecraft(name="Тяньгун Ωmega Éclair")
    assert search(api, "тяньгун") == [craft.id]
    assert search(api, "ωMEGA éCLAIR") == [craft.id]


def test_nul_bytes_are_dropped(api, fleet):
    assert search(api, "Endea\x00vour") == matching(fleet, "endeavour")
    assert search(api, "\x00") == sorted(craft.id for craft in fleet.values())
    assert search(api, "dragon \x00 endeavour") == [fleet["Endeavour"].id]


@pytest.mark.parametrize("mode", ["normal", "detailed"])
@pytest.mark.parametrize("fmt", ["json", "api"])
def test_nul_byte_never_fails(api, fleet, mode, fmt):
    response = api.get(URL, {"format": fmt, "mode": mode, "search": "\x00Endeavour\x00"})
    assert response.status_code == 200


@pytest.mark.parametrize("length", [256, 10_000, 60_000])
@pytest.mark.parametrize("char", ["a", "%", "é", "🚀"])
def test_huge_term_matches_nothing_without_failing(api, fleet, length, char):
    assert search(api, char * length) == []


def test_longest_storable_term_still_matches(api, db):
    name = "X" * models.Spacecraft._meta.get_field("name").max_length
    craft = factories.spacecraft(name=name)
    assert search(api, name.lower()) == [craft.id]


def test_term_length_bound_covers_every_searched_field():
    # A term longer than every searched field can match nothing, which is
    # what lets LL2SearchFilter answer it without a query.
    lengths = []
    for path in SpacecraftViewSet.search_fields:
        model = models.Spacecraft
        *relations, name = path.split("__")
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        lengths.append(model._meta.get_field(name).max_length)
    assert max(lengths) <= LL2SearchFilter.max_term_length


def test_five_hundred_terms_do_not_fail(api, fleet):
    assert search(api, " ".join(["endeavour"] * 500)) == matching(fleet, "endeavour")
    assert search(api, ",".join(f"term{number}" for number in range(500))) == []


def test_five_hundred_long_terms_do_not_fail(api, fleet):
    terms = " ".join(f"{number:04d}" + "z" * 200 for number in range(500))
    assert search(api, terms) == []


def test_search_with_unbalanced_quotes_does_not_fail(api, fleet):
    assert search(api, '"') == sorted(craft.id for craft in fleet.values())
    assert search(api, '"endeavour') == []
    assert search(api, "'dragon") == []


def test_search_combines_with_filters_ordering_and_detailed_mode(api, fleet):
    shuttle = models.SpacecraftConfig.objects.get(name="Space Shuttle")
    expected = sorted(matching(fleet, "e"), reverse=True)
    assert search(api, "e", ordering="-id", mode="detailed") == expected
    assert search(api, "endeavour", spacecraft_config=shuttle.id) == [
        fleet["Space Shuttle Endeavour"].id
    ]


def test_search_count_is_the_full_match_count_across_pages(api, fleet):
    response = api.get(URL, {"format": "json", "search": "s", "limit": 2})
    body = response.json()
    assert body["count"] == len(matching(fleet, "s")) > 2
    assert len(body["results"]) == 2
    assert body["next"] is not None
