"""``ordering=`` on flights_count, id, mission_ends_count, time_docked, time_in_space.

Durations sort numerically, nulls sort as PostgreSQL sorts them (last
ascending, first descending) on every database, and ``id`` is always the final
tie-breaker, so paging through many equal values returns every record exactly
once. The rows are inserted out of id order and updated afterwards, so on
PostgreSQL their physical order is scrambled and an unstable sort shows.
"""

from datetime import timedelta

import pytest
from django.db import connection

from spacecraft import models

from . import factories

URL = "/2.3.0/spacecraft/"
FIELDS = ["flights_count", "id", "mission_ends_count", "time_docked", "time_in_space"]

# (time_in_space, time_docked, flights_count, mission_ends_count); lexical
# order of the ISO strings and of the numbers' digits differs from numeric.
ROWS = [
    (timedelta(days=842, hours=5, minutes=3), timedelta(0), 10, 1),
    (timedelta(hours=12), timedelta(days=1, hours=1, minutes=18), 9, None),
    (None, timedelta(hours=12), 1, 2),
    (timedelta(days=1, hours=1, minutes=18), None, 2, 0),
    (timedelta(0), timedelta(days=30), None, 1),
    (timedelta(minutes=1, seconds=49), timedelta(minutes=1, seconds=49), 1, 10),
    (timedelta(days=30), timedelta(0), 0, 9),
    (timedelta(hours=12), None, 10, 1),
    (None, timedelta(days=842, hours=5, minutes=3), 1, None),
    (timedelta(seconds=1), timedelta(hours=12), 2, 2),
]


@pytest.fixture
def varied(db):
    return factories.spacecraft_batch(
        [
            {
                "time_in_space": in_space,
                "time_docked": docked,
                "flights_count": flights,
                "mission_ends_count": ends,
            }
            for in_space, docked, flights, ends in ROWS
        ]
    )


def expected_order(rows, *ordering):
    """Ids sorted as the API should: nulls last ascending, first descending, then id."""

    def key(craft):
        parts = []
        for term in ordering:
            value = getattr(craft, term.lstrip("-"))
            if term.startswith("-"):
                parts.append((value is not None, 0 if value is None else -value))
            else:
                parts.append((value is None, 0 if value is None else value))
        parts.append(craft.id)
        return parts

    return [craft.id for craft in sorted(rows, key=key)]


def fetch(api, **params):
    response = api.get(URL, {"format": "json", "limit": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ordered_ids(api, **params):
    return [record["id"] for record in fetch(api, **params)]


def page_through(api, limit=10, **params):
    """Every id, following the offsets page by page; checks count on each page."""
    ids, offset, count = [], 0, None
    while True:
        response = api.get(URL, {"format": "json", "limit": limit, "offset": offset, **params})
        assert response.status_code == 200
        body = response.json()
        count = body["count"] if count is None else count
        assert body["count"] == count
        ids += [record["id"] for record in body["results"]]
        if body["next"] is None:
            return ids
        offset += limit


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("descending", [False, True])
def test_each_field_in_both_directions(api, varied, field, descending):
    term = f"-{field}" if descending else field
    expected = expected_order(varied, term)
    assert ordered_ids(api, ordering=term) == expected
    if field != "id":
        assert expected != sorted(expected)  # the data actually reorders the rows


def test_durations_sort_numerically_not_lexically(api, varied):
    values = [record["time_in_space"] for record in fetch(api, ordering="time_in_space")]
    assert values == [
        "P0D",
        "PT1S",
        "PT1M49S",
        "PT12H",
        "PT12H",
        "P1DT1H18M",
        "P30D",
        "P842DT5H3M",
        None,
        None,
    ]
    descending = [record["time_docked"] for record in fetch(api, ordering="-time_docked")]
    assert descending == [
        None,
        None,
        "P842DT5H3M",
        "P30D",
        "P1DT1H18M",
        "PT12H",
        "PT12H",
        "PT1M49S",
        "P0D",
        "P0D",
    ]


def test_counts_sort_numerically_with_nulls_like_postgresql(api, varied):
    ascending = [record["flights_count"] for record in fetch(api, ordering="flights_count")]
    assert ascending == [0, 1, 1, 1, 2, 2, 9, 10, 10, None]
    descending = [
        record["mission_ends_count"] for record in fetch(api, ordering="-mission_ends_count")
    ]
    assert descending == [None, None, 10, 9, 2, 2, 1, 1, 1, 0]


def test_ties_are_broken_by_ascending_id_in_both_directions(api, varied):
    for term in ("time_docked", "-time_docked"):
        records = fetch(api, ordering=term)
        for before, after in zip(records, records[1:], strict=False):
            if before["time_docked"] == after["time_docked"]:
                assert before["id"] < after["id"]


def test_default_order_is_by_id(api, varied):
    assert ordered_ids(api) == sorted(craft.id for craft in varied)
    assert ordered_ids(api, mode="detailed") == sorted(craft.id for craft in varied)


@pytest.mark.parametrize(
    "ordering",
    ["name", "foo", "-foo", "", ",", "-", "--flights_count", "spacecraft_config__name", "pk", "?"],
)
def test_invalid_ordering_is_ignored(api, varied, ordering):
    assert ordered_ids(api, ordering=ordering) == sorted(craft.id for craft in varied)


def test_invalid_terms_are_dropped_and_valid_ones_kept(api, varied):
    expected = expected_order(varied, "-flights_count")
    assert ordered_ids(api, ordering="name,-flights_count,bogus") == expected


@pytest.mark.parametrize(
    "ordering",
    [
        ("flights_count", "-time_docked"),
        ("-mission_ends_count", "time_in_space"),
        ("flights_count", "mission_ends_count", "-time_in_space"),
        ("-flights_count", "-id"),
    ],
)
def test_multiple_fields(api, varied, ordering):
    expected = expected_order(varied, *ordering)
    assert ordered_ids(api, ordering=",".join(ordering)) == expected
    assert ordered_ids(api, ordering=", ".join(ordering)) == expected


def test_multiple_fields_differ_from_the_first_alone(api, varied):
    # flights_count ties on 1, 2 and 10; -time_docked reorders inside the ties.
    combined = ordered_ids(api, ordering="flights_count,-time_docked")
    assert combined != ordered_ids(api, ordering="flights_count")
    assert combined == expected_order(varied, "flights_count", "-time_docked")


def test_descending_id(api, varied):
    assert ordered_ids(api, ordering="-id") == sorted((c.id for c in varied), reverse=True)


@pytest.fixture
def many_ties(db):
    """57 spacecraft with flights_count=1 among 80, inserted out of id order."""
    rows = []
    for index in range(80):
        tied = index % 7 != 3 and len([r for r in rows if r["flights_count"] == 1]) < 57
        rows.append(
            {
                "flights_count": 1 if tied else (None if index % 2 else index),
                "mission_ends_count": index % 3 or None,
                "time_docked": timedelta(0) if index % 4 else None,
                "time_in_space": timedelta(hours=12) if index % 5 else timedelta(days=index),
            }
        )
    made = factories.spacecraft_batch(rows)
    assert sum(craft.flights_count == 1 for craft in made) == 57
    if connection.vendor == "postgresql":
        # Make PostgreSQL sort what it scans, as it does on LL2's large table,
        # rather than walk the (field, id) indexes, which would hand back
        # ties in id order whatever the query asked. Lasts until the test's
        # transaction is rolled back.
        with connection.cursor() as cursor:
            for scan in ("indexscan", "indexonlyscan", "bitmapscan"):
                cursor.execute(f"SET LOCAL enable_{scan} = off")
    return made


def test_rows_are_physically_out_of_id_order_on_postgresql(many_ties):
    # What makes the tie tests meaningful: a scan does not return id order.
    physical = list(models.Spacecraft.objects.order_by().values_list("id", flat=True))
    assert sorted(physical) == sorted(craft.id for craft in many_ties)
    if connection.vendor == "postgresql":
        assert physical != sorted(physical)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite returns ties in rowid order anyway"
)
def test_without_the_id_tie_breaker_postgresql_pages_repeat_records(many_ties):
    # LL2's bug, reproduced on the same data with a plain ORDER BY flights_count.
    naive = []
    for offset in range(0, len(many_ties), 10):
        page = models.Spacecraft.objects.order_by("flights_count")[offset : offset + 10]
        naive += list(page.values_list("id", flat=True))
    assert len(set(naive)) < len(naive)


def test_paging_through_57_ties_returns_each_id_once_in_id_order(api, many_ties):
    ids = page_through(api, ordering="flights_count")
    assert len(ids) == len(set(ids)) == len(many_ties)
    assert ids == expected_order(many_ties, "flights_count")
    tied = [craft.id for craft in many_ties if craft.flights_count == 1]
    tied_positions = [ids.index(craft_id) for craft_id in sorted(tied)]
    assert tied_positions == sorted(tied_positions)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("mode", ["normal", "detailed"])
def test_paging_through_ties_on_every_field(api, many_ties, field, descending, mode):
    term = f"-{field}" if descending else field
    ids = page_through(api, ordering=term, mode=mode)
    assert ids == expected_order(many_ties, term)


def test_paging_with_uneven_limit_and_two_fields(api, many_ties):
    term = ("flights_count", "-time_docked")
    ids = page_through(api, limit=7, ordering=",".join(term))
    assert ids == expected_order(many_ties, *term)


def test_repeated_requests_give_the_same_page(api, many_ties):
    pages = {
        tuple(ordered_ids(api, ordering="flights_count", limit=10, offset=20)) for _ in range(5)
    }
    assert len(pages) == 1
