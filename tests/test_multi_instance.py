"""Two app instances, one PostgreSQL, one Redis: a write through one is read through the other.

Each instance is a real gunicorn (2 workers, ``devtools/servers.py``), configured as
in production (``REDIS_URL``, response caching on). Both are warmed up so
that their answers are cached (in each worker and in Redis), then data is
changed through instance A's admin, and by an import run as a third
process, and the very next request through instance B must show it.

Needs PostgreSQL and Redis on 127.0.0.1 (as here and in CI); skips, saying
which one, only if one of them cannot be reached.
"""

import json
import os
import re
import secrets

import httpx
import pytest

from bench.dataset import records, write_pages
from devtools import servers

pytestmark = pytest.mark.server

PG_SERVER = os.environ.get("MULTI_INSTANCE_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("MULTI_INSTANCE_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "multi-instance-password"
HOST = "ll2.example.org"  # as a load balancer passes it on to every instance


def postgres_base():
    """The PostgreSQL URL the cluster's database is named after: the run's own, if it is one."""
    if servers.on_postgresql():
        return os.environ["DATABASE_URL"]
    return f"{PG_SERVER}/ll2_multi_{secrets.token_hex(4)}"


def reachable_postgres():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        psycopg2.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {PG_SERVER}: {error}".strip())


def reachable_redis():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    return client


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(instance A, instance B, database, Redis client, key prefix): one database, one Redis."""
    reachable_postgres()
    redis_client = reachable_redis()
    prefix = servers.redis_prefix("multi")
    instances = []
    with servers.database("multi", base=postgres_base()) as database:
        env = database.env(
            ALLOWED_HOSTS=f"127.0.0.1,{HOST}",
            REDIS_URL=REDIS_URL,
            CACHE_KEY_PREFIX=prefix,
            API_CACHE_SECONDS="600",
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        )
        try:
            pages = write_pages(tmp_path_factory.mktemp("pages"), 120)
            database.manage("import_ll2", *map(str, pages), env=env)
            database.manage(
                "createsuperuser", "--noinput", "--username", "admin", "--email", "a@b.org", env=env
            )
            instances = [Instance(env) for _ in range(2)]
            yield instances[0], instances[1], database, env, redis_client, prefix
        finally:
            for instance in instances:
                instance.close()
            keys = list(redis_client.scan_iter(f"{prefix}:*"))
            if keys:
                redis_client.delete(*keys)


class Instance:
    """One gunicorn of the cluster, with an httpx client: cookies (for the admin) kept,
    and the Host a load balancer would pass on."""

    def __init__(self, env):
        self.server = servers.Server(env=env, workers=2)
        self.client = httpx.Client(
            base_url=self.server.url, headers={"Host": HOST}, timeout=30, follow_redirects=True
        )

    def get(self, path, headers=None):
        """(status, headers, body bytes); the headers are case-insensitive."""
        response = self.client.get(path, headers=headers)
        return response.status_code, response.headers, response.content

    def post_form(self, path, data):
        """GET the form page, then POST ``data`` with its CSRF token; the status (unfollowed)."""
        page = self.get(path)[2].decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = {**data, "csrfmiddlewaretoken": token}
        return self.client.post(path, data=data, follow_redirects=False).status_code

    def log_in(self):
        status = self.post_form(
            "/admin/login/?next=/admin/",
            {"username": "admin", "password": PASSWORD, "next": "/admin/"},
        )
        assert status == 302

    def close(self):
        self.client.close()
        self.server.remove()


def warm(instance, paths, times=6):
    """Ask each path often enough that every worker of ``instance`` has it cached."""
    for _ in range(times):
        for path in paths:
            status, _, _ = instance.get(path)
            assert status == 200


LIST = "/2.3.0/spacecraft/?limit=100&mode=detailed"


def detail(craft_id):
    return f"/2.3.0/spacecraft/{craft_id}/"


def test_answers_are_cached_in_redis_and_identical_on_both(cluster):
    a, b, _, _, redis_client, prefix = cluster
    warm(a, [LIST, detail(7)])
    assert list(redis_client.scan_iter(f"{prefix}:*")), "nothing was stored in Redis"
    status_a, headers_a, body_a = a.get(LIST)
    status_b, headers_b, body_b = b.get(LIST)
    assert status_a == status_b == 200
    assert body_a == body_b
    assert headers_a["ETag"] == headers_b["ETag"]
    not_modified = b.get(LIST, {"If-None-Match": headers_a["ETag"]})
    assert not_modified[0] == 304 and not_modified[2] == b""


def test_an_admin_save_on_one_instance_is_read_on_the_other_at_once(cluster):
    a, b, _, _, _, _ = cluster
    a.log_in()
    craft = json.loads(b.get(detail(11))[2])
    status_id = craft["status"]["id"]
    for round_number in range(4):
        warm(a, [LIST, detail(11)], times=2)
        warm(b, [LIST, detail(11)])
        new_name = f"Renamed through A, round {round_number}"
        page = f"/admin/spacecraft/spacecraftstatus/{status_id}/change/"
        assert a.post_form(page, {"name": new_name, "_save": "Save"}) == 302
        # The very next requests, through B's workers, see it.
        for _ in range(4):
            assert json.loads(b.get(detail(11))[2])["status"]["name"] == new_name
            listed = json.loads(b.get(LIST)[2])["results"]
            assert {r["status"]["name"] for r in listed if r["status"]["id"] == status_id} == {
                new_name
            }


def test_an_import_is_read_on_both_instances_at_once(cluster, tmp_path):
    a, b, database, env, _, _ = cluster
    warm(a, [LIST, detail(3)])
    warm(b, [LIST, detail(3)])
    changed = records(120)
    changed[2]["name"] = "Imported while both were serving"
    changed.append({**records(121)[120]})
    page = tmp_path / "changed.json"
    page.write_text(json.dumps({"results": changed}), encoding="utf-8")
    database.manage("import_ll2", str(page), env=env)
    for instance in (b, a):
        assert json.loads(instance.get(detail(3))[2])["name"] == "Imported while both were serving"
        assert json.loads(instance.get(LIST)[2])["count"] == 121
