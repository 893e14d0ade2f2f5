"""The cache's front door (spacecraft/serving/front.py), called as gunicorn calls it: WSGI.

A repeated cached API request is answered before Django builds a request: the same status,
headers and bytes the whole stack sent, after exactly one query (the stamp), with no
middleware run. A write is seen by the very next request; whatever the answer depends on
(query, Accept, gzip, host, scheme, method) has its own entry; personal, conditional,
throttled and browsable requests always go through the stack.
"""

import gzip
import io
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import signals
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from bench.dataset import records
from spacecraft import models
from spacecraft.ingest.importer import import_document
from spacecraft.serving import front
from spacedevs.wsgi import application

pytestmark = pytest.mark.usefixtures("response_cache")


@pytest.fixture(autouse=True)
def empty_front_door():
    front.front_store().clear()
    yield
    front.front_store().clear()


@pytest.fixture
def catalogue(db):
    import_document({"results": records(12)})


class Stack:
    """Counts the requests that went through Django's stack (request_started)."""

    def __init__(self):
        self.requests = 0

    def __call__(self, **kwargs):
        self.requests += 1


@pytest.fixture
def stack():
    seen = Stack()
    signals.request_started.connect(seen)
    yield seen
    signals.request_started.disconnect(seen)


def call(path="/2.3.0/spacecraft/", query="", method="GET", **headers):
    """(status, headers, body, queries) of one WSGI call of the served application."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
    }
    environ.update({"HTTP_" + name.upper(): value for name, value in headers.items()})
    setup_testing_defaults(environ)
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = status, response_headers

    # As Django's test client does: the test's transaction must outlive the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        with CaptureQueriesContext(connection) as captured:
            result = application(environ, start_response)
            body = b"".join(result)
            if hasattr(result, "close"):
                result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return started["status"], started["headers"], body, len(captured.captured_queries)


def test_a_repeated_request_is_answered_at_the_door_with_the_same_bytes(catalogue, stack):
    first = call(query="limit=5&mode=detailed")
    assert stack.requests == 1
    second = call(query="limit=5&mode=detailed")
    assert stack.requests == 1  # no middleware, no view: the door answered
    assert second[0] == first[0] == "200 OK"
    assert second[1] == first[1]
    assert second[2] == first[2]
    assert second[3] == 1  # the catalogue stamp
    assert dict(second[1])["Content-Type"] == "application/json"
    assert dict(second[1])["Vary"] == "Accept"


def test_a_write_is_seen_by_the_very_next_request(catalogue, stack):
    before = call(query="limit=1&ordering=id")
    call(query="limit=1&ordering=id")
    first = models.Spacecraft.objects.order_by("id").first()
    first.name = "Renamed at the admin"
    first.save()
    after = call(query="limit=1&ordering=id")
    assert stack.requests == 2
    assert b"Renamed at the admin" in after[2]
    assert b"Renamed at the admin" not in before[2]


@pytest.mark.parametrize(
    "variant",
    [
        {"query": "limit=2"},
        {"query": "limit=2&format=json"},
        {"query": "limit=1&offset=1"},
        {"accept": "application/json; indent=4"},
        {"host": "localhost"},
        {"x_forwarded_proto": "https"},
        {"method": "HEAD"},
    ],
)
def test_whatever_the_answer_depends_on_has_its_own_entry(catalogue, stack, variant):
    call(query="limit=1")
    call(query="limit=1")
    assert stack.requests == 1
    query = variant.pop("query", "limit=1")
    method = variant.pop("method", "GET")
    status, _, body, _ = call(query=query, method=method, **variant)
    assert stack.requests == 2  # not the first request's entry
    assert status == "200 OK"
    again = call(query=query, method=method, **variant)
    assert stack.requests == 2 and again[2] == body


def test_gzip_and_plain_answers_are_kept_apart(catalogue, stack):
    plain = call(query="limit=10&mode=detailed")
    packed = call(query="limit=10&mode=detailed", accept_encoding="gzip")
    packed_again = call(query="limit=10&mode=detailed", accept_encoding="gzip, deflate")
    plain_again = call(query="limit=10&mode=detailed", accept_encoding="gzip;q=0")
    assert stack.requests == 2
    assert dict(packed_again[1])["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed_again[2]) == plain[2] == plain_again[2]
    assert packed_again[2] == packed[2]
    assert "Content-Encoding" not in dict(plain_again[1])


@pytest.mark.parametrize(
    "headers, query",
    [
        ({"authorization": "Token abc"}, "limit=1"),
        ({"if_none_match": '"x"'}, "limit=1"),
        ({}, "limit=1&format=api"),
        ({"accept": "text/html"}, "limit=1"),
    ],
)
def test_personal_conditional_and_browsable_requests_go_through_the_stack(
    catalogue, stack, headers, query
):
    for _ in range(2):
        call(query=query, **headers)
    assert stack.requests == 2


def test_a_not_modified_answer_still_comes_from_the_stack(catalogue, stack):
    status, headers, _, _ = call(query="limit=1")
    etag = dict(headers)["ETag"]
    status, _, body, _ = call(query="limit=1", if_none_match=etag)
    assert status == "304 Not Modified" and body == b""


def test_errors_are_never_kept(catalogue, stack):
    for _ in range(2):
        status, _, _, _ = call(query="status=abc")
    assert status.startswith("400")
    for _ in range(2):
        status, _, _, _ = call(path="/2.3.0/spacecraft/999999/")
    assert status.startswith("404")
    assert stack.requests == 4


def test_nothing_is_kept_while_calls_are_counted_or_caching_is_off(catalogue, stack, settings):
    settings.API_THROTTLE_ANON = "1000/hour"
    for _ in range(2):
        call(query="limit=1")
    assert stack.requests == 2
    settings.API_THROTTLE_ANON = None
    settings.API_CACHE_SECONDS = 0
    for _ in range(2):
        call(query="limit=1")
    assert stack.requests == 4


def test_an_entry_is_never_served_at_the_next_tick_of_the_clock(catalogue, stack, monkeypatch):
    """Figures that grow with the clock (figures.py) are read at the tick the key holds."""
    from spacecraft import figures

    monkeypatch.setattr(figures, "wall_clock", lambda: 1_800_000_000.0)
    call(query="limit=1")
    call(query="limit=1")
    assert stack.requests == 1
    monkeypatch.setattr(figures, "wall_clock", lambda: 1_800_000_000.0 + 60)
    call(query="limit=1")
    assert stack.requests == 2
