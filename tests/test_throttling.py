"""API throttling like LL2's: off by default, ``API_THROTTLE_ANON=15/hour`` to turn it on.

A throttled request is a 429 with ``Retry-After`` and DRF's message. The
count is per client address (``REMOTE_ADDR``; ``X-Forwarded-For`` only as far
as ``NUM_PROXIES`` trusts it) and lives in Django's default cache, so with a
shared cache (Redis, ``REDIS_URL``) the limit holds across server processes.
"""

import os
import re

import pytest
from django.core.cache import cache

from devtools import servers

URL = "/2.3.0/spacecraft/"
MESSAGE = re.compile(r"Request was throttled\. Expected available in (\d+) seconds\.")


@pytest.fixture
def throttled(settings, seeded):
    """LL2's rate, for clients whose counts are cleared before and after the test."""
    settings.API_THROTTLE_ANON = "15/hour"
    addresses = ["10.30.0.1", "10.30.0.2", "203.0.113.7", "198.51.100.1"]
    keys = [f"throttle_anon_{address}" for address in addresses]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)


def get(api, path=URL, address="10.30.0.1", **extra):
    return api.get(path, {"format": "json"}, REMOTE_ADDR=address, **extra)


def assert_throttled(response, period=3600):
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert period - 5 <= wait <= period
    assert response.json() == {
        "detail": f"Request was throttled. Expected available in {wait} seconds."
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


# --- across server processes -----------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue():
    with servers.database("throttling") as database:
        database.manage("loaddata", "ll2_seed", "-v0")
        yield database


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis, deleted afterwards."""
    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    prefix = servers.redis_prefix("throttling")
    yield url, prefix
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.mark.server
def test_with_a_shared_cache_the_limit_holds_across_processes(catalogue, redis_prefix):
    url, prefix = redis_prefix
    env = {"API_THROTTLE_ANON": "15/hour", "REDIS_URL": url, "CACHE_KEY_PREFIX": prefix}
    with servers.server(catalogue, **env) as one, servers.server(catalogue, **env) as two:
        statuses = [
            (one if number % 2 else two).get(f"{URL}?format=json")[0] for number in range(15)
        ]
        assert statuses == [200] * 15
        for server in (one, two):
            status, headers, body = server.get_json(f"{URL}?format=json")
            assert status == 429
            assert body == {
                "detail": "Request was throttled. Expected available in "
                f"{headers['Retry-After']} seconds."
            }


@pytest.mark.server
def test_without_a_shared_cache_each_process_counts_alone(catalogue):
    # One worker each: the local-memory cache is per process.
    env = {"API_THROTTLE_ANON": "15/hour", "workers": 1}
    with servers.server(catalogue, **env) as one, servers.server(catalogue, **env) as two:
        assert [one.get(f"{URL}?format=json")[0] for _ in range(16)] == [200] * 15 + [429]
        assert two.get(f"{URL}?format=json")[0] == 200
