"""The spacecraft filters: in_space, is_placeholder, name, spacecraft_config, status.

Booleans follow django-filter's BooleanWidget (what LL2 uses): true/false/1/0
in any case, anything else ignored. Ids that are not a valid, existing id are
a 400 whose body names the parameter. Expected answers are computed from the
rows each test creates.
"""

import pytest

from spacecraft import models

from . import factories

URL = "/2.3.0/spacecraft/"


@pytest.fixture
def fleet(db):
    """Eight spacecraft covering every combination the filters look at."""
    active, retired = factories.status("Active"), factories.status("Retired")
    dragon = factories.config(name="Dragon 2")
    soyuz = factories.config(name="Soyuz MS")
    rows = [
        ("Endurance", True, False, active, dragon),
        ("Endeavour", False, False, retired, dragon),
        ("endeavour", False, True, active, dragon),
        ("Dragon C206", True, False, active, soyuz),
        ("Soyuz MS-25", False, False, retired, soyuz),
        ("Soyuz MS-26", True, True, active, soyuz),
        ("Resilience", False, False, active, dragon),
        ("Endeavour 2", True, False, retired, soyuz),
    ]
    return [
        factories.spacecraft(
            name=name, in_space=in_space, is_placeholder=placeholder, status=st, spacecraft_config=c
        )
        for name, in_space, placeholder, st, c in rows
    ]


def get_ids(api, **params):
    response = api.get(URL, {"format": "json", "limit": 100, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    ids = [record["id"] for record in body["results"]]
    assert body["count"] == len(ids)
    return ids


def all_ids(fleet):
    return sorted(craft.id for craft in fleet)


TRUE_VALUES = ["true", "True", "TRUE", "tRuE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "fAlSe", "0"]
IGNORED_BOOLEANS = ["yes", "no", "t", "f", "2", "-1", "on", "null", "None", "true1", " true"]


@pytest.mark.parametrize("field", ["in_space", "is_placeholder"])
@pytest.mark.parametrize("value", TRUE_VALUES)
def test_boolean_true_in_any_case(api, fleet, field, value):
    expected = sorted(craft.id for craft in fleet if getattr(craft, field))
    assert 0 < len(expected) < len(fleet)
    assert get_ids(api, **{field: value}) == expected


@pytest.mark.parametrize("field", ["in_space", "is_placeholder"])
@pytest.mark.parametrize("value", FALSE_VALUES)
def test_boolean_false_in_any_case(api, fleet, field, value):
    expected = sorted(craft.id for craft in fleet if not getattr(craft, field))
    assert 0 < len(expected) < len(fleet)
    assert get_ids(api, **{field: value}) == expected


@pytest.mark.parametrize("field", ["in_space", "is_placeholder"])
@pytest.mark.parametrize("value", IGNORED_BOOLEANS)
def test_invalid_boolean_is_ignored(api, fleet, field, value):
    assert get_ids(api, **{field: value}) == all_ids(fleet)


def test_name_is_exact_and_case_sensitive(api, fleet):
    endeavour = next(craft for craft in fleet if craft.name == "Endeavour")
    lower = next(craft for craft in fleet if craft.name == "endeavour")
    assert get_ids(api, name="Endeavour") == [endeavour.id]
    assert get_ids(api, name="endeavour") == [lower.id]
    assert get_ids(api, name="ENDEAVOUR") == []
    # Exact, not contains: "Endeavour 2" and "Endeavour" do not match "Endeav".
    assert get_ids(api, name="Endeav") == []
    assert get_ids(api, name="Endeavour 2") == [
        craft.id for craft in fleet if craft.name == "Endeavour 2"
    ]


def test_name_with_non_ascii_characters(api, db):
    craft = factories.spacecraft(name="Тяньгун 🚀 مركبة")
    factories.spacecraft(name="Тяньгун")
    assert get_ids(api, name="Тяньгун 🚀 مركبة") == [craft.id]


def test_name_with_nul_character_is_a_400_not_a_500(api, fleet):
    response = api.get(URL, {"format": "json", "name": "Endeavour\x00"})
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


@pytest.mark.parametrize("field", ["spacecraft_config", "status"])
def test_filter_by_related_id(api, fleet, field):
    related = {getattr(craft, f"{field}_id") for craft in fleet}
    assert len(related) == 2
    for related_id in sorted(related):
        expected = sorted(
            craft.id for craft in fleet if getattr(craft, f"{field}_id") == related_id
        )
        assert get_ids(api, **{field: related_id}) == expected


@pytest.mark.parametrize("field", ["spacecraft_config", "status"])
def test_related_id_with_no_spacecraft_is_valid_and_empty(api, fleet, field):
    unused = factories.status("Unused") if field == "status" else factories.config(name="Unused")
    assert get_ids(api, **{field: unused.id}) == []


def _missing_id(field):
    model = models.SpacecraftStatus if field == "status" else models.SpacecraftConfig
    return str(max(model.objects.values_list("id", flat=True)) + 1000)


@pytest.mark.parametrize("field", ["spacecraft_config", "status"])
@pytest.mark.parametrize(
    "value",
    ["abc", "MISSING", "99999999999999999999", "9223372036854775808", "-1", "0", "1.5", "1e3"],
)
def test_invalid_related_id_is_a_400_naming_the_parameter(api, fleet, field, value):
    if value == "MISSING":
        value = _missing_id(field)
    response = api.get(URL, {"format": "json", field: value})
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert body[field] and all(isinstance(message, str) and message for message in body[field])


def test_two_invalid_ids_name_both_parameters(api, fleet):
    response = api.get(URL, {"format": "json", "status": "abc", "spacecraft_config": "-7"})
    assert response.status_code == 400
    assert sorted(response.json()) == ["spacecraft_config", "status"]


def test_invalid_id_is_reported_even_with_valid_filters(api, fleet):
    response = api.get(URL, {"format": "json", "in_space": "true", "status": "abc"})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_combined_filters_intersect(api, fleet):
    dragon = models.SpacecraftConfig.objects.get(name="Dragon 2")
    active = models.SpacecraftStatus.objects.get(name="Active")
    expected = sorted(
        craft.id
        for craft in fleet
        if not craft.in_space
        and not craft.is_placeholder
        and craft.status_id == active.id
        and craft.spacecraft_config_id == dragon.id
    )
    assert len(expected) == 1
    params = {
        "in_space": "False",
        "is_placeholder": "0",
        "status": active.id,
        "spacecraft_config": dragon.id,
    }
    assert get_ids(api, **params) == expected


def test_combined_filters_with_name(api, fleet):
    soyuz = models.SpacecraftConfig.objects.get(name="Soyuz MS")
    assert get_ids(api, name="Soyuz MS-26", spacecraft_config=soyuz.id, in_space="TRUE") == [
        craft.id for craft in fleet if craft.name == "Soyuz MS-26"
    ]
    assert get_ids(api, name="Soyuz MS-26", in_space="false") == []


def test_filters_combine_with_search_and_ordering(api, fleet):
    expected = sorted(
        (craft for craft in fleet if craft.in_space and "endur" in craft.name.lower()),
        key=lambda craft: -craft.id,
    )
    assert get_ids(api, in_space="1", search="endur", ordering="-id") == [c.id for c in expected]


@pytest.mark.parametrize(
    "params",
    [
        {"foo": "bar"},
        {"name__icontains": "Endeavour"},
        {"spacecraft_config__name": "Dragon 2"},
        {"status__name": "Active"},
        {"id": "1"},
        {"launcher": "abc"},
        {"page": "3"},
        {"in_space__exact": "true"},
    ],
)
def test_unknown_parameters_are_ignored(api, fleet, params):
    assert get_ids(api, **params) == all_ids(fleet)


@pytest.mark.parametrize(
    "field", ["in_space", "is_placeholder", "name", "spacecraft_config", "status"]
)
def test_empty_values_are_ignored(api, fleet, field):
    assert get_ids(api, **{field: ""}) == all_ids(fleet)


def test_all_empty_values_together_are_ignored(api, fleet):
    empty = dict.fromkeys(["in_space", "is_placeholder", "name", "spacecraft_config", "status"], "")
    assert get_ids(api, **empty) == all_ids(fleet)


def test_filters_apply_in_detailed_mode_too(api, fleet):
    expected = sorted(craft.id for craft in fleet if craft.is_placeholder)
    assert get_ids(api, mode="detailed", is_placeholder="True") == expected


# --- what a request that names no filter costs ----------------------------------------------


@pytest.fixture
def filter_sets_built(monkeypatch):
    """Counts the filter sets django-filter builds (any endpoint's)."""
    from spacecraft.api import filters

    built = []
    original = filters.LL2FilterSet.__init__

    def counting(self, *args, **kwargs):
        built.append(type(self).__name__)
        original(self, *args, **kwargs)

    monkeypatch.setattr(filters.LL2FilterSet, "__init__", counting)
    return built


@pytest.mark.parametrize(
    "query",
    ["", "?limit=3&offset=1", "?mode=detailed&ordering=-id", "?search=endeavour", "?namex=1"],
)
def test_a_request_naming_no_filter_builds_no_filter_set(fleet, api, filter_sets_built, query):
    """The same answer as django-filter's, without building its filter set and form."""
    response = api.get(URL + query)
    assert response.status_code == 200
    assert filter_sets_built == []


def test_a_request_naming_a_filter_still_goes_through_django_filter(fleet, api, filter_sets_built):
    assert api.get(URL, {"in_space": "true"}).json()["count"] == 4
    assert api.get(f"{URL}{fleet[0].pk}/", {"status": "x"}).status_code == 400
    assert filter_sets_built == ["SpacecraftFilter", "SpacecraftFilter"]


def test_the_filter_form_class_is_built_once_per_filter_set(fleet, api):
    from spacecraft.api import filters

    api.get(URL, {"in_space": "true"})
    form_class = filters.SpacecraftFilter._form_class
    api.get(URL, {"status": "1"})
    assert filters.SpacecraftFilter._form_class is form_class
    assert list(form_class.base_fields) == list(filters.SpacecraftFilter.base_filters)
