"""``import_ll2`` killed half-way through a file changes nothing of that file.

A real ``manage.py import_ll2`` process imports a small file, then a large one
(6,000 spacecraft, most of them new, the rest changed). It is killed with
SIGKILL while it is inside the large file's transaction and has written part
of it: on PostgreSQL once ``pg_stat_activity`` shows its connection inside a
transaction that has written and is inserting spacecraft rows; on SQLite once
it holds the write lock and has written 256 KiB of uncommitted pages
to the write-ahead log. Then the database must be exactly as the small file
left it (``dumpdata`` of the whole catalogue), and running the same command
again must import everything.
"""

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from devtools import servers
from devtools.fake_ll2 import detailed_records

BEFORE = 50  # spacecraft in the database before the command
SMALL = 10  # new spacecraft in the first file
LARGE = 6_000  # spacecraft in the second file: all BEFORE + SMALL changed, the rest new
APP_NAME = "ll2-interrupted-import"


def write_page(path, records):
    document = {"count": len(records), "next": None, "previous": None, "results": records}
    Path(path).write_text(json.dumps(document), encoding="utf-8")


def snapshot(database):
    """The whole catalogue as ``dumpdata`` writes it, in a stable order."""
    return json.loads(database.manage("dumpdata", "spacecraft", "--indent", "0").stdout)


def counts(database):
    return json.loads(
        database.shell(
            "import json; from spacecraft.models import Spacecraft as S; print(json.dumps("
            "[S.objects.count(), S.objects.filter(description__startswith='Large').count()]))"
        )
    )


@pytest.fixture
def files(tmp_path):
    small = detailed_records(SMALL, first_id=BEFORE + 1)
    large = detailed_records(LARGE)
    for record in large:
        record["description"] = f"Large file, record {record['id']}."
    write_page(tmp_path / "small.json", small)
    write_page(tmp_path / "large.json", large)
    return [str(tmp_path / "small.json"), str(tmp_path / "large.json")]


def wait_inside_the_transaction_postgresql(database, process):
    import psycopg2

    watcher = psycopg2.connect(database.url)
    watcher.autocommit = True
    try:
        with watcher.cursor() as cursor:
            while process.poll() is None:
                cursor.execute(
                    "SELECT query FROM pg_stat_activity WHERE datname = %s "
                    "AND application_name = %s AND backend_xid IS NOT NULL "
                    "AND state IN ('active', 'idle in transaction')",
                    [database.name, APP_NAME],
                )
                row = cursor.fetchone()
                if row and row[0].startswith('INSERT INTO "spacecraft_spacecraft"'):
                    return
                time.sleep(0.005)
    finally:
        watcher.close()


def wait_inside_the_transaction_sqlite(database, process):
    path = database.url.removeprefix("sqlite:///")
    wal = Path(path + "-wal")
    watcher = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        locked_at_size = None
        while process.poll() is None:
            if locked_at_size is None:
                try:
                    watcher.execute("BEGIN IMMEDIATE")
                    watcher.execute("ROLLBACK")
                except sqlite3.OperationalError as error:
                    assert "locked" in str(error)
                    locked_at_size = wal.stat().st_size if wal.exists() else 0
            elif wal.exists() and wal.stat().st_size > locked_at_size + 256 * 1024:
                return
            time.sleep(0.005)
    finally:
        watcher.close()


def wait_until_gone(database):
    """PostgreSQL ends the killed client's transaction when it sees the socket close."""
    if not database.name:
        return
    import psycopg2

    watcher = psycopg2.connect(database.url)
    watcher.autocommit = True
    try:
        with watcher.cursor() as cursor:
            for _ in range(1000):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [APP_NAME],
                )
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.01)
    finally:
        watcher.close()
    raise AssertionError("the killed import's connection is still open")


@pytest.mark.server
def test_a_killed_import_leaves_the_file_unapplied_and_a_rerun_completes(files):
    with servers.database("interrupt") as database:
        database.import_records(detailed_records(BEFORE))
        env = database.env(PGAPPNAME=APP_NAME)
        command = ["manage.py", "import_ll2", *files]

        # The small file alone, to know the state the large file must not change.
        database.manage("import_ll2", files[0], "-v0")
        expected = snapshot(database)
        assert len([row for row in expected if row["model"] == "spacecraft.spacecraft"]) == (
            BEFORE + SMALL
        )
        # Importing the small file again changes nothing, so the state after
        # the killed run is comparable whether or not it got past that file.
        process = servers.start(*command, env=env, stdout=subprocess.DEVNULL, text=False)
        try:
            if servers.on_postgresql():
                wait_inside_the_transaction_postgresql(database, process)
            else:
                wait_inside_the_transaction_sqlite(database, process)
            assert process.poll() is None, (
                "the import ended before it could be killed: "
                f"{process.stderr.read().decode()[-2000:]}"
            )
            os.killpg(process.pid, signal.SIGKILL)
        finally:
            process.wait()
        assert process.returncode == -signal.SIGKILL
        wait_until_gone(database)

        assert snapshot(database) == expected
        assert counts(database) == [BEFORE + SMALL, 0]

        rerun = servers.run(*command, env=env)
        assert rerun.returncode == 0, rerun.stderr
        assert counts(database) == [LARGE, LARGE]
        created = LARGE - BEFORE - SMALL
        summary = f"spacecraft: {created} created, {BEFORE + SMALL} updated, {SMALL} unchanged"
        assert summary in rerun.stdout.splitlines()
