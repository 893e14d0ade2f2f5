"""Production serving: the deploy checks, gunicorn with the repo's config,
whitenoise, logs on stdout, ``/healthz``, and the import progress display.

gunicorn runs as a real process on 127.0.0.1 (ports 8150-8169), against a
SQLite file of its own.
"""

import io
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from bench.dataset import write_pages

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **extra):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "spacedevs.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "api.example.org,127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    env.update(extra)
    return env


def manage(env, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = production_env(tmp_path, BEHIND_TLS_PROXY="1", REDIS_URL="redis://127.0.0.1:6379/0")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_the_https_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr  # no HSTS


class Gunicorn:
    """gunicorn with the repository's gunicorn.conf.py, on one of our ports."""

    def __init__(self, env, port):
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.get("/healthz")
                return
            except urllib.error.HTTPError:
                return  # it answers (perhaps 503): started
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"gunicorn did not start: {self.process.stderr.read()[-2000:]}")

    def get(self, path, headers=None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()

    def stop(self):
        """Stop gunicorn; (stdout, stderr) it wrote."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.stdout.read().decode(), self.process.stderr.read().decode()


@pytest.fixture
def deployed(tmp_path):
    env = production_env(tmp_path)
    for args in (
        ("migrate", "--noinput"),
        ("collectstatic", "--noinput"),
        ("import_ll2", *map(str, write_pages(tmp_path / "pages", 120))),
    ):
        result = manage(env, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    server = Gunicorn(env, 8151)
    yield server
    server.stop()


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

    out, err = deployed.stop()
    assert '"GET /2.3.0/spacecraft/?limit=100&mode=detailed HTTP/1.1" 200' in out  # access log
    assert "Booting worker" in err


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    env = production_env(tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:8168/nothing")
    server = Gunicorn(env, 8152)
    try:
        with pytest.raises(urllib.error.HTTPError) as error:
            server.get("/healthz")
        assert error.value.code == 503
        assert json.loads(error.value.read()) == {"status": "error", "database": "unavailable"}
    finally:
        server.stop()


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
    assert "\rfile 1/3" not in shown  # each update clears the line first
    assert "\r\x1b[Kfile 1/3 · 100 spacecraft" in shown
    assert "\r\x1b[Kfile 3/3 · 250 spacecraft" in shown
    assert "\nspacecraft: 250 created, 0 updated, 0 unchanged\n" in shown
    assert shown.rstrip().endswith("flight: 0 created, 0 updated, 0 unchanged")

    piped = io.StringIO()
    call_command("import_ll2", *pages, stdout=piped)
    assert "\r" not in piped.getvalue() and "file " not in piped.getvalue()
    assert "spacecraft: 0 created, 0 updated, 250 unchanged" in piped.getvalue()
