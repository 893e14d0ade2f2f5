"""The one way the tests and the benchmark start processes: gunicorn, manage.py, Python.

Raw bytes over a socket, 64 concurrent connections, an import killed half-way:
these need the real thing, not Django's test client. Everything that runs in a
process of its own is started here:

- ``Server``: gunicorn with the production configuration (``gunicorn.conf.py``)
  on a listening socket this module opens on a port the operating system
  chooses (``127.0.0.1:0``) and hands over as ``--bind fd://N``. No port is
  ever fixed, so any number of runs, xdist workers and engineers can share the
  machine.
- ``run`` / ``start`` / ``measure``: ``python ARGS...`` (``manage.py ...``,
  ``bench/load.py ...``, ``-c CODE``) in the project's root, waited for,
  in the background, or with its wall time and peak memory.
- ``Database``: a fresh, migrated database for such processes, made from the
  test run's ``DATABASE_URL``: a SQLite file in a temporary directory, or a
  PostgreSQL database named after the configured one plus the tag and the
  pytest-xdist worker (``ll2_x`` -> ``ll2_x_srv_load_gw1``), dropped when done.
- ``redis_prefix``: a Redis key prefix no other test, worker or run shares.

- ``Server(..., dev=True)``: Django's development server with ``DEBUG=1``, as
  ``make run`` starts it. ``runserver`` cannot be handed a socket, so it gets
  a port the operating system chose a moment before (``closed_port``), and
  another one if that port was taken in between.
- ``InProcess``: an ``http.server`` in threads of the test's own process, on
  port 0 too: the fake LL2 server (``devtools/fake_ll2.py``).
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SECRET = "test-server-secret-key-long-enough-and-varied-0123456789-abcdefghij"
HOST = "127.0.0.1"
# Variables of the test run that must not leak into a production-like process.
TEST_ONLY = ("DJANGO_", "PYTEST_", "API_", "BEHIND_", "SECURE_")
# Set by tests/conftest.py while a test runs: the test's name, and whether it is marked
# ``server`` (only such tests may start processes, so that ``make test-fast`` starts none).
RUNNING = {"test": None, "marked": True}


def _allowed():
    if not RUNNING["marked"]:
        raise RuntimeError(
            f"{RUNNING['test']} starts a process: mark it @pytest.mark.server "
            "(make test-fast leaves those out)"
        )


def worker():
    """The pytest-xdist worker running this test (``gw0``...), or ``""`` when not under xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def redis_prefix(tag):
    """A Redis key prefix of one test's own: no other worker, run or engineer shares it."""
    return f"ll2-test-{tag}-{worker() or 'main'}-{os.getpid()}-{secrets.token_hex(3)}"


def listening_socket():
    """A socket listening on 127.0.0.1, on a port the operating system chose."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(128)
    return sock


def closed_port():
    """A port nothing listens on (the operating system's choice, released at once)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def on_postgresql(url=None):
    url = os.environ.get("DATABASE_URL") if url is None else url
    return (url or "").startswith(("postgres://", "postgresql://"))


# --- processes --------------------------------------------------------------------------


def _argv(args):
    _allowed()
    return [PYTHON, *map(str, args)]


def run(*args, env=None, timeout=600, check=False, cwd=ROOT):
    """``python ARGS`` in the project root, waited for; its CompletedProcess (text output)."""
    return subprocess.run(
        _argv(args),
        cwd=cwd,
        env=os.environ.copy() if env is None else env,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def manage(*args, env=None, **kwargs):
    """``python manage.py ARGS``; see ``run``."""
    return run(ROOT / "manage.py", *args, env=env, **kwargs)


def start(*args, env=None, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True):
    """``python ARGS`` in the background, in a session of its own (``stop`` ends it all)."""
    return subprocess.Popen(
        _argv(args),
        cwd=ROOT,
        env=os.environ.copy() if env is None else env,
        stdout=stdout,
        stderr=stderr,
        text=text,
        start_new_session=True,
    )


def stop(process, timeout=15):
    """SIGTERM to ``process``'s session, SIGKILL if it is still there after ``timeout``."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Measured:
    """What ``measure`` saw: exit code, output, wall seconds, peak resident memory (MB)."""

    def __init__(self, returncode, stdout, stderr, seconds, peak_mb):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.seconds, self.peak_mb = seconds, peak_mb


def measure(*args, env=None, timeout=3600, quiet=True):
    """``python ARGS``, with its wall time and peak RSS (from ``wait4``, this process only).

    ``quiet``: its standard output is dropped (else it goes to ours); the
    standard error is kept for the caller.
    """
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            _argv(args),
            cwd=ROOT,
            env=os.environ.copy() if env is None else env,
            stdout=subprocess.DEVNULL if quiet else None,
            stderr=err,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Measured(process.returncode, None, stderr, seconds, usage.ru_maxrss / 1024)


# --- databases ---------------------------------------------------------------------------


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


def production_env(**extra):
    """The test run's environment less its test-only settings, with production settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(TEST_ONLY)}
    env.update(
        DJANGO_SETTINGS_MODULE="spacedevs.settings",
        SECRET_KEY=SECRET,
        DEBUG="0",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),
    )
    env.pop("REDIS_URL", None)
    env.update({key: str(value) for key, value in extra.items()})
    return env


class Database:
    """A fresh, migrated database for server processes; ``url`` is its DATABASE_URL.

    ``base``: the database URL it is named after (default: the run's
    ``DATABASE_URL``; SQLite when that is unset). ``migrate=False`` leaves it empty.
    """

    def __init__(self, tag, base=None, migrate=True):
        self.tag = tag
        self.tmp = tempfile.mkdtemp(prefix=f"ll2-{tag}-")
        self.base = os.environ.get("DATABASE_URL") or "" if base is None else base
        if on_postgresql(self.base):
            parts = urlsplit(self.base)
            suffix = f"_{worker()}" if worker() else ""
            self.name = f"{parts.path.lstrip('/') or 'll2'}_srv_{tag}{suffix}"
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._drop()
            _admin_execute(self.base, f'CREATE DATABASE "{self.name}"')
        else:
            self.name = None
            self.url = f"sqlite:///{self.tmp}/{tag}.sqlite3"
        if migrate:
            self.manage("migrate", "--noinput", "-v0")

    def env(self, **extra):
        """The environment of a process on this database, production settings."""
        return production_env(DATABASE_URL=self.url, **extra)

    def manage(self, *args, env=None, check=True, timeout=600):
        return manage(*args, env=env or self.env(), check=check, timeout=timeout)

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
        _admin_execute(self.base, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def drop(self):
        if self.name:
            self._drop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- gunicorn ------------------------------------------------------------------------------


class Server:
    """gunicorn on ``database`` (or on the environment ``env``); ``url``: its base URL.

    ``app``: another WSGI application than the project's (the benchmark's
    bare one); ``extra``: settings for its environment. Its standard output
    (the access log, when ``access_log``) and standard error are kept in
    files; ``output()`` reads both.
    """

    def __init__(
        self, database=None, workers=2, env=None, app=None, access_log=False, dev=False, **extra
    ):
        settings = {"WEB_CONCURRENCY": workers, "GUNICORN_ACCESS_LOG": "-" if access_log else "off"}
        if dev:
            settings = {"DEBUG": "1"}
        if env is None:
            env = database.env(**settings, **extra)
        else:
            env = {**env, **{key: str(value) for key, value in {**settings, **extra}.items()}}
        _allowed()
        self.tmp = tempfile.mkdtemp(prefix="ll2-gunicorn-")
        self.stdout_path = Path(self.tmp) / "stdout.log"
        self.stderr_path = Path(self.tmp) / "stderr.log"
        if dev:
            self._start_runserver(env)
            return
        listener = listening_socket()
        self.host, self.port = listener.getsockname()
        self.url = f"http://{self.host}:{self.port}"
        fd = listener.fileno()
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"fd://{fd}",
        ]
        if app:
            command.append(app)
        self._spawn(command, env, pass_fds=(fd,))
        # gunicorn holds the socket now; ours closes, so a gunicorn that dies
        # refuses connections instead of leaving them waiting.
        listener.close()
        self._wait_ready()

    def _spawn(self, command, env, pass_fds=()):
        """Start ``command`` in a session of its own, its output in this server's files."""
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                pass_fds=pass_fds,
                start_new_session=True,
            )

    def _start_runserver(self, env, tries=3):
        for attempt in range(tries):
            self.host, self.port = HOST, closed_port()
            self.url = f"http://{self.host}:{self.port}"
            command = [PYTHON, "manage.py", "runserver", "--noreload", f"{self.host}:{self.port}"]
            self._spawn(command, env)
            try:
                self._wait_ready()
                return
            except RuntimeError:
                # Taken by another process between the choice and the bind: choose again.
                if attempt == tries - 1 or "already in use" not in self.output():
                    raise

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server stopped at start:\n{self.output()[-3000:]}")
            try:
                self.get("/healthz", timeout=2)  # answers without data (perhaps 503)
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
                continue
            return  # it answers (what it answers is for the test to judge)
        self.stop()
        raise RuntimeError(f"the server did not answer in {timeout} s:\n{self.output()[-3000:]}")

    def stdout(self):
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self):
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def output(self):
        return self.stdout() + self.stderr()

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

    def cpu_seconds(self):
        """CPU seconds used so far by the gunicorn master and its workers."""
        return process_group_cpu(self.process.pid)

    def stop(self):
        stop(self.process)

    def remove(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _dechunk(data):
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2 :]
    return body


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_group_cpu(process_group=None, database=None):
    """CPU seconds used so far by a process group (with its children that have exited and
    were waited for: gunicorn's replaced workers) and by the PostgreSQL backends of a database
    (those still running: a backend that has ended takes its figure with it)."""
    total = 0
    marker = f" {database} ".encode() if database else None
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            mine = process_group is not None and int(fields[2]) == process_group
            if not mine and marker:
                title = Path(f"/proc/{entry.name}/cmdline").read_bytes()
                mine = title.startswith(b"postgres: ") and marker in title
        except (OSError, IndexError, ValueError):
            continue
        if mine:
            total += int(fields[11]) + int(fields[12])
            if process_group is not None and int(fields[2]) == process_group:
                total += int(fields[13]) + int(fields[14])
    return total / TICKS


# --- in this process -------------------------------------------------------------------------


class InProcess:
    """An ``http.server`` handler served by threads of this process (the fake LL2 server),
    on a port the operating system chose."""

    def __init__(self, handler):
        self.server = ThreadingHTTPServer((HOST, 0), handler)
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class Recorded:
    """An in-process server (``InProcess``) answering each recorded path (with its query,
    as the request line has it) with the bytes recorded for it, as JSON; 404 otherwise.

    ``pages`` may be filled while it runs: a test records what a server answered, then
    has a client read it back over real HTTP.
    """

    def __init__(self, pages=None):
        self.pages = dict(pages or {})
        recorded = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = recorded.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format, *args):  # keep the test output clean
                pass

        self._served = InProcess(Handler)
        self.host = f"{self._served.host}:{self._served.port}"

    def stop(self):
        self._served.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@contextmanager
def database(tag, **kwargs):
    made = Database(tag, **kwargs)
    try:
        yield made
    finally:
        made.drop()


@contextmanager
def server(on=None, **kwargs):
    with Server(on, **kwargs) as running:
        yield running
