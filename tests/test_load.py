"""Load: 64 concurrent connections on a mix of requests, no errors and no timeouts.

A short version of ``bench/load.py`` (the full one runs for a minute; its
figures are in docs/benchmarks.md): a real server process with the production
configuration, on a catalogue of a few hundred spacecraft, is read by 64
keep-alive connections for a few seconds on a mix of normal and detailed
lists, searches and detail requests. Every answer must be a 200 within the
client's timeout.

Also here: the database side of "one slow query cannot hold a worker
forever", PostgreSQL's ``statement_timeout`` from ``DB_STATEMENT_TIMEOUT``.
"""

import json
import os
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from devtools import servers
from devtools.fake_ll2 import detailed_records

CONNECTIONS = 64
SECONDS = 6


@pytest.fixture(scope="module")
def catalogue():
    with servers.database("load") as database:
        database.import_records(detailed_records(300))
        yield database


@pytest.mark.server
def test_64_connections_on_a_mix_of_requests_have_no_errors_and_no_timeouts(catalogue):
    with servers.server(catalogue) as server:
        result = servers.run(
            "bench/load.py",
            "--url",
            server.url,
            "--connections",
            CONNECTIONS,
            "--duration",
            SECONDS,
            "--timeout",
            "30",
            "--json",
            timeout=SECONDS + 120,
        )
    assert result.stdout, result.stderr
    summary = json.loads(result.stdout)
    assert summary["errors"] == 0, summary["error_kinds"]
    assert summary["timeouts"] == 0
    assert summary["statuses"] == {"200": summary["requests"]}
    assert result.returncode == 0
    # Every kind of request was made, by every connection's share of the time.
    assert set(summary["by_kind"]) == {"list", "detailed", "search", "detail"}
    assert summary["requests"] >= CONNECTIONS
    assert summary["catalogue"] == 300


# --- statement timeout -------------------------------------------------------------------


postgresql_only = pytest.mark.skipif(
    not servers.on_postgresql(), reason="SQLite has no statement timeout"
)


@postgresql_only
def test_the_default_statement_timeout_is_fifteen_seconds(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "15s"


@pytest.mark.server
@postgresql_only
def test_a_slow_query_is_cancelled_after_db_statement_timeout(db):
    code = (
        "import time\n"
        "from django.db import connection, OperationalError\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    connection.cursor().execute('SELECT pg_sleep(20)')\n"
        "except OperationalError as error:\n"
        "    print(round(time.monotonic() - started, 1), error)\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_"))
    }
    # The test database: it exists, and pg_sleep needs no table.
    test_database = urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + connection.settings_dict["NAME"]
    )
    env.update(SECRET_KEY="x", DB_STATEMENT_TIMEOUT="0.5", DATABASE_URL=urlunsplit(test_database))
    started = time.monotonic()
    result = servers.manage("shell", "-v0", "-c", code, env=env, timeout=60)
    assert time.monotonic() - started < 15, "the query was not cancelled"
    seconds, message = result.stdout.split(" ", 1)
    assert "canceling statement due to statement timeout" in message, result.stderr
    assert 0.4 <= float(seconds) < 5
