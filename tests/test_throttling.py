"""API throttling like LL2's: off by default, ``API_THROTTLE_ANON=15/hour`` to turn it on.

A throttled request is a 429 with ``Retry-After`` and DRF's message. The
count is per client address (``REMOTE_ADDR``; ``X-Forwarded-For`` only as far
as ``NUM_PROXIES`` trusts it), one atomic increment per call in Django's default
cache, in windows aligned on the Unix epoch: with a shared cache (Redis,
``REDIS_URL``) the limit holds exactly across threads, processes and instances.
In this process the clock is set (``throttling.clock``), so each ``Retry-After``
is exact: ``NOW`` is 1,029 s into an hour and 9 s into a minute. (API keys and
``/api-throttle/``: tests/test_api_keys.py.)
"""

import json
import os
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from devtools import servers
from spacecraft.api import throttling

URL = "/2.3.0/spacecraft/"
MESSAGE = re.compile(r"Request was throttled\. Expected available in (\d+) seconds\.")
NOW = 1_800_000_000 + 1029
LEFT = {3600: 3600 - 1029, 60: 60 - 9}


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(throttling, "clock", lambda: NOW)


@pytest.fixture
def own_counts(settings):
    """A local-memory cache of this test's own for the counts."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttling-{uuid.uuid4()}",
        }
    }


@pytest.fixture
def throttled(settings, seeded, clock, own_counts):
    """LL2's rate, at a fixed time, with counts of this test's own."""
    settings.API_THROTTLE_ANON = "15/hour"


def get(api, path=URL, address="10.30.0.1", **extra):
    return api.get(path, {"format": "json"}, REMOTE_ADDR=address, **extra)


def assert_throttled(response, period=3600):
    assert response.status_code == 429
    assert response["Retry-After"] == str(LEFT[period])
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {LEFT[period]} seconds."
    }


def test_throttling_is_off_by_default(api, seeded, settings):
    assert settings.API_THROTTLE_ANON is None
    for _ in range(40):
        assert get(api, address="10.30.0.9").status_code == 200


def test_the_sixteenth_request_in_an_hour_is_a_429_with_retry_after(api, throttled):
    for number in range(15):
        response = get(api)
        assert response.status_code == 200, number
    assert_throttled(get(api))
    # Still throttled, whatever the endpoint, mode or format.
    assert_throttled(get(api, f"{URL}1/"))
    assert_throttled(get(api, "/2.3.0/agencies/"))
    response = api.get(URL, {"format": "api"}, REMOTE_ADDR="10.30.0.1")
    assert response.status_code == 429
    assert MESSAGE.search(response.content.decode())


def test_errors_count_too(api, throttled):
    # As in LL2, every request counts, also one answered with a 400 or 404.
    for _ in range(5):
        assert get(api, f"{URL}999999/").status_code == 404
        assert api.get(URL, {"status": "abc"}, REMOTE_ADDR="10.30.0.1").status_code == 400
        assert get(api).status_code == 200
    assert_throttled(get(api))


def test_other_clients_keep_their_own_budget(api, throttled):
    for _ in range(16):
        get(api)
    assert get(api).status_code == 429
    assert get(api, address="10.30.0.2").status_code == 200


def test_a_spoofed_x_forwarded_for_does_not_reset_the_budget(api, throttled):
    for number in range(15):
        get(api, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    assert_throttled(get(api, HTTP_X_FORWARDED_FOR="192.0.2.200"))


def test_behind_a_proxy_the_client_is_the_address_the_proxy_added(api, throttled, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # One proxy at 10.30.0.1 forwards two clients; the first one also sends a
    # forged header, to which the proxy appends the address it saw.
    for _ in range(15):
        assert get(api, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7").status_code == 200
    assert_throttled(get(api, HTTP_X_FORWARDED_FOR="5.6.7.8, 203.0.113.7"))
    assert get(api, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200


def test_a_per_minute_rate(api, throttled, settings):
    settings.API_THROTTLE_ANON = "3/minute"
    for _ in range(3):
        assert get(api).status_code == 200
    assert_throttled(get(api), period=60)


def test_the_next_window_starts_afresh(api, throttled, monkeypatch):
    for _ in range(15):
        assert get(api).status_code == 200
    assert_throttled(get(api))
    monkeypatch.setattr(throttling, "clock", lambda: NOW + LEFT[3600] - 0.5)
    response = get(api)
    assert (response.status_code, response["Retry-After"]) == (429, "1")
    monkeypatch.setattr(throttling, "clock", lambda: NOW + LEFT[3600])
    assert [get(api).status_code for _ in range(16)] == [200] * 15 + [429]


# --- with the response cache --------------------------------------------------------------


def test_cached_answers_are_served_and_counted_when_throttled(api, throttled, response_cache):
    from django.test.utils import CaptureQueriesContext

    first = get(api)
    assert first.status_code == 200
    for number in range(14):
        with CaptureQueriesContext(connection) as queries:
            response = get(api)
        assert response.status_code == 200, number
        assert response.content == first.content
        # From the cache: the catalogue stamp only, no page query.
        assert len(queries) == 1, [q["sql"] for q in queries]
    assert_throttled(get(api))
    # A conditional request is a call too, and is refused once the budget is spent.
    assert_throttled(get(api, HTTP_IF_NONE_MATCH=first["ETag"]))
    assert_throttled(get(api, HTTP_ACCEPT_ENCODING="gzip"))
    assert get(api, address="10.30.0.2", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_cached_gzip_answer_is_counted_once(api, throttled, response_cache):
    statuses = [get(api, HTTP_ACCEPT_ENCODING="gzip").status_code for _ in range(16)]
    assert statuses == [200] * 15 + [429]


# --- exact under concurrency, against a real Redis -------------------------------------------


def redis_client():
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    return url, client


@pytest.fixture
def shared_counts(settings):
    """The counts in the real Redis, under a key prefix of this test's own."""
    url, client = redis_client()
    prefix = servers.redis_prefix("throttling")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    yield client, prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_concurrent_calls_are_counted_exactly_in_redis(shared_counts, clock):
    client, prefix = shared_counts
    caller = throttling.Caller(ident="10.30.1.1", counter="address:10.30.1.1", rate="150/hour")
    start = threading.Barrier(8)

    def calls(_):
        start.wait()
        return [throttling.count_call(caller).allowed for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        results = [allowed for batch in pool.map(calls, range(8)) for allowed in batch]
    assert len(results) == 400
    assert results.count(True) == 150
    assert throttling.peek(caller).count == 400
    (key,) = client.scan_iter(match=f"{prefix}:*")
    assert int(client.get(key)) == 400
    assert 0 < client.ttl(key) <= LEFT[3600] + 60


def test_concurrent_requests_are_counted_exactly_in_redis(
    shared_counts, seeded, clock, settings, transactional_db
):
    settings.API_THROTTLE_ANON = "20/hour"

    def request(_):
        try:
            return get(APIClient(), address="10.30.1.2").status_code
        finally:
            connection.close()  # each thread's own, so that the test database can go

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(request, range(60)))
    assert statuses.count(200) == 20 and statuses.count(429) == 40


# --- across server processes -----------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue():
    with servers.database("throttling") as database:
        database.manage("loaddata", "ll2_seed", "-v0")
        yield database


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis, deleted afterwards."""
    url, client = redis_client()
    prefix = servers.redis_prefix("throttling")
    yield url, prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def shared_env(redis_prefix, **extra):
    url, prefix = redis_prefix
    # A day's window: a run of these tests never crosses its end (at midnight UTC).
    return {"API_THROTTLE_ANON": "15/day", "REDIS_URL": url, "CACHE_KEY_PREFIX": prefix, **extra}


def assert_429(status, headers, body):
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 86400
    assert body == {
        "detail": f"Request was throttled. Expected available in {headers['Retry-After']} seconds."
    }


@pytest.mark.server
def test_with_a_shared_cache_the_limit_holds_across_processes(catalogue, redis_prefix):
    env = shared_env(redis_prefix)
    with servers.server(catalogue, **env) as one, servers.server(catalogue, **env) as two:
        statuses = [
            (one if number % 2 else two).get(f"{URL}?format=json")[0] for number in range(15)
        ]
        assert statuses == [200] * 15
        for server in (one, two):
            assert_429(*server.get_json(f"{URL}?format=json"))
            status, headers, body = server.get_json("/2.3.0/api-throttle/?format=json")
            assert status == 200 and headers["Cache-Control"] == "no-store"
            assert body == {
                "your_request_limit": 15,
                "limit_frequency_secs": 86400,
                "current_use": 15,
                "next_use_secs": body["next_use_secs"],
                "ident": "127.0.0.1",
            }
            assert 0 < body["next_use_secs"] <= 86400


@pytest.mark.server
def test_concurrent_requests_to_two_instances_are_counted_exactly(catalogue, redis_prefix):
    env = shared_env(redis_prefix, API_CACHE_SECONDS=600)
    with servers.server(catalogue, **env) as one, servers.server(catalogue, **env) as two:
        targets = [(one, two)[number % 2] for number in range(48)]
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda server: server.get(f"{URL}?format=json"), targets))
        statuses = [status for status, _, _ in answers]
        assert statuses.count(200) == 15 and statuses.count(429) == 33
        for status, headers, body in answers:
            if status == 429:
                assert_429(status, headers, json.loads(body))


@pytest.mark.server
def test_api_keys_work_and_are_revoked_on_every_instance(catalogue, redis_prefix):
    env = shared_env(redis_prefix, API_THROTTLE_KEY="4/day")
    key = catalogue.manage("api_key", "create", "two-instances", env=catalogue.env()).stdout.strip()
    auth = {"Authorization": f"Token {key}"}
    with servers.server(catalogue, **env) as one, servers.server(catalogue, **env) as two:
        statuses = [(one, two)[n % 2].get(f"{URL}?format=json", auth)[0] for n in range(5)]
        assert statuses == [200] * 4 + [429]
        for server in (one, two):
            status, _, body = server.get_json("/2.3.0/api-throttle/?format=json", auth)
            assert (status, body["ident"], body["current_use"]) == (200, "two-instances", 4)
            assert body["your_request_limit"] == 4
        catalogue.manage("api_key", "revoke", "two-instances", env=catalogue.env())
        for server in (one, two):
            status, headers, body = server.get_json(f"{URL}?format=json", auth)
            assert (status, body) == (401, {"detail": "This API key has been revoked."})
            assert headers["WWW-Authenticate"] == "Token"


@pytest.mark.server
def test_without_a_shared_cache_each_process_counts_alone(catalogue):
    # One worker each: the local-memory cache is per process.
    env = {"API_THROTTLE_ANON": "15/day", "workers": 1}
    with servers.server(catalogue, **env) as one, servers.server(catalogue, **env) as two:
        assert [one.get(f"{URL}?format=json")[0] for _ in range(16)] == [200] * 15 + [429]
        assert two.get(f"{URL}?format=json")[0] == 200
