"""The number of queries is fixed by the representation, never by the rows.

Every row carries the worst case: images with variants, configurations in two
families whose parents have parents, manufacturers and agencies with countries
and three images each. The same request is measured over 3 and 60 such rows,
and with 10 and 100 rows per page.
"""

import re

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from spacecraft import models
from spacecraft.api import views
from spacecraft.storage import sql

from . import factories

URL = "/2.3.0/spacecraft/"
FLIGHTS = "/2.3.0/spacecraft_flights/"

# Statements that read the catalogue: for a list the count and the page, then
# the rows' nested data in a fixed number of queries (never one per row); the
# detail page has no count. Asserted exactly.
DATA_QUERIES = {"normal": 5, "detailed": 7, "detail": 6}

# Per-request statements that read no catalogue data: the response cache's
# stamp lookup and the read snapshot's transaction control (a SAVEPOINT pair
# inside the test's transaction). Counted in the totals, which must not change
# with the number of rows or the page size either.
TRANSACTION_CONTROL = re.compile(
    r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|SET TRANSACTION)\b"
)


def overhead(statement):
    return statement == sql.stamp_sql() or TRANSACTION_CONTROL.match(statement) is not None


class Count:
    def __init__(self, queries):
        statements = [query["sql"] for query in queries]
        self.total = len(statements)
        self.data = sum(not overhead(statement) for statement in statements)

    def __eq__(self, other):
        return (self.total, self.data) == (other.total, other.data)

    def __repr__(self):
        return f"Count(total={self.total}, data={self.data})"


def build(count, first=0):
    return [factories.rich_spacecraft(f"Craft {n:02d}") for n in range(first, first + count)]


def measure(api, path, known_counts=False, **params):
    """(Count, body) of one request; the list's count is computed unless ``known_counts``."""
    if not known_counts:
        caches["default"].clear()  # the counts kept per stamp (storage/counts.py)
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, {"format": "json", **params})
    assert response.status_code == 200, response.content
    return Count(captured.captured_queries), response.json()


def measure_all(api, craft):
    """Queries per (representation, page size), and the bodies of the 100-row pages."""
    counts, bodies = {}, {}
    for mode in ("normal", "detailed"):
        for limit in (10, 100):
            counts[mode, limit], body = measure(api, URL, mode=mode, limit=limit)
            assert len(body["results"]) == min(limit, body["count"])
        bodies[mode] = body
    counts["detail"], body = measure(api, f"{URL}{craft.id}/")
    assert body["id"] == craft.id
    return counts, bodies


def assert_fully_nested(record, detailed):
    """The rows really carry what the prefetches are for."""
    assert len(record["image"]["variants"]) == 3
    config = record["spacecraft_config"]
    assert len(config["image"]["variants"]) == 2
    assert len(config["family"]) == 2
    for family in config["family"]:
        assert family["parent"] is not None
        assert family["manufacturer"] is not None
    if detailed:
        assert len(config["agency"]["country"]) == 2
        assert len(config["agency"]["logo"]["variants"]) == 1
        family = config["family"][0]
        assert len(family["manufacturer"]["country"]) == 2
        assert len(family["manufacturer"]["image"]["variants"]) == 2
        assert family["parent"]["manufacturer"] is not None


def test_queries_do_not_grow_with_rows_or_page_size(api, db):
    few = build(3)
    with_3, _ = measure_all(api, few[0])
    assert {key: count.data for key, count in with_3.items()} == {
        ("normal", 10): DATA_QUERIES["normal"],
        ("normal", 100): DATA_QUERIES["normal"],
        ("detailed", 10): DATA_QUERIES["detailed"],
        ("detailed", 100): DATA_QUERIES["detailed"],
        "detail": DATA_QUERIES["detail"],
    }
    # The page size changes nothing either.
    assert with_3["normal", 10] == with_3["normal", 100]
    assert with_3["detailed", 10] == with_3["detailed", 100]

    build(57, first=3)
    with_60, bodies = measure_all(api, few[0])
    assert with_60 == with_3
    for mode, body in bodies.items():
        assert body["count"] == len(body["results"]) == 60
        for record in body["results"]:
            assert_fully_nested(record, detailed=mode == "detailed")


def test_page_of_two_costs_what_a_page_of_ten_does(api, db):
    build(12)
    for mode in ("normal", "detailed"):
        two, _ = measure(api, URL, mode=mode, limit=2)
        ten, _ = measure(api, URL, mode=mode, limit=10)
        assert two == ten
        assert ten.data == DATA_QUERIES[mode]


def test_filters_search_and_ordering_add_no_queries(api, db):
    build(12)
    params = {"search": "craft", "ordering": "-time_docked", "in_space": "false", "limit": 100}
    for mode in ("normal", "detailed"):
        plain, _ = measure(api, URL, mode=mode, limit=100)
        filtered, body = measure(api, URL, mode=mode, **params)
        assert body["count"] == 12
        assert filtered == plain
        assert filtered.data == DATA_QUERIES[mode]


def test_empty_page_costs_only_the_count(api, db):
    build(3)
    queries, body = measure(api, URL, offset=1000)
    assert body["results"] == []
    assert queries.data == 1


def test_missing_detail_costs_one_query(api, db):
    craft = build(1)[0]
    with CaptureQueriesContext(connection) as captured:
        response = api.get(f"{URL}{craft.id + 1000}/", {"format": "json"})
    assert response.status_code == 404
    assert Count(captured.captured_queries).data == 1


# --- flights --------------------------------------------------------------------------

# A detailed page with flights reads them in one query, and the nested objects
# of their spacecraft' normal forms (its configuration's families) in one more;
# without any flight on the page those are not needed and not run.
FLIGHT_QUERIES = {"with": DATA_QUERIES["detailed"] + 1, "without": DATA_QUERIES["detailed"]}


def add_flights(crafts, count):
    first = models.Launch.objects.count() + 1
    launches = [factories.launch(n % 3, number=first + n) for n in range(count)]
    landing = factories.landing(models.Landing.objects.count() + 1)
    for craft in crafts:
        for launch in launches:
            factories.flight(craft, launch, landing=landing)


def test_detailed_queries_do_not_grow_with_flights(api, db):
    crafts = build(3)
    without, body = measure(api, URL, mode="detailed", limit=100)
    assert all(record["flights"] == [] for record in body["results"])
    assert without.data == FLIGHT_QUERIES["without"]
    counts = {}
    for total in (1, 40):
        add_flights(crafts, total - sum(1 for _ in crafts[0].flights.all()))
        counts[total, "page"], body = measure(api, URL, mode="detailed", limit=100)
        assert [len(record["flights"]) for record in body["results"]] == [total] * 3
        for flight in body["results"][0]["flights"]:
            assert len(flight["spacecraft"]["spacecraft_config"]["family"]) == 2
            assert flight["landing"] is not None
        counts[total, "detail"], body = measure(api, f"{URL}{crafts[0].id}/")
        assert len(body["flights"]) == total
    assert counts[1, "page"] == counts[40, "page"]
    assert counts[1, "detail"] == counts[40, "detail"]
    assert counts[1, "page"].data == FLIGHT_QUERIES["with"]
    assert counts[1, "detail"].data == FLIGHT_QUERIES["with"] - 1  # no count


def test_flights_endpoint_queries_do_not_grow(api, db):
    crafts = build(2)
    add_flights(crafts, 1)
    counts = {}
    for total in (1, 30):
        add_flights(crafts, total - crafts[0].flights.count())
        for mode in ("normal", "detailed"):
            counts[total, mode], body = measure(api, FLIGHTS, mode=mode, limit=100)
            assert body["count"] == 2 * total
    assert counts[1, "normal"] == counts[30, "normal"]
    assert counts[1, "detailed"] == counts[30, "detailed"]


# The serializer path (the browsable API, the benchmark's textbook endpoint):
# the querysets' joins are read from the serializers (``selectors``): one
# select_related per nested object, one ordered prefetch per list. Data
# statements of a list page, asserted exactly, whatever the number of rows.
TEXTBOOK_QUERIES = {
    ("spacecraft", "normal"): 5,
    ("spacecraft", "detailed"): 14,  # with the flights (none here) in one more
    ("spacecraft_configurations", "normal"): 4,
    ("spacecraft_configurations", "detailed"): 12,
    ("agencies", "list"): 2,
    ("agencies", "normal"): 6,
    ("agencies", "detailed"): 17,
    ("spacecraft_configuration_families", "list"): 2,
    ("spacecraft_configuration_families", "normal"): 2,
    ("spacecraft_configuration_families", "detailed"): 9,
}


def test_serializer_path_queries_do_not_grow_with_rows(api, db, monkeypatch):
    monkeypatch.setattr(views.LL2ViewSet, "fast", False)
    for first, count in ((0, 3), (3, 9)):
        build(count, first)
        counts = {}
        for endpoint, mode in TEXTBOOK_QUERIES:
            queries, body = measure(api, f"/2.3.0/{endpoint}/", mode=mode, limit=100)
            assert body["count"] >= first + count
            counts[endpoint, mode] = queries.data
        assert counts == TEXTBOOK_QUERIES


def test_a_known_count_is_not_counted_again_until_the_catalogue_changes(db, api):
    build(12)
    for mode in ("normal", "detailed"):
        counted, body = measure(api, URL, mode=mode, limit=5)
        # another page of the same rows: the same count, a different answer
        known, other = measure(api, URL, known_counts=True, mode=mode, limit=6)
        assert counted.data == DATA_QUERIES[mode]
        assert known.data == DATA_QUERIES[mode] - 1  # no COUNT
        assert known.total == counted.total - 1
        assert other["count"] == body["count"] == 12
        assert other["results"][:5] == body["results"]
    models.Spacecraft.objects.order_by("id").first().delete()
    after, body = measure(api, URL, known_counts=True, limit=7)
    assert after.data == DATA_QUERIES["normal"]  # a new stamp: counted again
    assert body["count"] == 11


def test_agencies_queries_do_not_grow_and_their_filters_add_none(api, db):
    """/agencies/ in each mode, with LL2's statistics filters, orderings and parent__id."""
    seen, measured = [], []
    for first, count in ((0, 3), (3, 9)):
        build(count, first)
        parent = models.Agency.objects.order_by("id").first()
        models.Agency.objects.update(total_launch_count=7, pending_launches=1, parent=parent.name)
        filters = {
            "total_launch_count__gte": "7",
            "pending_launches__lt": "2",
            "parent__id": str(parent.id),
            "ordering": "-consecutive_successful_landings",
        }
        counts = {}
        for mode in ("list", "normal", "detailed"):
            counts[mode], body = measure(api, "/2.3.0/agencies/", mode=mode, limit=100)
            filtered, matched = measure(api, "/2.3.0/agencies/", mode=mode, limit=100, **filters)
            assert filtered == counts[mode], mode
            assert matched["count"] == body["count"]
            seen.append(body["count"])
        counts["detail"], _ = measure(api, f"/2.3.0/agencies/{parent.id}/")
        measured.append(counts)
    assert measured[0] == measured[1]
    assert seen[0] < seen[-1]
