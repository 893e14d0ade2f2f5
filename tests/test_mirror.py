"""``import_ll2 --from URL``: mirroring an LL2-compatible server over real HTTP.

Every test talks to a real server on 127.0.0.1 (``devtools/fake_ll2.py``, or our
own Django server through ``live_server``). Pacing, backoff and timeouts are
set small, and timing claims are checked on the arrival times the server
logged.
"""

import io
import json
import math
import os
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from devtools import servers
from devtools.fake_ll2 import FakeLL2, detailed_records
from spacecraft.ingest import mirror
from spacecraft.ingest.importer import WRITE_ORDER
from spacecraft.models import MirrorCheckpoint, Spacecraft

from .conftest import as_ll2, load_seed, sync

RECORDS = detailed_records(23)


@pytest.fixture
def fake():
    """23 detailed records, at most 5 a page whatever the client asks."""
    with FakeLL2(RECORDS, max_limit=5) as server:
        yield server


class Terminal(io.StringIO):
    """Output that says it is a terminal, as ``sys.stdout`` does in a shell."""

    def isatty(self):
        return True


def command(*args):
    out = io.StringIO()
    call_command("import_ll2", *args, stdout=out)
    return out.getvalue()


def offsets(hits):
    return [hit.offset for hit in hits]


def arrivals(hits, offset):
    return [hit.at for hit in hits if hit.offset == offset]


def assert_stored_exactly(api, records):
    """Our API's detail page of each record is the record, key for key."""
    assert Spacecraft.objects.count() == len(records)
    for record in records:
        response = api.get(f"/2.3.0/spacecraft/{record['id']}/")
        assert response.status_code == 200
        assert json.dumps(as_ll2(response.json())) == json.dumps(record)


# --- the happy path ------------------------------------------------------------------------


def test_follows_next_links_when_the_server_caps_the_page_size(db, api, fake):
    output = command("--from", fake.url, "--calls-per-hour", "0")

    first, *rest = fake.hits
    assert first.query == {"limit": "100", "mode": "detailed"}
    # The server answered 5 a page: the client followed its links, not its own guess.
    assert [hit.query["limit"] for hit in rest] == ["5"] * 4
    assert offsets(fake.hits) == [0, 5, 10, 15, 20]
    assert_stored_exactly(api, RECORDS)
    checkpoint = MirrorCheckpoint.objects.get()
    assert checkpoint.source_url == f"{fake.url}?limit=100&mode=detailed"
    assert (checkpoint.pages, checkpoint.records, checkpoint.count) == (5, 23, 23)
    assert checkpoint.next_url is None and checkpoint.finished_at is not None
    # Not a terminal: one plain line per page, then a summary.
    assert output.count("\n") == 1 + 5 + 1 + len(WRITE_ORDER)
    assert f"page 1: stored 5 spacecraft from {fake.url}?limit=100&mode=detailed" in output
    assert (
        "page 5: stored 3 spacecraft" in output
        and "(23 of 23 spacecraft so far; no pacing)" in output
    )
    assert "Finished: 5 pages, 23 spacecraft stored in 5 calls (0 retries)" in output
    assert "spacecraft: 23 created, 0 updated, 0 unchanged" in output
    assert "\r" not in output


def test_a_whole_sync_uses_one_connection(db, fake):
    sync(fake.url)
    assert len(fake.hits) == 5
    assert fake.connections == 1  # five pages, one client, one kept-alive connection


def test_a_connection_the_server_closed_is_replaced_once(db, fake):
    fake.fail("truncated", offset=5)
    output = sync(fake.url)
    assert "a truncated answer" in output
    assert len(fake.hits) == 6
    assert fake.connections == 2  # the truncated answer ended the first one


def test_a_second_sync_changes_nothing(db, fake):
    sync(fake.url)
    output = sync(fake.url)
    assert "spacecraft: 0 created, 0 updated, 23 unchanged" in output
    assert "configuration: 0 created, 0 updated" in output
    assert Spacecraft.objects.count() == 23


def test_keeps_what_the_url_asks_and_never_erases_fields_a_page_leaves_out(db, api):
    def sparse(record):
        config = record["spacecraft_config"]
        return {
            **{k: v for k, v in record.items() if k not in ("serial_number", "mission_ends_count")},
            "spacecraft_config": {
                k: v for k, v in config.items() if k not in ("capability", "in_use")
            },
        }

    with FakeLL2(RECORDS[:6]) as full:
        sync(full.url)
    with FakeLL2([sparse(record) for record in RECORDS[:6]]) as server:
        output = sync(f"{server.url}?mode=normal&limit=4&search=Craft")
    assert server.hits[0].query == {"limit": "4", "mode": "normal", "search": "Craft"}
    assert offsets(server.hits) == [0, 4]
    assert "spacecraft: 0 created, 0 updated, 6 unchanged" in output
    assert_stored_exactly(api, RECORDS[:6])


def test_real_ll2_pages_come_back_byte_for_byte(db, api, settings):
    """The captured LL2 page (normal mode), served over HTTP, mirrors exactly."""
    seed = json.loads(json.dumps(load_seed("ll")).replace("format=api", "format=json"))
    with FakeLL2(seed["results"], max_limit=4) as server:
        sync(f"{server.url}?mode=normal")
    host = seed["next"].split("/")[2]
    settings.ALLOWED_HOSTS = [host]
    response = api.get(
        "/2.3.0/spacecraft/", {"format": "json", "limit": 100}, HTTP_HOST=host, secure=True
    )
    ours = {record["id"]: record for record in as_ll2(response.json())["results"]}
    assert sorted(ours) == sorted(record["id"] for record in seed["results"])
    for record in seed["results"]:
        assert json.dumps(ours[record["id"]]) == json.dumps(record)


def test_gzip_answers_are_decoded(db, api):
    with FakeLL2(RECORDS[:4], gzip=True) as server:
        sync(server.url)
    assert "gzip" in server.hits[0].headers["Accept-Encoding"]
    assert_stored_exactly(api, RECORDS[:4])


def test_mirrors_our_own_server(transactional_db, live_server):
    call_command("loaddata", "ll2_seed", verbosity=0)
    before = {r.id: r.name for r in Spacecraft.objects.all()}

    output = sync(f"{live_server.url}/2.3.0/spacecraft/?limit=8")

    assert "Finished: 3 pages, 20 spacecraft stored in 3 calls" in output
    assert "spacecraft: 0 created, 0 updated, 20 unchanged" in output
    assert {r.id: r.name for r in Spacecraft.objects.all()} == before


# --- rate limits -------------------------------------------------------------------------------


def test_paces_calls_within_the_budget(db, fake):
    output = sync(fake.url, calls_per_hour=2, window=0.8)

    times = [hit.at for hit in fake.hits]
    assert len(times) == 5
    # At most 2 calls start in any 0.8 s, as the server saw them...
    for earlier, later in zip(times, times[2:], strict=False):
        assert later - earlier >= 0.8
    # ...and the budget is used as it comes: the first two calls go at once.
    assert times[1] - times[0] < 0.4
    # Each wait is announced with its length and its reason.
    waits = re.findall(
        r"Waiting (0\.\d\d)s before the next call: 2 calls were made in the last 0\.80s, "
        r"the budget set by --calls-per-hour\.",
        output,
    )
    assert len(waits) >= 2 and all(0 <= float(wait) <= 0.8 for wait in waits)
    assert "0 of 2 calls left this 0.80s" in output


def test_a_run_started_right_after_another_keeps_within_the_budget(db):
    with FakeLL2(RECORDS[:10], max_limit=5) as server:
        sync(server.url, calls_per_hour=2, window=0.8)
        sync(server.url, calls_per_hour=2, window=0.8)
    times = [hit.at for hit in server.hits]
    assert len(times) == 4
    assert times[2] - times[0] >= 0.8
    assert times[3] - times[1] >= 0.8


def test_429_waits_what_retry_after_says_plus_the_margin(db, fake):
    fake.fail("429", offset=5, retry_after="1")

    output = sync(fake.url, retry_after_margin=0.2)

    throttled, retried = arrivals(fake.hits, 5)
    assert retried - throttled >= 1.2
    assert retried - throttled < 2.5
    assert (
        "got HTTP 429 Too Many Requests (Retry-After: 1); honouring Retry-After plus a "
        "0.20s margin: waiting 1.2s before retry 1 of 5." in output
    )
    assert Spacecraft.objects.count() == 23


def test_retry_after_as_seconds_or_as_an_http_date():
    now = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC
    assert mirror.parse_retry_after("120", now) == 120
    assert mirror.parse_retry_after("Tue, 14 Nov 2023 22:15:20 GMT", now) == 120
    assert mirror.parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0
    assert mirror.parse_retry_after("soon", now) is None
    assert mirror.parse_retry_after("nan", now) is None
    assert mirror.parse_retry_after(None, now) is None


def test_the_token_goes_to_the_server_and_nowhere_else(db, fake, monkeypatch):
    monkeypatch.delenv(mirror.TOKEN_ENV, raising=False)
    fake.next_host = "localhost"  # the same server under another name

    output = command("--from", fake.url, "--calls-per-hour", "0", "--token", "s3cret-key")

    first, *rest = fake.hits
    assert first.headers["Authorization"] == "Token s3cret-key"
    assert rest and all(hit.headers["Host"].startswith("localhost:") for hit in rest)
    assert all("Authorization" not in hit.headers for hit in rest)
    assert "s3cret-key" not in output and "with an API key" in output


def test_the_token_can_come_from_the_environment(db, monkeypatch):
    monkeypatch.setenv(mirror.TOKEN_ENV, "from-the-env")
    with FakeLL2(RECORDS[:3]) as server:
        command("--from", server.url, "--calls-per-hour", "0")
    assert server.hits[0].headers["Authorization"] == "Token from-the-env"


def test_no_token_no_authorization_header(db, monkeypatch):
    monkeypatch.delenv(mirror.TOKEN_ENV, raising=False)
    with FakeLL2(RECORDS[:3]) as server:
        command("--from", server.url, "--calls-per-hour", "0")
    assert "Authorization" not in server.hits[0].headers


# --- faults ---------------------------------------------------------------------------------------


def test_502_pages_are_retried_with_exponential_backoff(db, fake):
    fake.fail("502", offset=5, times=3)

    output = sync(fake.url, retry_delay=0.1)

    times = arrivals(fake.hits, 5)
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3  # three 502s, then the answer
    for gap, delay in zip(gaps, [0.1, 0.2, 0.4], strict=False):
        assert delay <= gap < delay + 1.0
    assert "got HTTP 502 Bad Gateway (an HTML error page); backing off: waiting 0.10s" in output
    assert "waiting 0.40s before retry 3 of 5." in output
    assert "in 8 calls (3 retries)" in output
    assert Spacecraft.objects.count() == 23


@pytest.mark.parametrize(
    "kind, message",
    [
        ("truncated", "a truncated answer ("),
        ("invalid", "an answer that is not JSON (line 1"),
        ("html", "an HTML page instead of JSON (HTTP 200)"),
    ],
)
def test_broken_bodies_are_retried(db, api, fake, kind, message):
    fake.fail(kind, offset=10, times=2)

    output = sync(fake.url)

    assert offsets(fake.hits) == [0, 5, 10, 10, 10, 15, 20]
    assert output.count(message) == 2
    assert_stored_exactly(api, RECORDS)


def test_a_slow_answer_times_out_and_is_retried(db, fake):
    fake.fail("slow", offset=5, delay=2.0)

    output = sync(fake.url, timeout=0.3)

    slow, retried = arrivals(fake.hits, 5)
    assert 0.3 <= retried - slow < 1.5  # gave up on the slow answer, did not wait for it
    assert "got no answer within 0.30s" in output or "got no complete answer within" in output
    assert Spacecraft.objects.count() == 23


def test_a_body_trickled_out_cannot_hold_a_call_past_its_timeout(db, fake):
    # A byte every 0.05 s: each read gets something, so only a deadline on
    # the whole call (not one per read) stops it. The page is ~10 KB: minutes.
    fake.fail("trickle", offset=5, delay=0.05)

    output = sync(fake.url, timeout=0.5)

    trickled, retried = arrivals(fake.hits, 5)
    assert 0.5 <= retried - trickled < 1.5
    assert "got no complete answer within 0.50s" in output
    assert Spacecraft.objects.count() == 23


def test_a_retry_after_beyond_the_longest_wait_stops_with_a_resume_hint(db, fake):
    fake.fail("429", offset=5, retry_after="86400")

    with pytest.raises(CommandError) as stopped:
        sync(fake.url, max_retry_after=60)

    message = str(stopped.value)
    assert "got HTTP 429 Too Many Requests (Retry-After: 86400)" in message
    assert "a wait of 24h 00m, longer than the 1m 00s a sync waits" in message
    assert "--resume" in message
    assert offsets(fake.hits) == [0, 5]  # stopped at once, no retry spent
    assert Spacecraft.objects.count() == 5


def test_connection_errors_are_retried_then_reported(db):
    port = servers.closed_port()
    url = f"http://127.0.0.1:{port}/2.3.0/spacecraft/"
    out = io.StringIO()

    with pytest.raises(CommandError) as stopped:
        sync(url, out=out, retries=2)

    assert out.getvalue().count("a connection error (ConnectionRefusedError") == 2
    assert f"giving up on {url}?limit=100&mode=detailed after 3 attempts" in str(stopped.value)


def test_a_page_that_keeps_failing_stops_then_resume_continues(db, api, fake):
    fake.fail("502", offset=10, times=math.inf)

    with pytest.raises(CommandError) as stopped:
        command("--from", fake.url, "--calls-per-hour", "0", "--retries", "2", "--retry-delay", "0")

    failing = f"{fake.url}?limit=5&mode=detailed&offset=10"
    message = str(stopped.value)
    assert f"giving up on {failing} after 3 attempts" in message
    assert "the last one got HTTP 502 Bad Gateway (an HTML error page)" in message
    assert "Everything stored before stays: 2 pages, 10 spacecraft" in message
    assert f"run: python manage.py import_ll2 --from {fake.url} --resume" in message
    assert Spacecraft.objects.count() == 10
    assert MirrorCheckpoint.objects.get().next_url == failing

    fake.clear_faults()
    fake.hits.clear()
    output = command("--from", fake.url, "--resume", "--calls-per-hour", "0")

    assert offsets(fake.hits) == [10, 15, 20]  # the stored pages are not fetched again
    assert f"Resuming at page 3 (2 pages, 10 spacecraft already stored): {failing}" in output
    assert "Finished: 3 pages, 13 spacecraft stored (5 pages, 23 spacecraft in all)" in output
    assert_stored_exactly(api, RECORDS)


def test_resume_after_a_finished_sync_makes_no_call(db, fake):
    sync(fake.url)
    fake.hits.clear()

    output = sync(fake.url, resume=True)

    assert fake.hits == []
    assert "Nothing to resume: the sync of" in output
    assert "(5 pages, 23 spacecraft). Run without --resume to sync again." in output


def test_resume_without_an_earlier_sync_starts_at_the_first_page(db, fake):
    output = sync(fake.url, resume=True)
    assert "No earlier sync of this URL to resume: starting at the first page." in output
    assert offsets(fake.hits) == [0, 5, 10, 15, 20]


def test_a_new_sync_restarts_an_unfinished_one_and_says_so(db, fake):
    fake.fail("status", offset=5, status=503, times=math.inf)
    with pytest.raises(CommandError):
        sync(fake.url, retries=0)
    fake.clear_faults()

    output = sync(fake.url)

    assert (
        "Starting again at the first page (an unfinished sync of this URL had stored 1 page;"
        in (output)
    )
    assert MirrorCheckpoint.objects.get().pages == 5


@pytest.mark.parametrize(
    "status, expected",
    [
        (401, "answered HTTP 401 Unauthorized: Refused by the fake server. (check the API key"),
        (404, "answered HTTP 404 Not Found: Refused by the fake server."),
    ],
)
def test_a_refusal_stops_at_once(db, fake, status, expected):
    fake.fail("status", status=status, offset=5, times=math.inf)

    with pytest.raises(CommandError) as stopped:
        sync(fake.url)

    assert expected in str(stopped.value)
    assert offsets(fake.hits) == [0, 5]  # no retry
    assert "continue from this page with: python manage.py import_ll2" in str(stopped.value)
    assert Spacecraft.objects.count() == 5


def test_a_page_the_importer_refuses_is_not_stored_and_earlier_pages_stay(db):
    records = [dict(record) for record in RECORDS[:12]]
    records[11]["status"] = None
    with FakeLL2(records, max_limit=5) as server:
        with pytest.raises(CommandError) as stopped:
            sync(server.url)
    message = str(stopped.value)
    assert f"{server.url}?limit=5&mode=detailed&offset=10: record 1 (id 12)" in message
    assert "status must not be null (nothing from this page was saved)" in message
    assert Spacecraft.objects.count() == 10
    assert offsets(server.hits) == [0, 5, 10]  # not worth retrying


def test_a_page_s_records_are_of_the_endpoint_s_kind_whatever_their_keys(db, tmp_path):
    # A record with a flight's keys only: a file would take it for a flight.
    stray = {"id": 99, "launch": {"id": "x"}, "duration": "P1D", "turn_around_time": None}
    path = tmp_path / "stray.json"
    path.write_text(json.dumps([stray]), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_ll2", str(path), stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert "record 0 (id 99): flight is missing 'spacecraft'" in err.getvalue()

    # From /2.3.0/spacecraft/ it is a spacecraft, and refused as one.
    with FakeLL2([*RECORDS[:5], stray], max_limit=5) as server:
        with pytest.raises(CommandError) as stopped:
            sync(server.url)
    message = str(stopped.value)
    assert f"{server.url}?limit=5&mode=detailed&offset=5: record 0 (id 99): spacecraft is " in (
        message
    )
    assert "missing 'name', 'image', 'time_in_space', 'time_docked', 'flights_count'" in message
    assert Spacecraft.objects.count() == 5


@pytest.mark.parametrize("path", ["/2.3.0/spacecraft/7/", "/", "/2.3.0/spacecraft_configurations/"])
def test_a_url_of_no_endpoint_the_mirror_reads_is_refused_before_any_call(db, fake, path):
    url = f"http://127.0.0.1:{fake.port}{path}"
    with pytest.raises(CommandError) as refused:
        command("--from", url)
    assert str(refused.value) == (
        f"{url}: not a list endpoint this mirror reads "
        "(it reads /2.3.0/spacecraft/, /2.3.0/spacecraft_flights/, /2.3.0/agencies/)"
    )
    assert fake.hits == [] and not MirrorCheckpoint.objects.exists()


def test_ctrl_c_stops_the_sync_with_what_it_stored(db, fake):
    def interrupted(seconds):
        raise KeyboardInterrupt

    with pytest.raises(CommandError) as stopped:
        sync(fake.url, calls_per_hour=1, window=60, sleep=interrupted)
    assert str(stopped.value).startswith(
        "interrupted.\nEverything stored before stays: 1 page, 5 spacecraft of this sync "
        "(1 page in this run).\nTo continue from this page, run: "
    )
    assert len(fake.hits) == 1 and fake.connections == 1
    assert MirrorCheckpoint.objects.get().pages == 1


def test_an_answer_that_is_not_a_page_stops(db, fake):
    fake.fail("status", status=200, offset=5)
    with pytest.raises(CommandError) as stopped:
        sync(fake.url)
    assert f"{fake.url}?limit=5&mode=detailed&offset=5: wrong shape" in str(stopped.value)
    assert Spacecraft.objects.count() == 5


def test_a_next_link_back_to_the_same_page_stops(db, fake):
    fake.fail("loop", offset=5)
    with pytest.raises(CommandError) as stopped:
        sync(fake.url)
    assert "the server's next link leads back to" in str(stopped.value)
    assert offsets(fake.hits) == [0, 5]


@pytest.mark.server
def test_a_failing_sync_exits_with_a_message_and_no_traceback(tmp_path, fake):
    """The real command line, in its own process and SQLite database."""
    fake.fail("502", offset=5, times=math.inf)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "spacedevs.test_settings",
    }
    servers.manage("migrate", "-v0", env=env, check=True)

    run = servers.manage(
        "import_ll2", "--from", fake.url, "--retries", "1", "--retry-delay", "0", env=env
    )

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith(f"CommandError: giving up on {fake.url}?limit=5")
    assert "--resume" in run.stderr
    assert "page 1: stored 5 spacecraft" in run.stdout


# --- progress ---------------------------------------------------------------------------------


def test_a_terminal_gets_a_live_status_line(db):
    terminal = Terminal()

    with FakeLL2(RECORDS[:10], max_limit=5) as server:
        sync(server.url, out=terminal, calls_per_hour=1, window=0.5)

    screen = terminal.getvalue()
    # tqdm's bar, redrawn in place: records stored of the count, the budget, what it does.
    bar = re.compile(
        r"\r 50%\|#+ +\| 5/10 \[.*page 1 stored · 0 of 1 call left this 0\.50s · next call in 0\."
    )
    assert bar.search(screen), screen
    assert "page 1: stored" not in screen  # the status line replaces per-page lines
    assert "Waiting 0." in screen and "Finished: 2 pages, 10 spacecraft stored" in screen
    assert "\nspacecraft: 10 created, 0 updated, 0 unchanged\n" in screen
    assert screen.endswith(f"{WRITE_ORDER[-1]}: 0 created, 0 updated, 0 unchanged\n")


def test_verbosity_0_prints_nothing(db, fake):
    out = io.StringIO()
    call_command("import_ll2", "--from", fake.url, "--calls-per-hour", "0", "-v", "0", stdout=out)
    assert out.getvalue() == ""
    assert Spacecraft.objects.count() == 23


# --- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give one or more PATHs to import, or --from URL to mirror a server"),
        (["--resume"], "--resume: only with --from URL"),
        (["--token", "x", "--timeout", "3"], "--token, --timeout: only with --from URL"),
        (["a.json", "--from", "http://127.0.0.1:1/"], "not both"),
        (["--from", "ftp://example.org/x"], "not an http(s) URL: 'ftp://example.org/x'"),
        (["--from", "http://127.0.0.1:99999/"], "not a valid URL (bad port)"),
        (["--from", "http://127.0.0.1:1/", "--calls-per-hour", "-1"], "0 or more (got -1)"),
        (["--from", "http://127.0.0.1:1/", "--timeout", "0"], "--timeout must be more than 0"),
        (["--from", "http://127.0.0.1:1/", "--retries", "-2"], "--retries must be 0 or more"),
    ],
)
def test_bad_command_lines_are_refused_clearly(db, args, message):
    with pytest.raises(CommandError) as refused:
        command(*args)
    assert message in str(refused.value)
    assert not MirrorCheckpoint.objects.exists()


def test_files_still_import_as_before(db, tmp_path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"count": 2, "results": RECORDS[:2]}), encoding="utf-8")
    output = command(str(path))
    assert "spacecraft: 2 created, 0 updated, 0 unchanged" in output
