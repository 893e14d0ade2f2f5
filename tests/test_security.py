"""Production settings, error pages, HTTPS behind a proxy, the admin login and CSRF.

Settings are read from the environment once, at start, so what depends on
the environment is checked in a fresh process (``manage.py``, or a real
server with production settings on a database of its own); the rest runs
in-process with Django's test client.
"""

import json
import os
import re
import time

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory

from devtools import servers
from spacecraft.serving import security

from . import factories

URL = "/2.3.0/spacecraft/"
LONG_SECRET = "Xq7-production-like-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "spacedevs.settings",
    "SECRET_KEY": LONG_SECRET,
    "ALLOWED_HOSTS": "api.example.org",
    "BEHIND_TLS_PROXY": "1",
    "DATABASE_URL": "sqlite:////nonexistent/never-opened.sqlite3",
}


def manage(*args, **env):
    """Run manage.py with only the given settings in the environment (plus PATH)."""
    environment = {
        key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")
    }
    environment.update(env)
    return servers.manage(*args, env=environment, timeout=120)


# --- settings -------------------------------------------------------------------------


@pytest.mark.server
def test_check_deploy_reports_nothing_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.server
def test_check_deploy_warns_without_the_tls_proxy_settings():
    # The check is real: the same production settings served over plain http
    # have no HSTS, no secure cookies and no redirect, and it says so.
    env = {**PRODUCTION, "BEHIND_TLS_PROXY": "0"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


@pytest.mark.server
def test_without_a_secret_key_and_debug_off_the_settings_refuse_to_start():
    env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode == 1
    assert result.stderr == (
        "Configuration error: SECRET_KEY must be set when DEBUG is off "
        "(set DEBUG=1 for local development).\n"
    )


@pytest.mark.server
def test_debug_is_off_unless_asked_for():
    code = "from django.conf import settings; print(settings.DEBUG)"
    assert manage("shell", "-v0", "-c", code, **PRODUCTION).stdout.strip() == "False"
    debug = {**PRODUCTION, "DEBUG": "1"}
    assert manage("shell", "-v0", "-c", code, **debug).stdout.strip() == "True"


@pytest.mark.server
def test_an_unreadable_throttle_rate_refuses_to_start():
    result = manage("check", **PRODUCTION, API_THROTTLE_ANON="fifteen an hour")
    assert result.returncode != 0
    assert "API_THROTTLE_ANON='fifteen an hour' is not" in result.stderr


# --- crashes and bad requests never show a traceback ------------------------------------

SERVER_ERROR = {"error": "Server Error (500)"}


@pytest.fixture
def broken_catalogue(db):
    """The spacecraft table is gone (in this test's transaction only): every read crashes."""
    factories.spacecraft()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE spacecraft_spacecraft RENAME TO spacecraft_gone")


@pytest.mark.parametrize(
    "target",
    [f"{URL}?format=json", f"{URL}?format=api", f"{URL}?mode=detailed", f"{URL}1/?format=json"],
)
def test_a_crash_in_a_view_is_a_json_500_without_a_traceback(broken_catalogue, target):
    client = Client(raise_request_exception=False)
    response = client.get(target)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == SERVER_ERROR


@pytest.fixture(scope="module")
def unmigrated():
    """A server on a database nobody migrated: every API read fails in the database."""
    with servers.database("unmigrated") as database:
        database.manage("migrate", "spacecraft", "zero", "--noinput", "-v0")
        yield database


@pytest.mark.server
def test_a_crash_in_a_real_server_shows_no_traceback(unmigrated):
    with servers.server(unmigrated) as server:
        for target in (f"{URL}?format=json", f"{URL}?format=api", f"{URL}5/", "/2.3.0/agencies/"):
            status, headers, body = server.get(target)
            assert status == 500
            assert headers["Content-Type"] == "application/json"
            assert json.loads(body) == SERVER_ERROR
        log = server.output()
    # The traceback goes to the server's log, where it belongs.
    assert "Traceback" in log


def test_a_disallowed_host_is_a_json_400(api, db):
    response = api.get(URL, HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert json.loads(response.content) == {"error": "Bad Request (400)"}


def test_an_unknown_page_is_a_plain_404_not_the_debug_page(api, db):
    response = api.get("/no/such/page/")
    assert response.status_code == 404
    assert b"URLconf" not in response.content
    assert b"Traceback" not in response.content


# --- HTTPS behind a TLS proxy -------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_database():
    with servers.database("security") as database:
        database.manage("loaddata", "ll2_seed", "-v0")
        yield database


@pytest.mark.server
def test_behind_a_tls_proxy_links_say_https_and_hsts_and_secure_cookies_are_sent(
    seeded_database,
):
    with servers.server(seeded_database, BEHIND_TLS_PROXY=1) as server:
        https = {"X-Forwarded-Proto": "https"}
        status, headers, page = server.get_json(f"{URL}?format=json&limit=5", headers=https)
        assert status == 200
        assert (
            page["next"] == f"https://{server.host}:{server.port}{URL}?format=json&limit=5&offset=5"
        )
        assert all(record["url"].startswith("https://") for record in page["results"])
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )

        # Plain http (no header from the proxy) is sent to https.
        status, headers, _ = server.get(f"{URL}?format=json&limit=5")
        assert status == 301
        assert (
            headers["Location"] == f"https://{server.host}:{server.port}{URL}?format=json&limit=5"
        )

        # The admin's cookies are only ever sent over https.
        status, headers, _ = server.get("/admin/login/", headers=https)
        assert status == 200
        cookie = headers["Set-Cookie"]
        assert cookie.startswith("csrftoken=")
        assert "; Secure" in cookie


def test_without_the_proxy_setting_x_forwarded_proto_is_ignored(api, seeded):
    # A client cannot make itself look like https to a server not behind a proxy.
    response = api.get(URL, {"format": "json", "limit": 5}, HTTP_X_FORWARDED_PROTO="https")
    assert response.json()["next"].startswith("http://testserver/")


# --- the API has no write path -------------------------------------------------------------


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def csrf_token_of(client):
    page = client.get("/admin/password_change/")
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("detail", [False, True])
def test_a_logged_in_superuser_with_a_csrf_token_cannot_write_through_the_api(
    db, fast_hashing, method, detail
):
    craft = factories.spacecraft(name="Untouched")
    User.objects.create_superuser("root", "root@example.org", "root-password")
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="root", password="root-password")
    token = csrf_token_of(client)
    target = f"{URL}{craft.id}/" if detail else URL
    response = getattr(client, method)(
        target,
        data=json.dumps({"name": "Changed", "flights_count": 9}),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    craft.refresh_from_db()
    assert craft.name == "Untouched"
    assert list(type(craft).objects.values_list("id", flat=True)) == [craft.id]


def test_the_admin_login_form_needs_its_csrf_token(db, fast_hashing):
    User.objects.create_superuser("root", "root@example.org", "root-password")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "root", "password": "root-password"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# --- admin login rate limiting -------------------------------------------------------------


@pytest.fixture
def login_limits(db, settings, fast_hashing):
    settings.ADMIN_LOGIN_MAX_FAILURES = 5
    settings.ADMIN_LOGIN_LOCKOUT_SECONDS = 900
    User.objects.create_superuser("root", "root@example.org", "root-password")
    User.objects.create_superuser("other", "other@example.org", "other-password")
    used = []

    def attempt(username, password, address="10.20.0.1", **headers):
        used.append((address, username))
        client = Client(REMOTE_ADDR=address)
        return client.post(
            "/admin/login/?next=/admin/",
            {"username": username, "password": password},
            **headers,
        )

    clear(used_by_default())
    yield attempt
    clear(used)


def used_by_default():
    return [(address, name) for address in ("10.20.0.1", "10.20.0.2") for name in ("root", "other")]


def clear(pairs):
    for address, username in pairs:
        request = RequestFactory().post("/admin/login/", REMOTE_ADDR=address)
        for key in security._keys(request, username):
            cache.delete_many([f"{key}:count", f"{key}:since"])


def test_admin_login_is_refused_after_five_failures_even_with_the_right_password(login_limits):
    for _ in range(5):
        response = login_limits("root", "wrong")
        assert response.status_code == 200  # the form again, with its error
    blocked = login_limits("root", "root-password")
    assert blocked.status_code == 429
    assert 890 <= int(blocked["Retry-After"]) <= 900
    # A page in the admin's look, not a bare text or a traceback.
    assert blocked["Content-Type"] == "text/html; charset=utf-8"
    assert b'<p class="errornote" role="alert">Too many failed login attempts. Try again in' in (
        blocked.content
    )
    # The lock is on the address: another user name from it is refused too...
    assert login_limits("other", "other-password").status_code == 429
    # ...and on the user name: guessing its password from elsewhere is refused.
    assert login_limits("root", "wrong", address="10.20.0.2").status_code == 429
    # Another user from another address logs in.
    assert login_limits("other", "other-password", address="10.20.0.2").status_code == 302


def test_a_spoofed_x_forwarded_for_does_not_escape_the_limit(login_limits):
    for number in range(5):
        login_limits(f"guess{number}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    response = login_limits("root", "root-password", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


def test_a_successful_login_clears_the_failures(login_limits):
    for _ in range(4):
        assert login_limits("root", "wrong").status_code == 200
    assert login_limits("root", "root-password").status_code == 302
    for _ in range(4):
        assert login_limits("root", "wrong").status_code == 200
    assert login_limits("root", "root-password").status_code == 302


def test_the_lock_ends_with_its_window(login_limits, settings):
    settings.ADMIN_LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(5):
        login_limits("root", "wrong")
    assert login_limits("root", "root-password").status_code == 429
    time.sleep(1.2)
    assert login_limits("root", "root-password").status_code == 302
