"""Real server processes and their databases, for the tests that need them.

Raw bytes over a socket, 64 concurrent connections, an import killed half-way:
these need the real thing, not Django's test client. Each server runs in its
own process with production settings (``spacedevs.settings``, ``DEBUG`` off)
on a database of its own, made from the test run's ``DATABASE_URL``:

- SQLite (no ``DATABASE_URL``): a file in a temporary directory;
- PostgreSQL: a database named after the configured one plus a suffix
  (``ll2_x`` -> ``ll2_x_srv_load``), dropped when the test is done.

The server is gunicorn with the production configuration (``gunicorn.conf.py``)
when requirements.txt lists it, else Django's ``runserver``; ``dev=True`` runs
``runserver`` with ``DEBUG=1``, as ``make run`` does. Ports come from ``TEST_SERVER_PORTS``
(default 8200-8219).
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SECRET = "test-server-secret-key-long-enough-and-varied-0123456789-abcdefghij"


def _ports():
    spec = os.environ.get("TEST_SERVER_PORTS", "8200-8219")
    first, _, last = spec.partition("-")
    return range(int(first), int(last or first) + 1)


def free_port():
    for port in _ports():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {os.environ.get('TEST_SERVER_PORTS', '8200-8219')}")


def on_postgresql():
    return (os.environ.get("DATABASE_URL") or "").startswith(("postgres://", "postgresql://"))


def _admin_execute(url, statement):
    """Run ``statement`` outside any transaction on the server of ``url``."""
    import psycopg2

    admin = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(statement)
    finally:
        admin.close()


class Database:
    """A fresh, migrated database for server processes; ``url`` is its DATABASE_URL."""

    def __init__(self, tag):
        self.tag = tag
        self.tmp = tempfile.mkdtemp(prefix=f"ll2-{tag}-")
        base = os.environ.get("DATABASE_URL") or ""
        if on_postgresql():
            parts = urlsplit(base)
            self.name = f"{parts.path.lstrip('/') or 'll2'}_srv_{tag}"
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._drop()
            _admin_execute(base, f'CREATE DATABASE "{self.name}"')
        else:
            self.name = None
            self.url = f"sqlite:///{self.tmp}/{tag}.sqlite3"
        self.manage("migrate", "--noinput", "-v0")

    def env(self, **extra):
        """The environment of a process on this database, production settings."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PYTEST_", "API_", "BEHIND_", "SECURE_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="spacedevs.settings",
            DATABASE_URL=self.url,
            SECRET_KEY=SECRET,
            DEBUG="0",
            PYTHONUNBUFFERED="1",
        )
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def manage(self, *args, env=None, check=True, timeout=600):
        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env or self.env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def shell(self, code, **kwargs):
        """Run Python ``code`` with Django set up on this database; its stdout."""
        return self.manage("shell", "-v0", "-c", code, **kwargs).stdout

    def import_records(self, records, name="records.json"):
        path = Path(self.tmp) / name
        document = {"count": len(records), "next": None, "previous": None, "results": records}
        path.write_text(json.dumps(document), encoding="utf-8")
        self.manage("import_ll2", str(path), "-v0")
        return path

    def _drop(self):
        base = os.environ.get("DATABASE_URL")
        _admin_execute(base, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def drop(self):
        if self.name:
            self._drop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def uses_gunicorn():
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").lower()
    return "gunicorn" in requirements and shutil.which("gunicorn", path=Path(PYTHON).parent)


class Server:
    """A server process on ``database``; ``url`` is its base URL (no trailing slash)."""

    def __init__(self, database, workers=2, dev=False, **env):
        self.port = free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.log = Path(database.tmp) / f"server-{self.port}.log"
        if dev:
            # As `make run` serves: Django's development server with DEBUG on.
            command = [PYTHON, "manage.py", "runserver", "--noreload", f"{self.host}:{self.port}"]
            env = {"DEBUG": "1", **env}
        elif uses_gunicorn():
            # The production configuration (gunicorn.conf.py), on our port.
            command = [str(Path(PYTHON).parent / "gunicorn"), "--config", "gunicorn.conf.py"]
            env = {
                "GUNICORN_BIND": f"{self.host}:{self.port}",
                "WEB_CONCURRENCY": workers,
                "GUNICORN_ACCESS_LOG": "off",
                **env,
            }
        else:
            command = [PYTHON, "manage.py", "runserver", "--noreload", f"{self.host}:{self.port}"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=database.env(**env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped at start:\n{self.output()}")
            try:
                self.get("/admin/login/")  # not throttled, needs no data
            except OSError:
                time.sleep(0.1)
                continue
            return  # it answers (what it answers is for the test to judge)
        raise RuntimeError(f"the server did not start in {timeout} s:\n{self.output()}")

    def output(self):
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, target, headers=None, timeout=30):
        """(status, headers, body bytes) of one GET on a new connection."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request("GET", target, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def get_json(self, target, headers=None, timeout=30):
        status, response_headers, body = self.get(target, headers, timeout)
        return status, response_headers, json.loads(body)

    def raw(self, request_bytes, timeout=30):
        """Send ``request_bytes`` as they are; (status, head bytes, body bytes)."""
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(request_bytes)
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        data = b"".join(chunks)
        head, _, body = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0]
        if b"\r\ntransfer-encoding: chunked" in head.lower():
            body = _dechunk(body)
        return int(status_line.split()[1]), head, body

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _dechunk(data):
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2 :]
    return body


@contextmanager
def database(tag):
    made = Database(tag)
    try:
        yield made
    finally:
        made.drop()


@contextmanager
def server(on, **kwargs):
    running = Server(on, **kwargs)
    try:
        yield running
    finally:
        running.stop()
