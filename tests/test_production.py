"""Production serving: the deploy checks, gunicorn with the repo's config,
whitenoise, logs on stdout, ``/healthz``, and the import progress display.

gunicorn runs as a real process (``devtools/servers.py``), against a database of its own.
"""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.test import Client

from bench.dataset import write_pages
from devtools import servers

ALLOWED = {"ALLOWED_HOSTS": "api.example.org,127.0.0.1"}


@pytest.mark.server
def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = servers.production_env(
        **ALLOWED,
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        BEHIND_TLS_PROXY="1",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    result = servers.manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.server
def test_check_deploy_fails_without_the_https_settings(tmp_path):
    env = servers.production_env(**ALLOWED, DATABASE_URL=f"sqlite:///{tmp_path / 'p.sqlite3'}")
    result = servers.manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr  # no HSTS


@pytest.fixture
def deployed(tmp_path):
    with servers.database("production") as database:
        env = database.env(**ALLOWED, STATIC_ROOT=str(tmp_path / "static"))
        database.manage("collectstatic", "--noinput", env=env)
        pages = write_pages(tmp_path / "pages", 120)
        database.manage("import_ll2", *map(str, pages), env=env)
        with servers.server(env=env, access_log=True) as server:
            yield server


@pytest.mark.server
def test_gunicorn_serves_the_api_static_files_and_health(deployed):
    status, headers, body = deployed.get("/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok"}
    assert headers["Cache-Control"] == "no-store"

    status, headers, body = deployed.get("/2.3.0/spacecraft/?limit=100&mode=detailed")
    assert status == 200 and headers["Content-Type"] == "application/json"
    page = json.loads(body)
    assert page["count"] == 120 and len(page["results"]) == 100
    assert headers["ETag"]

    # The browsable API's and the admin's files, from whitenoise, compressed.
    for path, kind in (
        ("/static/rest_framework/css/bootstrap.min.css", "text/css"),
        ("/static/admin/js/core.js", "text/javascript"),
    ):
        status, headers, body = deployed.get(path, {"Accept-Encoding": "gzip"})
        assert status == 200, path
        assert headers["Content-Type"].startswith(kind)
        assert headers.get("Content-Encoding") == "gzip"
        assert "max-age" in headers["Cache-Control"]
    html = deployed.get("/2.3.0/spacecraft/?format=api&limit=1")[2].decode()
    assert "/static/rest_framework/css/bootstrap.min.css" in html

    deployed.stop()
    access = '"GET /2.3.0/spacecraft/?limit=100&mode=detailed HTTP/1.1" 200'
    assert access in deployed.stdout()  # the access log, on stdout
    assert "Booting worker" in deployed.stderr()


@pytest.mark.server
def test_healthz_is_503_when_the_database_is_down(tmp_path):
    nowhere = f"postgres://postgres@127.0.0.1:{servers.closed_port()}/nothing"
    env = servers.production_env(**ALLOWED, DATABASE_URL=nowhere)
    with servers.server(env=env) as server:
        status, _, body = server.get("/healthz")
    assert status == 503
    assert json.loads(body) == {"status": "error", "database": "unavailable"}


def test_healthz_answers_any_host_over_plain_http(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["api.example.org"]
    response = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert Client().get("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
    assert Client().post("/healthz").status_code == 405
    # Everything else still gets the HTTPS redirect and the host check.
    assert Client().get("/2.3.0/spacecraft/", HTTP_HOST="api.example.org").status_code == 301
    assert Client().get("/2.3.0/spacecraft/", HTTP_HOST="10.0.0.7").status_code == 400


def test_logs_go_to_stdout(settings):
    handlers = settings.LOGGING["handlers"]
    assert {handler.get("stream") for handler in handlers.values()} == {"ext://sys.stdout"}


# --- the import progress display -------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_import_shows_progress_on_a_terminal_only(db, tmp_path):
    pages = [str(path) for path in write_pages(tmp_path, 250)]
    terminal = Terminal()
    call_command("import_ll2", *pages, stdout=terminal)
    shown = terminal.getvalue()
    # tqdm's bar, redrawn in place after each file, then cleared for the summary.
    assert re.search(r"\r 33%\|#+\d? +\| 1/3 \[[^\]]*, 100 spacecraft · [\d,]+/s\]", shown), shown
    assert re.search(r"\r100%\|#+\| 3/3 \[[^\]]*, 250 spacecraft · [\d,]+/s\]", shown), shown
    assert "\nspacecraft: 250 created, 0 updated, 0 unchanged\n" in shown
    # The benchmark's records carry flights: the last kind in the summary.
    assert re.search(r"\nflight: [1-9]\d* created, 0 updated, 0 unchanged$", shown.rstrip()), shown

    piped = io.StringIO()
    call_command("import_ll2", *pages, stdout=piped)
    assert "\r" not in piped.getvalue() and "file " not in piped.getvalue()
    assert "spacecraft: 0 created, 0 updated, 250 unchanged" in piped.getvalue()
