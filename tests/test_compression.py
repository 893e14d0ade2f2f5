"""Compression: ``Accept-Encoding: gzip`` gets gzipped JSON, made once per answer.

The compressed body is stored beside the plain one, so a hit serves stored
bytes; uncompressed answers keep LL2's headers exactly (``Vary: Accept``).
"""

import gzip

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.dataset import records
from spacecraft.ingest.importer import import_document
from spacecraft.serving import cache

pytestmark = pytest.mark.usefixtures("response_cache")

URL = "/2.3.0/spacecraft/"


@pytest.fixture
def catalogue(db):
    import_document({"results": records(30)})


@pytest.fixture
def compressions(monkeypatch):
    """Counts the bodies the server compresses (the real gzip does the work)."""
    calls = []
    real = gzip.compress

    def counting(data, *args, **kwargs):
        calls.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(cache.gzip, "compress", counting)
    return calls


def get(client, encoding=None, path=URL, **params):
    extra = {"HTTP_ACCEPT_ENCODING": encoding} if encoding is not None else {}
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"limit": 100, "mode": "detailed", **params}, **extra)
    return response, len(captured.captured_queries)


def revalidate(api, etag):
    """The same gzip request again, with ``If-None-Match: etag``."""
    return api.get(
        URL,
        {"limit": 100, "mode": "detailed"},
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_IF_NONE_MATCH=etag,
    )


def test_gzip_is_the_same_json_compressed(catalogue, api):
    plain, _ = get(api)
    packed, _ = get(api, "gzip, deflate, br")
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 4
    assert int(packed["Content-Length"]) == len(packed.content)
    assert packed["Content-Type"] == plain["Content-Type"] == "application/json"
    assert plain["Vary"] == "Accept"
    assert packed["Vary"] == "Accept, Accept-Encoding"
    assert packed["Allow"] == plain["Allow"]
    assert packed["ETag"] != plain["ETag"]


def test_a_hit_serves_stored_compressed_bytes(catalogue, api, compressions):
    first, cold = get(api, "gzip")
    assert len(compressions) == 1
    second, warm = get(api, "gzip")
    assert warm == 1  # the catalogue stamp, nothing else
    assert compressions == [compressions[0]]  # not compressed again
    assert second.content == first.content and second["ETag"] == first["ETag"]


def test_the_compressed_form_is_made_from_the_cached_plain_one(catalogue, api, compressions):
    plain, _ = get(api)
    packed, queries = get(api, "gzip")
    assert queries == 1  # no rendering: the plain entry was compressed
    assert compressions == [len(plain.content)]
    assert gzip.decompress(packed.content) == plain.content


def test_a_write_is_seen_compressed_too(catalogue, api):
    from spacecraft.models import Spacecraft

    before, _ = get(api, "gzip", ordering="id")
    craft = Spacecraft.objects.order_by("id").first()
    craft.name = "Renamed In Between"
    craft.save()
    after, _ = get(api, "gzip", ordering="id")
    body = gzip.decompress(after.content)
    assert b"Renamed In Between" in body
    assert b"Renamed In Between" not in gzip.decompress(before.content)


def test_etag_and_304_for_the_compressed_answer(catalogue, api):
    packed, _ = get(api, "gzip")
    again = revalidate(api, packed["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == packed["ETag"]


@pytest.mark.parametrize(
    "header",
    ["", "identity", "deflate, br", "gzip;q=0", "gzip; q=0.000, identity", "*;q=0", "x-gzip;q=0"],
)
def test_no_gzip_unless_accepted(catalogue, api, header):
    response, _ = get(api, header)
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert response["Vary"] == "Accept"
    assert response.json()["count"] == 30


@pytest.mark.parametrize("header", ["gzip", "GZIP", "br;q=1, gzip;q=0.5", "*", "x-gzip"])
def test_gzip_in_every_spelling_that_allows_it(catalogue, api, header):
    response, _ = get(api, header)
    assert response["Content-Encoding"] == "gzip"
    assert b'"count":30' in gzip.decompress(response.content).replace(b" ", b"")


def test_small_answers_are_sent_plain(catalogue, api):
    response = api.get("/2.3.0/config/spacecraft_statuses/999999/", HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 404
    assert "Content-Encoding" not in response
    tiny, _ = get(api, "gzip", path="/2.3.0/spacecraft/", limit=1, mode="normal", name="none")
    assert tiny.json()["count"] == 0
    assert "Content-Encoding" not in tiny


def test_uncached_answers_are_compressed_as_well(catalogue, api, settings, compressions):
    settings.API_CACHE_SECONDS = 0
    plain, _ = get(api)
    packed, _ = get(api, "gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    again = revalidate(api, packed["ETag"])
    assert again.status_code == 304


def test_the_browsable_api_is_not_compressed(catalogue, api):
    response = api.get(URL, {"format": "api"}, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert "Content-Encoding" not in response
    assert b"<html" in response.content
