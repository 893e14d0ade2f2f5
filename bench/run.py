"""The benchmark: ``python -m bench.run`` (or ``make bench``). Not a test.

What it does, in one run on one machine:

1. writes a deterministic catalogue as LL2 detailed JSON pages
   (``bench/dataset.py``) and imports it into a fresh database with
   ``manage.py import_ll2``, as a user would; a separate 5,000-record run
   (and a 1,000-record one, to show memory does not grow) gives the import
   rate and peak memory; the same import again, timed phase by phase in one
   process (``bench/phases.py``), shows where its time goes;
2. starts gunicorn with the project's ``gunicorn.conf.py`` (2 sync workers),
   response cache off, and drives load at each scenario twice: through our
   endpoint and through the textbook one (``/2.3.0/textbook/spacecraft/``,
   nested ModelSerializers, select_related/prefetch_related, DRF's
   JSONRenderer), after checking both answer the same bytes;
3. restarts gunicorn with the response cache on and measures repeated
   requests, then serves the same response bytes from memory with a bare
   WSGI app under the same gunicorn, the ceiling; the detailed list (a page
   with flights) is also measured compressed (``Accept-Encoding: gzip``),
   cached and not, with its plain and gzip sizes;
4. counts the queries of each scenario in-process;
5. with ``--scale N``, imports N spacecraft and measures the scenarios again
   against the first run's times.

Load: ``wrk`` when installed (``apt-get install wrk``), otherwise a Python
load generator (threads, keep-alive connections). Only 127.0.0.1 is ever
contacted; every run is bounded in time.

Examples::

    python -m bench.run                                   # SQLite file in a temp dir
    python -m bench.run --database-url postgres://postgres@127.0.0.1:5432/ll2_bench
    python -m bench.run --database-url postgres://... --scale 100000
    python -m bench.run --only import                     # the import figures alone
"""

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from bench.dataset import write_pages
from devtools import servers

ROOT = Path(__file__).resolve().parent.parent
# The shared cache the servers use (--redis-url); None: each process's own memory.
REDIS = {"url": None}

# The scenario also timed compressed (Accept-Encoding: gzip), cached and not.
GZIP_SCENARIO = "detailed list"
SCENARIOS = [
    # name, path and query below /2.3.0/ ("{last}": the last page's offset). Detailed mode,
    # so every spacecraft page carries its flights.
    ("list", "spacecraft/?limit=100"),
    ("detailed list", "spacecraft/?limit=100&mode=detailed"),
    ("search", "spacecraft/?limit=100&mode=detailed&search=capsule"),
    ("filter", "spacecraft/?limit=100&mode=detailed&in_space=false&status=1"),
    ("deep offset", "spacecraft/?limit=100&mode=detailed&offset={last}"),
    ("detail", "spacecraft/{detail_id}/"),
    ("flights", "spacecraft_flights/?limit=100"),
    ("detailed flights", "spacecraft_flights/?limit=100&mode=detailed"),
]
# With --scale, every ordering too (the deep offset of the scaled catalogue included above).
ORDERING_SCENARIOS = [
    (f"ordering {field}", f"spacecraft/?limit=100&mode=detailed&ordering={field}")
    for field in (
        "-flights_count",
        "time_in_space",
        "-time_docked",
        "mission_ends_count",
        "-id",
    )
]


# --- databases and commands -------------------------------------------------------------


def fresh_database(url):
    """Drop and create the database ``url`` names (PostgreSQL), or delete the file (SQLite)."""
    parts = urlsplit(url)
    if parts.scheme.startswith("postgres"):
        import psycopg2

        name = parts.path.lstrip("/")
        admin = parts._replace(path="/postgres").geturl()
        connection = psycopg2.connect(admin)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
    elif parts.scheme == "sqlite":
        path = Path(url.split("sqlite://", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        raise SystemExit(f"unsupported database URL: {url}")


def environment(database_url, **extra):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=env.get("SECRET_KEY") or "benchmark-only-" + "x" * 40,
        DEBUG="0",
        PYTHONPATH=str(ROOT),
        GUNICORN_ACCESS_LOG="off",
        # Each worker keeps its PostgreSQL backend for the whole run, so that the CPU a
        # backend used is not lost with it (servers.process_group_cpu) when it is replaced.
        CONN_MAX_AGE="3600",
        WEB_CONCURRENCY=env.get("WEB_CONCURRENCY") or "2",
    )
    env.pop("REDIS_URL", None)
    if REDIS["url"]:
        env["REDIS_URL"] = REDIS["url"]
        env["CACHE_KEY_PREFIX"] = f"ll2-bench-{os.getpid()}"
    env.update({key: str(value) for key, value in extra.items()})
    return env


def manage(database_url, *args, quiet=True):
    """Run manage.py; (wall seconds, peak RSS in MB) of that process."""
    run = servers.measure("manage.py", *args, env=environment(database_url), quiet=quiet)
    if run.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args[:2])} failed:\n{run.stderr}")
    return run.seconds, run.peak_mb


def build(database_url, pages):
    fresh_database(database_url)
    manage(database_url, "migrate", "--noinput")
    return manage(database_url, "import_ll2", *map(str, pages))


def import_phases(database_url, pages):
    """{phase: seconds} of importing ``pages`` into a fresh database (``bench/phases.py``)."""
    fresh_database(database_url)
    manage(database_url, "migrate", "--noinput")
    run = servers.run(
        "-m", "bench.phases", *map(str, pages), env=environment(database_url), timeout=3600
    )
    if run.returncode != 0:
        raise SystemExit(f"bench.phases failed:\n{run.stderr}")
    return json.loads(run.stdout.splitlines()[-1])


# --- gunicorn -------------------------------------------------------------------------------


class Server(servers.Server):
    """gunicorn on ``database_url`` with the benchmark's settings, on a port the OS chose."""

    def __init__(self, database_url, app=None, **env):
        parts = urlsplit(database_url)
        self.database = parts.path.lstrip("/") if parts.scheme.startswith("postgres") else None
        try:
            env = environment(database_url, **env)
            super().__init__(env=env, app=app, workers=env["WEB_CONCURRENCY"])
        except RuntimeError as error:
            raise SystemExit(str(error)) from None

    def cpu_seconds(self):
        """CPU seconds of its gunicorn processes and of their PostgreSQL backends."""
        return servers.process_group_cpu(self.process.pid, self.database)


GZIP_HEADERS = {"Accept-Encoding": "gzip"}


def fetch(server, path, gzip=False):
    headers = GZIP_HEADERS if gzip else {}
    request = urllib.request.Request(f"{server.url}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


# --- load -----------------------------------------------------------------------------------


def load(server, path, duration, connections, gzip=False):
    """(requests/s, p50 ms, p99 ms, server CPU ms per request) of ``path`` under load.

    ``gzip``: every request sends ``Accept-Encoding: gzip`` (the answer comes compressed).

    The server's CPU is what its gunicorn processes and their PostgreSQL
    backends used during the run, divided by the requests served: unlike
    requests/s, it hardly depends on what else the machine is doing.
    """
    before = server.cpu_seconds()
    if shutil.which("wrk") and not os.environ.get("BENCH_PYTHON_LOAD"):
        rate, p50, p99, count = _wrk(server.port, path, duration, connections, gzip)
    else:
        rate, p50, p99, count = _python_load(server.port, path, duration, connections, gzip)
    cpu = (server.cpu_seconds() - before) / max(count, 1) * 1000
    return rate, p50, p99, cpu


def _wrk(port, path, duration, connections, gzip=False):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s"]
    if gzip:
        command += ["-H", "Accept-Encoding: gzip"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    count = int(re.search(r"(\d+) requests in", output).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    if re.search(r"Non-2xx or 3xx responses", output):
        raise SystemExit(f"errors under load for {path}:\n{output}")
    return rate, _ms(percentiles["50"]), _ms(percentiles["99"]), count


def _ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def _python_load(port, path, duration, connections, gzip=False):
    latencies, errors = [], []
    deadline = time.perf_counter() + duration
    headers = {"Accept-Encoding": "gzip"} if gzip else {}

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
            mine.append(time.perf_counter() - started)
        connection.close()
        latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"errors under load for {path}: {sorted(set(errors))}")
    latencies.sort()
    rate = len(latencies) / elapsed
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return rate, statistics.median(latencies) * 1000, p99 * 1000, len(latencies)


# --- queries per request --------------------------------------------------------------------


def count_queries(database_url, paths):
    """{path: number of queries}, measured in a separate process with Django's test client."""
    code = (
        "import json, sys, django\n"
        "django.setup()\n"
        "from django.db import connection\n"
        "from django.test import Client\n"
        "from django.test.utils import CaptureQueriesContext\n"
        "client = Client(HTTP_HOST='127.0.0.1')\n"
        "counts = {}\n"
        "for path in json.loads(sys.argv[1]):\n"
        "    client.get(path)\n"
        "    with CaptureQueriesContext(connection) as queries:\n"
        "        assert client.get(path).status_code == 200, path\n"
        "    counts[path] = len(queries.captured_queries)\n"
        "print(json.dumps(counts))\n"
    )
    env = environment(database_url, API_CACHE_SECONDS=0)
    output = servers.run("-c", code, json.dumps(paths), env=env, check=True).stdout
    return json.loads(output.splitlines()[-1])


# --- the run --------------------------------------------------------------------------------


def scenario_paths(count, orderings=False):
    values = {"last": max(0, count - 100), "detail_id": count // 2 or 1}
    scenarios = SCENARIOS + (ORDERING_SCENARIOS if orderings else [])
    return [(name, query.format(**values)) for name, query in scenarios]


def same_body(ours, textbook):
    """Equal bytes, but for the textbook URL's own prefix in next/previous."""
    return ours == textbook.replace(b"/2.3.0/textbook/", b"/2.3.0/")


def measure_all(args, database_url, count, label, orderings=False, gzip=True):
    paths = scenario_paths(count, orderings)
    results = {}
    with Server(database_url, API_CACHE_SECONDS=0) as server:
        for name, query in paths:
            ours, textbook = f"/2.3.0/{query}", f"/2.3.0/textbook/{query}"
            body = fetch(server, ours)
            if not same_body(body, fetch(server, textbook)):
                raise SystemExit(f"{name}: our answer differs from the textbook one")
            results[name] = {
                "bytes": len(body),
                "gzip_bytes": len(fetch(server, ours, gzip=True)),
                "path": ours,
            }
            if not args.no_textbook:
                results[name]["textbook"] = load(server, textbook, args.duration, args.connections)
            results[name]["uncached"] = load(server, ours, args.duration, args.connections)
            if gzip and name == GZIP_SCENARIO:
                results[name]["uncached_gzip"] = load(
                    server, ours, args.duration, args.connections, gzip=True
                )
            print(f"  [{label}] {name}: measured uncached", file=sys.stderr)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--import-records", type=int, default=5000)
    parser.add_argument("--scale", type=int, default=0, help="also measure with this many")
    parser.add_argument("--duration", type=int, default=4, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--scale-database-url",
        help="a database already holding the --scale catalogue (built by an earlier run)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL"),
        help="Redis shared by the gunicorn workers, as in production (default: none)",
    )
    parser.add_argument("--no-textbook", action="store_true")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=0,
        metavar="SECONDS",
        help="also drive bench/load.py's mix at 64 connections for this long against each "
        "worker model (WORKER_MODELS), production settings",
    )
    parser.add_argument(
        "--only", choices=["import"], help="measure only this part (import: rates, memory, phases)"
    )
    parser.add_argument("--workdir", help="where the pages go (default: a temporary directory)")
    args = parser.parse_args()
    REDIS["url"] = args.redis_url

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ll2-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    print(f"database: {database_url.split('@')[-1]}; pages in {workdir}", file=sys.stderr)
    report = {
        "machine": machine(),
        "database": _engine(database_url),
        "cache": "Redis and each worker's memory" if args.redis_url else "each worker's memory",
        "load": _load_tool(),
    }

    # import rate and memory
    imports = {}
    for records in sorted({1000, args.import_records}):
        pages = write_pages(workdir / f"pages-{records}", records)
        seconds, peak = build(database_url, pages)
        imports[records] = {"seconds": seconds, "rate": records / seconds, "peak_mb": peak}
        print(f"  imported {records} in {seconds:.1f} s, peak {peak:.0f} MB", file=sys.stderr)
        imports[records]["phases"] = import_phases(database_url, pages)
    report["import"] = imports
    if args.only == "import":
        print(render_import(report, args))
        (workdir / "report.json").write_text(json.dumps(report, indent=2, default=str))
        return

    # requests
    pages = write_pages(workdir / f"pages-{args.records}", args.records)
    build(database_url, pages)
    orderings = bool(args.scale)
    results = measure_all(args, database_url, args.records, args.records, orderings)
    bodies = workdir / "bodies"
    bodies.mkdir(exist_ok=True)
    index = {}
    with Server(database_url) as server:
        for number, result in enumerate(results.values()):
            for _ in range(3):
                fetch(server, result["path"])
            result["cached"] = load(server, result["path"], args.duration, args.connections)
            index[result["path"]] = name = f"{number}.json"
            (bodies / name).write_bytes(fetch(server, result["path"]))
        gzipped = results[GZIP_SCENARIO]
        fetch(server, gzipped["path"], gzip=True)
        gzipped["cached_gzip"] = load(
            server, gzipped["path"], args.duration, args.connections, gzip=True
        )
    (bodies / "index.json").write_text(json.dumps(index))
    print("  measured cached", file=sys.stderr)
    with Server(database_url, app="bench.memory_app:application", BENCH_BODY_DIR=bodies) as server:
        for result in results.values():
            result["memory"] = load(server, result["path"], args.duration, args.connections)
    paths = [result["path"] for result in results.values()]
    ours = count_queries(database_url, paths)
    textbook = count_queries(
        database_url, [p.replace("/2.3.0/", "/2.3.0/textbook/") for p in paths]
    )
    for result in results.values():
        result["queries"] = ours[result["path"]]
        result["textbook_queries"] = textbook[result["path"].replace("/2.3.0/", "/2.3.0/textbook/")]
    report["results"] = {args.records: results}

    if args.scale:
        scale_url = args.scale_database_url or database_url
        if not args.scale_database_url:
            pages = write_pages(workdir / f"pages-{args.scale}", args.scale)
            seconds, peak = build(scale_url, pages)
            print(
                f"  imported {args.scale} in {seconds:.0f} s, peak {peak:.0f} MB", file=sys.stderr
            )
            report["import"][args.scale] = {
                "seconds": seconds,
                "rate": args.scale / seconds,
                "peak_mb": peak,
            }
        database_url = scale_url
        args.no_textbook = True
        scaled = measure_all(args, database_url, args.scale, args.scale, orderings=True, gzip=False)
        scaled_paths = [result["path"] for result in scaled.values()]
        for path, queries in count_queries(database_url, scaled_paths).items():
            next(r for r in scaled.values() if r["path"] == path)["queries"] = queries
        report["results"][args.scale] = scaled

    if args.concurrency:
        report["concurrency"] = concurrency(database_url, args.concurrency)
    (workdir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    print(render(report, args))


# --- concurrency ----------------------------------------------------------------------------

# (label, worker processes, threads per worker): gunicorn.conf.py's WEB_CONCURRENCY and
# GUNICORN_THREADS (threads > 1: gthread workers).
WORKER_MODELS = [("sync", 2, 1), ("sync", 4, 1), ("gthread", 2, 4)]


def concurrency(database_url, seconds, connections=64):
    """{label: bench/load.py's summary} of the load mix against each worker model."""
    figures = {}
    for label, workers, threads in WORKER_MODELS:
        name = f"{label} {workers}x{threads}"
        with Server(database_url, WEB_CONCURRENCY=workers, GUNICORN_THREADS=threads) as server:
            run = servers.run(
                ROOT / "bench" / "load.py",
                "--url",
                server.url,
                "--connections",
                str(connections),
                "--duration",
                str(seconds),
                "--json",
                env=environment(database_url),
                timeout=seconds + 300,
            )
            try:  # (exit status 1: errors or timeouts, which the summary counts)
                figures[name] = json.loads(run.stdout)
            except ValueError:
                raise SystemExit(f"bench/load.py failed against {name}:\n{run.stderr}") from None
        print(f"  concurrency: {name} measured", file=sys.stderr)
    return figures


def _concurrency_lines(report):
    figures = report.get("concurrency")
    if not figures:
        return []
    lines = [
        "",
        "64 connections, bench/load.py's mix (normal and detailed pages, search, detail), "
        "production settings, response cache on:",
        "",
        "| workers | requests/s | errors | timeouts | p50 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, summary in figures.items():
        latency = summary["latency_ms"]
        lines.append(
            f"| {name} | {summary['requests_per_second']:,.1f} | {summary['errors']} "
            f"| {summary['timeouts']} "
            f"| {latency['p50']:.0f} | {latency['p99']:.0f} | {latency['max']:.0f} |"
        )
    return lines


# --- the report -----------------------------------------------------------------------------


def machine():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()}, Python {python}"


def _engine(url):
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def _load_tool():
    if shutil.which("wrk") and not os.environ.get("BENCH_PYTHON_LOAD"):
        return "wrk"
    return "Python load generator"


def _cell(measure):
    rate, p50, p99, _ = measure
    return f"{rate:,.0f} r/s ({p50:.1f} / {p99:.1f} ms)"


def _ratio(ours, theirs, digits=1):
    """ours / theirs, or "-" where the other figure is 0 (nothing answered in the time)."""
    return f"{ours / theirs:.{digits}f}" if theirs else "-"


def _cpu(measure):
    """Server CPU ms per request; "-" if it could not be measured (less at the end than at
    the start: a process that used some ended during the run)."""
    return f"{measure[3]:.2f}" if measure[3] >= 0 else "-"


def _import_lines(report):
    lines = ["Import (manage.py import_ll2, detailed LL2 pages of 100, whole command):"]
    for records, figures in sorted(report["import"].items()):
        lines.append(
            f"  {records:>7,} spacecraft: {figures['seconds']:.1f} s, "
            f"{figures['rate']:,.0f} spacecraft/s, peak memory {figures['peak_mb']:.0f} MB"
        )
        phases = figures.get("phases")
        if phases:
            parts = ", ".join(
                f"{phase} {seconds:.2f}" for phase, seconds in phases.items() if phase != "total"
            )
            lines.append(
                f"  {'':>7}  the same in one process, by phase (s): {parts}; "
                f"total {phases['total']:.2f} ({records / phases['total']:,.0f} spacecraft/s)"
            )
    return lines


def render_import(report, args):
    return "\n".join(
        [f"Machine: {report['machine']}", f"Database: {report['database']}", ""]
        + _import_lines(report)
    )


def render(report, args):
    lines = [
        f"Machine: {report['machine']}",
        f"Database: {report['database']}; cache: {report['cache']}; gunicorn, 2 sync workers; "
        f"load: {report['load']}, "
        f"{args.connections} connections, {args.duration} s per figure",
        "",
        *_import_lines(report),
    ]
    for records, figures in sorted(report["import"].items()):
        lines.append(
            f"  {records:>7,} spacecraft: {figures['seconds']:.1f} s, "
            f"{figures['rate']:,.0f} spacecraft/s, peak memory {figures['peak_mb']:.0f} MB"
        )
    base_count = args.records
    base = report["results"][base_count]
    lines += [
        "",
        f"{base_count} spacecraft: requests/s (p50 / p99 latency), and server CPU per request "
        "(gunicorn + PostgreSQL backends, ms). Memory: the same bytes for the same URL from a "
        "bare WSGI app under the same gunicorn, the ceiling.",
        "",
        "| scenario | textbook | ours, uncached | × r/s | CPU textbook → ours | × CPU "
        "| ours, cached | memory | cached / memory | cached CPU | queries | bytes (gzip) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in base.items():
        textbook, ours, cached = result.get("textbook"), result["uncached"], result["cached"]
        memory = result["memory"]
        if textbook:
            speed = _ratio(ours[0], textbook[0])
            cpu = f"{_cpu(textbook)} → {_cpu(ours)}"
            cpu_ratio = f"{textbook[3] / ours[3]:.1f}" if ours[3] > 0 and textbook[3] > 0 else "-"
        else:
            speed, cpu, cpu_ratio = "-", _cpu(ours), "-"
        lines.append(
            f"| {name} | {_cell(textbook) if textbook else '-'} | {_cell(ours)} | {speed} "
            f"| {cpu} | {cpu_ratio} | {_cell(cached)} | {_cell(memory)} "
            f"| {_ratio(cached[0], memory[0], 2)} | {_cpu(cached)} "
            f"| {result['textbook_queries']} → {result['queries']} "
            f"| {result['bytes']:,} ({result['gzip_bytes']:,}) |"
        )
    gzipped = base[GZIP_SCENARIO]
    lines += [
        "",
        f"gzip, {SCENARIOS[1][1]} ({gzipped['bytes']:,} bytes, {gzipped['gzip_bytes']:,} "
        "gzipped): requests/s (p50 / p99 ms), server CPU ms per request",
        "",
        "| | plain | gzip |",
        "| --- | --- | --- |",
        f"| uncached | {_cell(gzipped['uncached'])}, {_cpu(gzipped['uncached'])} "
        f"| {_cell(gzipped['uncached_gzip'])}, {_cpu(gzipped['uncached_gzip'])} |",
        f"| cached | {_cell(gzipped['cached'])}, {_cpu(gzipped['cached'])} "
        f"| {_cell(gzipped['cached_gzip'])}, {_cpu(gzipped['cached_gzip'])} |",
    ]
    for count, results in report["results"].items():
        if count == base_count:
            continue
        lines += [
            "",
            f"{count:,} spacecraft, uncached, against {base_count} (ratios of p50 latency and of "
            "server CPU per request):",
            "",
            "| scenario | uncached | p50 × | CPU ms | CPU × | queries |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, result in results.items():
            ours, then = result["uncached"], base[name]["uncached"]
            lines.append(
                f"| {name} | {_cell(ours)} | {ours[1] / then[1]:.2f} | {_cpu(ours)} "
                f"| {_ratio(ours[3], then[3], 2) if ours[3] >= 0 and then[3] >= 0 else '-'} "
                f"| {result['queries']} |"
            )
    lines += _concurrency_lines(report)
    return "\n".join(lines)


if __name__ == "__main__":
    main()
