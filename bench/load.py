#!/usr/bin/env python3
"""Load test: N concurrent keep-alive connections on a mix of API requests.

    python bench/load.py --url http://127.0.0.1:8000 [--connections 64] [--duration 60]

Each connection sends one request after another for ``--duration`` seconds,
drawn from a fixed mix (the same for the same ``--seed``):

- 35% ``list``: a normal-mode page at a random offset, sometimes ordered;
- 20% ``detailed``: a detailed-mode page at a random offset;
- 20% ``search``: a search for a word of a spacecraft name;
- 25% ``detail``: one spacecraft by id (always detailed).

Ids, the catalogue size and the search words are read from the server first.
Prints requests per second, errors (any answer but a 200, or a failed
connection), timeouts (no answer within ``--timeout`` seconds) and latency
percentiles, overall and per kind; ``--json`` prints the same as JSON.
Standard library only (asyncio), so it runs anywhere the project does.
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from urllib.parse import quote, urlsplit

ORDERINGS = ["", "-flights_count", "time_in_space", "-time_docked", "mission_ends_count", "-id"]
KINDS = [("list", 35), ("detailed", 20), ("search", 20), ("detail", 25)]


def fetch_json(url, timeout=60):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def discover(base, sample=1000):
    """(count, ids, words): the catalogue as the mix needs it."""
    first = fetch_json(f"{base}/2.3.0/spacecraft/?format=json&limit=100")
    count, records = first["count"], list(first["results"])
    step = max(100, count // max(1, sample // 100))
    for offset in range(step, count, step):
        if len(records) >= sample:
            break
        page = fetch_json(f"{base}/2.3.0/spacecraft/?format=json&limit=100&offset={offset}")
        records.extend(page["results"])
    ids = sorted({record["id"] for record in records})
    words = sorted(
        {word for record in records for word in record["name"].split() if len(word) >= 3}
    )
    if not ids:
        raise SystemExit(f"{base} serves no spacecraft: import some first")
    return count, ids, words or ["a"]


def make_request(rng, count, ids, words):
    """(kind, path) of one request of the mix."""
    kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    if kind == "detail":
        return kind, f"/2.3.0/spacecraft/{rng.choice(ids)}/?format=json"
    if kind == "search":
        return kind, f"/2.3.0/spacecraft/?format=json&search={quote(rng.choice(words))}"
    offset = rng.randrange(0, max(1, count))
    if kind == "detailed":
        return kind, f"/2.3.0/spacecraft/?format=json&mode=detailed&offset={offset}"
    ordering = rng.choice(ORDERINGS)
    path = f"/2.3.0/spacecraft/?format=json&offset={offset}"
    return kind, path + (f"&ordering={ordering}" if ordering else "")


class Results:
    def __init__(self):
        self.latencies = defaultdict(list)  # kind -> seconds, answered requests
        self.statuses = Counter()
        self.errors = Counter()  # what went wrong -> times
        self.timeouts = 0
        self.reconnects = 0

    def summary(self, elapsed, connections):
        everything = [value for values in self.latencies.values() for value in values]
        requests = len(everything)
        errors = sum(self.errors.values())
        return {
            "connections": connections,
            "seconds": round(elapsed, 1),
            "requests": requests,
            "requests_per_second": round(requests / elapsed, 1) if elapsed else 0.0,
            "errors": errors,
            "timeouts": self.timeouts,
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "error_kinds": dict(self.errors.most_common(10)),
            "reconnects": self.reconnects,
            "latency_ms": percentiles(everything),
            "by_kind": {
                kind: {"requests": len(values), "latency_ms": percentiles(values)}
                for kind, values in sorted(self.latencies.items())
            },
        }


def percentiles(values):
    if not values:
        return {}
    ordered = sorted(values)

    def at(fraction):
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": round(ordered[-1] * 1000, 1),
        "mean": round(statistics.fmean(ordered) * 1000, 1),
    }


async def read_response(reader):
    """(status, body) of one HTTP/1.1 response; also whether the server closes."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed before the answer")
    status = int(status_line.split()[1])
    length, close, chunked = None, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection":
            close = value == "close"
        elif name == "transfer-encoding":
            chunked = "chunked" in value
    if chunked:
        body = bytearray()
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body, close = await reader.read(), True
    return status, bytes(body), close


async def connection_loop(number, args, host, port, catalogue, results, deadline):
    rng = random.Random(args.seed * 1000 + number)
    reader = writer = None
    while time.monotonic() < deadline:
        kind, path = make_request(rng, *catalogue)
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n\r\n".encode()
        started = time.monotonic()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), args.timeout
                )
            writer.write(request)
            await writer.drain()
            status, _, close = await asyncio.wait_for(read_response(reader), args.timeout)
        except TimeoutError:
            results.timeouts += 1
            close = True
        except (OSError, ConnectionError, ValueError, asyncio.IncompleteReadError) as error:
            results.errors[f"{kind}: {type(error).__name__}: {error}"[:120]] += 1
            close = True
        else:
            results.latencies[kind].append(time.monotonic() - started)
            results.statuses[status] += 1
            if status != 200:
                results.errors[f"{kind}: status {status}"] += 1
        if close and writer is not None:
            writer.close()
            reader = writer = None
            results.reconnects += 1
    if writer is not None:
        writer.close()


async def run(args):
    parts = urlsplit(args.url)
    host, port = parts.hostname, parts.port or 80
    base = f"{parts.scheme}://{parts.netloc}"
    catalogue = discover(base)
    results = Results()
    started = time.monotonic()
    deadline = started + args.duration
    await asyncio.gather(
        *(
            connection_loop(number, args, host, port, catalogue, results, deadline)
            for number in range(args.connections)
        )
    )
    return results.summary(time.monotonic() - started, args.connections), catalogue[0]


def report(summary, count):
    lines = [
        f"{summary['connections']} connections for {summary['seconds']} s on a catalogue "
        f"of {count} spacecraft",
        f"requests: {summary['requests']} ({summary['requests_per_second']} req/s), "
        f"errors: {summary['errors']}, timeouts: {summary['timeouts']}, "
        f"statuses: {summary['statuses']}",
        "latency ms: " + ", ".join(f"{k} {v}" for k, v in summary["latency_ms"].items()),
    ]
    for kind, values in summary["by_kind"].items():
        latency = values["latency_ms"]
        lines.append(
            f"  {kind:9} {values['requests']:7} requests, "
            f"p50 {latency['p50']} ms, p99 {latency['p99']} ms, max {latency['max']} ms"
        )
    for error, times in summary["error_kinds"].items():
        lines.append(f"  error x{times}: {error}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server's base URL")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    summary, count = asyncio.run(run(args))
    summary["catalogue"] = count
    print(json.dumps(summary, indent=2) if args.json else report(summary, count))
    return 0 if summary["errors"] == 0 and summary["timeouts"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
