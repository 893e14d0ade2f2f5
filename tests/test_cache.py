"""Response caching: repeated requests from the cache, never a stale answer, ETag and 304.

A cache hit costs exactly one query (the catalogue's stamp); every kind of
write (admin save, model save, delete, many-to-many change, import) is seen
by the very next request. The shared level is a real Redis.
"""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.dataset import records
from spacecraft import models
from spacecraft.ingest.importer import import_document
from spacecraft.serving import cache
from spacecraft.storage import sql, stamp

from . import factories

URL = "/2.3.0/spacecraft/"
REDIS = "redis://127.0.0.1:6379/0"


pytestmark = pytest.mark.usefixtures("response_cache")


@pytest.fixture
def catalogue(db):
    import_document({"results": records(30)})


def get(client, path=URL, **params):
    """(response, queries it took)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
    return response, len(captured.captured_queries)


def names(response):
    return [record["name"] for record in response.json()["results"]]


# --- hits ----------------------------------------------------------------------------------


def test_a_repeated_request_is_one_query_and_the_same_bytes(catalogue, api):
    first, cold = get(api, limit=100, mode="detailed")
    second, warm = get(api, limit=100, mode="detailed")
    assert first.status_code == second.status_code == 200
    assert cold > 3
    assert warm == 1  # the catalogue stamp
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    for header in ("Content-Type", "Vary", "Allow"):
        assert second[header] == first[header]
    assert int(second["Content-Length"]) == len(second.content)


def test_the_key_is_the_whole_request(catalogue, api):
    a, _ = get(api, limit=5, offset=5)
    b, queries = get(api, offset=5, limit=5)  # the same query, in another order
    assert queries == 1 and b.content == a.content
    other_host, queries = get(Client(HTTP_HOST="127.0.0.1"), limit=5, offset=5)
    assert queries > 1
    assert other_host.json()["next"].startswith("http://127.0.0.1/")
    detailed, queries = get(api, limit=5, offset=5, mode="detailed")
    assert queries > 1 and detailed.json()["results"][0]["response_mode"] == "detailed"
    formatted, queries = get(api, limit=5, offset=5, format="json")
    assert queries > 1 and "format=json" in formatted.json()["next"]


def test_errors_and_the_browsable_api_are_not_cached(catalogue, api):
    for _ in range(2):
        response, queries = get(api, status="not-a-number")
        assert response.status_code == 400 and queries > 1
    for _ in range(2):
        response, queries = get(api, format="api", limit=2)
        assert response.status_code == 200 and queries > 1
        assert response["Content-Type"].startswith("text/html")
    for _ in range(2):
        response, queries = get(api, f"{URL}99999/")
        assert response.status_code == 404 and queries > 1


def test_caching_can_be_switched_off(catalogue, api, settings):
    settings.API_CACHE_SECONDS = 0
    settings.API_COUNT_CACHE_SECONDS = 0  # the counts kept per stamp: test_queries.py
    first, cold = get(api, limit=10)
    second, again = get(api, limit=10)
    assert again == cold > 1
    assert second.content == first.content and second["ETag"] == first["ETag"]
    not_modified = api.get(URL, {"limit": 10}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not_modified.content == b""


def test_a_throttled_api_still_answers_from_the_cache(catalogue, api, settings):
    # Each cached answer is counted as a call (tests/test_throttling.py), but it is
    # still served from the cache: the stamp is the only query.
    settings.API_THROTTLE_ANON = "1000/hour"
    first, cold = get(api, limit=3)
    second, warm = get(api, limit=3)
    assert cold > 1 and warm == 1
    assert second.content == first.content


# --- conditional GET ----------------------------------------------------------------------


def test_if_none_match_gets_304_until_the_data_changes(catalogue, api):
    first = api.get(URL, {"limit": 10})
    etag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    not_modified = api.get(URL, {"limit": 10}, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert "Accept" in not_modified["Vary"]
    for header in ('"something-else"', f'W/{etag}, "x"', "*"):
        expected = 304 if header != '"something-else"' else 200
        assert api.get(URL, {"limit": 10}, HTTP_IF_NONE_MATCH=header).status_code == expected

    models.Spacecraft.objects.filter(pk=1).first().save()  # same data, new stamp
    assert api.get(URL, {"limit": 10}, HTTP_IF_NONE_MATCH=etag).status_code == 304
    craft = models.Spacecraft.objects.get(pk=1)
    craft.name = "Renamed"
    craft.save()
    changed = api.get(URL, {"limit": 10}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert names(changed)[0] == "Renamed"


# --- never stale ----------------------------------------------------------------------------


def test_model_saves_deletes_and_m2m_changes_are_seen_at_once(catalogue, api):
    assert names(get(api, limit=100)[0])[0] != "Saved"
    craft = models.Spacecraft.objects.get(pk=1)
    craft.name = "Saved"
    craft.save()
    assert names(get(api, limit=100)[0])[0] == "Saved"

    models.Spacecraft.objects.get(pk=2).delete()
    assert 2 not in [r["id"] for r in get(api, limit=100)[0].json()["results"]]

    config = craft.spacecraft_config
    before = get(api, f"{URL}1/")[0].json()["spacecraft_config"]["family"]
    family = factories.family(name="Added family")
    config.families.add(family)
    after = get(api, f"{URL}1/")[0].json()["spacecraft_config"]["family"]
    assert [f["id"] for f in after] == sorted([f["id"] for f in before] + [family.id])
    config.families.clear()
    assert get(api, f"{URL}1/")[0].json()["spacecraft_config"]["family"] == []

    status = models.SpacecraftStatus.objects.get(pk=craft.status_id)
    status.name = "Renamed status"
    status.save()  # a nested object, not the spacecraft itself
    assert get(api, f"{URL}1/")[0].json()["status"]["name"] == "Renamed status"


def test_an_import_is_seen_at_once(catalogue, api):
    first = get(api, limit=100)[0].json()
    assert first["count"] == 30
    more = records(40)
    more[0]["name"] = "Imported again"
    for flight in more[0]["flights"]:  # its flights' spacecraft is the same spacecraft
        flight["spacecraft"]["name"] = "Imported again"
    import_document({"results": more})
    second = get(api, limit=100)[0].json()
    assert second["count"] == 40
    assert second["results"][0]["name"] == "Imported again"


def test_an_unchanged_import_keeps_the_cache(catalogue, api):
    get(api, limit=100)
    import_document({"results": records(30)})
    assert get(api, limit=100)[1] == 1


def test_an_admin_save_is_seen_at_once(catalogue, api, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw-12345")
    admin = Client()
    admin.force_login(user)
    status_id = get(api, f"{URL}3/")[0].json()["status"]["id"]
    assert get(api, f"{URL}3/")[1] == 1  # cached

    page = reverse("admin:spacecraft_spacecraftstatus_change", args=[status_id])
    response = admin.post(page, {"name": "Status renamed in the admin", "_save": "Save"})
    assert response.status_code == 302, response.content[:2000]
    assert get(api, f"{URL}3/")[0].json()["status"]["name"] == "Status renamed in the admin"


def test_a_rolled_back_write_never_lends_its_stamp(catalogue, api):
    from django.db import transaction

    before = stamp.current_stamp()
    with pytest.raises(RuntimeError), transaction.atomic():
        models.Spacecraft.objects.filter(pk=1).update(name="Never committed")
        stamp.bump()
        raise RuntimeError
    assert stamp.current_stamp() == before
    assert names(get(api, limit=1)[0]) != ["Never committed"]


def test_bump_creates_the_stamp_row_when_it_is_missing(db):
    models.CatalogueVersion.objects.all().delete()
    assert stamp.current_stamp() == 0
    made = stamp.bump()
    assert stamp.current_stamp() == made != 0


def test_the_stamp_is_read_on_the_drivers_cursor_and_still_counted(db):
    """Tests run the production path (the driver's cursor, which is the request's
    connection health check): Django's cursor, whose execute wrappers see every query
    it runs, sees none; the query is counted all the same."""
    stamp.bump()
    connection.ensure_connection()
    connection.health_check_done = False
    through_django = []

    def seen(execute, statement, params, many, context):
        through_django.append(statement)
        return execute(statement, params, many, context)

    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(seen):
        assert stamp.current_stamp() == models.CatalogueVersion.objects.get(id=1).stamp
    assert captured.captured_queries[0]["sql"] == sql.stamp_sql()
    assert len(captured.captured_queries) == 2  # the stamp, then the ORM's get() above
    assert len(through_django) == 1 and through_django[0] != sql.stamp_sql()  # the get()
    assert connection.health_check_done


def test_the_stamp_query_names_the_models_table_and_columns():
    meta = models.CatalogueVersion._meta
    quote = connection.ops.quote_name
    assert sql.stamp_sql() == (
        f"SELECT {quote(meta.get_field('stamp').column)} FROM {quote(meta.db_table)} "
        f"WHERE {quote(meta.pk.column)} = 1"
    )


def test_a_broken_connection_is_opened_again_for_the_stamp(db, monkeypatch):
    """Outside a transaction, a connection the driver finds broken is closed and the stamp
    read on a new one, as Django's own health check would."""
    made = stamp.bump()
    calls = []
    real = sql.read_stamp

    def broken_once(raw):
        calls.append(raw)
        if len(calls) == 1:
            raise connection.Database.OperationalError("server closed the connection")
        return real(raw)

    monkeypatch.setattr(sql, "read_stamp", broken_once)
    monkeypatch.setattr(type(connection), "in_atomic_block", False, raising=False)
    closed = []
    monkeypatch.setattr(connection, "close", lambda: closed.append(True))
    assert stamp.current_stamp() == made
    assert len(calls) == 2 and closed == [True]


# --- the shared level: Redis ----------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis is not reachable at {REDIS}")
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": prefix,
        },
    }
    settings.API_CACHE_SHARED = "shared"
    yield redis.Redis.from_url(REDIS), prefix
    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_entries_are_shared_through_redis(catalogue, api, redis_cache):
    client, prefix = redis_cache
    first, _ = get(api, limit=20)
    assert list(client.scan_iter(f"{prefix}:*"))
    cache.store.local.clear()  # as another worker or instance would start
    second, queries = get(api, limit=20)
    assert queries == 1 and second.content == first.content and second["ETag"] == first["ETag"]
    craft = models.Spacecraft.objects.get(pk=1)
    craft.name = "Changed elsewhere"
    craft.save()
    cache.store.local.clear()
    assert names(get(api, limit=20)[0])[0] == "Changed elsewhere"


def test_an_unreachable_redis_is_a_miss_not_an_error(catalogue, api, settings):
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:8169/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    settings.API_CACHE_SHARED = "shared"
    for _ in range(2):
        response = api.get(URL, {"limit": 5})
        assert response.status_code == 200 and len(response.json()["results"]) == 5
