"""A fake LL2 server for the mirror tests: a real HTTP server on 127.0.0.1.

It runs in a thread of the test's process (``servers.InProcess``), on a port
the operating system chose.

``FakeLL2`` serves ``/2.3.0/spacecraft/`` pages (or another list's: ``path``)
built from a list of records with LL2's limit/offset pagination
(``max_limit`` can be set lower than what a client asks), logs every request
it receives with the time it arrived, and can be told to misbehave: 429 with
``Retry-After``, 502 HTML pages, truncated or invalid bodies, slow answers,
refusals, a ``next`` link to another host or back to the same page.

``agency_records(mode)`` builds the agencies as LL2's ``/2.3.0/agencies/``
serves them, with their statistics. ``detailed_records(n)`` builds ``n``
deterministic spacecraft in LL2 2.3.0's detailed form (rendered by
``devtools/ll2shape.py`` from the facts below), with the shared objects
(agencies, families, images...) nested consistently, nulls, empty lists and
non-ASCII text, exactly as our own API renders them for a request to
``http://testserver``.
"""

import datetime
import gzip
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlencode, urlsplit

import isodate

from devtools import ll2shape, servers

SPACECRAFT_PATH = "/2.3.0/spacecraft/"

# --- deterministic LL2-shaped records ------------------------------------------------

LICENSES = {
    1: {"id": 1, "name": "Unknown", "priority": 9, "link": None},
    2: {
        "id": 2,
        "name": "CC BY 2.0",
        "priority": 5,
        "link": "https://creativecommons.org/licenses/by/2.0/",
    },
}
VARIANT_TYPES = {1: {"id": 1, "name": "Thumbnail"}, 2: {"id": 2, "name": "Small"}}
STATUSES = [
    {"id": 1, "name": "Active"},
    {"id": 2, "name": "Retired"},
    {"id": 3, "name": "Destroyed"},
    {"id": 4, "name": "Single Use"},
]
CONFIG_TYPES = {1: {"id": 1, "name": "Capsule"}, 2: {"id": 2, "name": "Spaceplane"}}
AGENCY_TYPES = {
    1: {"id": 1, "name": "Government"},
    2: {"id": 2, "name": "Commercial"},
    3: {"id": 3, "name": "Multinational"},
}
COUNTRIES = {
    1: {
        "id": 1,
        "name": "United States of America",
        "alpha_2_code": "US",
        "alpha_3_code": "USA",
        "nationality_name": "American",
        "nationality_name_composed": "Americano",
    },
    2: {
        "id": 2,
        "name": "France",
        "alpha_2_code": "FR",
        "alpha_3_code": "FRA",
        "nationality_name": "French",
        "nationality_name_composed": "Franco",
    },
    3: {
        "id": 3,
        "name": "Côte d'Ivoire",
        "alpha_2_code": "CI",
        "alpha_3_code": "CIV",
        "nationality_name": "Ivorian",
        "nationality_name_composed": "",
    },
}


def duration(**kwargs):
    """A duration as isodate (and so LL2) writes it."""
    return isodate.duration_isoformat(datetime.timedelta(**kwargs))


def image(pk, variants=0, credit=None, license_id=1, single_use=False):
    return ll2shape.image(
        pk,
        f"Image {pk}",
        f"https://images.example.org/{pk}.jpeg",
        f"https://images.example.org/{pk}_thumb.jpeg",
        credit,
        LICENSES[license_id],
        single_use,
        [
            ll2shape.variant(
                pk * 10 + v, VARIANT_TYPES[v % 2 + 1], f"https://images.example.org/{pk}_v{v}.webp"
            )
            for v in range(variants)
        ],
    )


AGENCIES = {
    1: {
        "name": "Agence spatiale «Étoile»",
        "abbrev": "ASE",
        "type": 1,
        "featured": True,
        "country": [2],
        "description": "A government agency.\nSecond line, with “quotes”.",
        "administrator": "Administrator: Zoë Example",
        "founding_year": 1961,
        "launchers": "Étoile I | Étoile II",
        "spacecraft": "Capsule A",
        "parent": None,
        "image": image(901, variants=2, credit="ASE"),
        "logo": image(902, license_id=2),
        "social_logo": None,
    },
    2: {
        "name": "Orbital Freight Company",
        "abbrev": "OFC",
        "type": 2,
        "featured": False,
        "country": [1, 3],
        "description": None,
        "administrator": None,
        "founding_year": None,
        "launchers": "",
        "spacecraft": "",
        "parent": "Orbital Holdings",
        "image": None,
        "logo": None,
        "social_logo": image(903, variants=1),
    },
    3: {
        "name": "Joint Venture",
        "abbrev": "",
        "type": 3,
        "featured": False,
        "country": [],
        "description": "",
        "administrator": "",
        "founding_year": 2004,
        "launchers": "",
        "spacecraft": "",
        "parent": None,
        "image": None,
        "logo": None,
        "social_logo": None,
    },
}

# What an /agencies/ page adds (its detailed form): the statistics, in
# ``ll2shape.AGENCY_STATISTICS`` order, and the links.
AGENCY_DETAILS = {
    1: {
        "stats": [41, 12, 38, 2, 1, 3, 5, 1, 6, 5, 1, 6, 0, 0, 0],
        "info_url": "https://ase.example.org/",
        "wiki_url": "https://fr.wikipedia.org/wiki/ASE",
    },
    2: {
        "stats": [0, 0, 0, 0, 3, 0, 0, 0, 0, None, None, None, None, None, None],
        "info_url": None,
        "wiki_url": "",
    },
    3: {"stats": [None] * 15, "info_url": None, "wiki_url": None},
}

FAMILIES = {
    1: {
        "name": "Family One",
        "description": "The first family.",
        "manufacturer": 1,
        "parent": None,
        "maiden_flight": "1961-04-12",
        "stats": [12, 30, 28, 2, 0, 0, 0],
    },
    2: {
        "name": "Family Two",
        "description": "",
        "manufacturer": None,
        "parent": 1,
        "maiden_flight": None,
        "stats": [None] * 7,
    },
    3: {
        "name": "Family Three",
        "description": "Third, child of the second.",
        "manufacturer": 2,
        "parent": 2,
        "maiden_flight": "2010-12-08",
        "stats": [3, 5, 4, 1, 2, 1, 1],
    },
}

CONFIGS = {
    1: {
        "name": "Capsule A",
        "type": 1,
        "agency": 1,
        "family": [1],
        "in_use": True,
        "image": image(911, variants=1, single_use=True),
        "capability": "Crew transport.",
        "history": "Flew first in 1961.",
        "details": "",
        "maiden_flight": "1961-04-12",
        "height": 4.4,
        "diameter": 2.3,
        "human_rated": True,
        "crew_capacity": 1,
        "payload_capacity": 2460,
        "payload_return_capacity": None,
        "flight_life": "10 days",
        "wiki_link": "https://en.wikipedia.org/wiki/Capsule",
        "info_link": "",
        "stats": [12, 12, 11, 1, None, None, None],
        "fastest_turnaround": duration(days=1, hours=1, minutes=18),
    },
    2: {
        "name": "Freighter",
        "type": 1,
        "agency": 2,
        "family": [2, 3],
        "in_use": True,
        "image": None,
        "capability": "",
        "history": "",
        "details": "Carries cargo.",
        "maiden_flight": None,
        "height": None,
        "diameter": 4.0,
        "human_rated": False,
        "crew_capacity": None,
        "payload_capacity": None,
        "payload_return_capacity": 3000,
        "flight_life": None,
        "wiki_link": "",
        "info_link": "https://orbital.example.org/freighter",
        "stats": [0, 0, 0, 0, 0, 0, 0],
        "fastest_turnaround": None,
    },
    3: {
        "name": "Spaceplane X",
        "type": 2,
        "agency": 3,
        "family": [],
        "in_use": False,
        "image": image(912),
        "capability": "Reusable.",
        "history": "",
        "details": "",
        "maiden_flight": "2010-04-22",
        "height": 8.9,
        "diameter": 1.5,
        "human_rated": False,
        "crew_capacity": 0,
        "payload_capacity": None,
        "payload_return_capacity": None,
        "flight_life": "up to 900 days",
        "wiki_link": "",
        "info_link": "",
        "stats": [None, 7, 7, 0, 7, 7, 0],
        "fastest_turnaround": duration(seconds=1.5),
    },
}

TIMES = [
    duration(),
    duration(minutes=1, seconds=49),
    duration(days=1, hours=1, minutes=18),
    None,
    duration(days=400, seconds=7),
]


def agency(pk):
    """The facts of agency ``pk`` (``devtools/ll2shape.py`` renders them)."""
    facts = AGENCIES[pk]
    return {
        **facts,
        "id": pk,
        "type": AGENCY_TYPES[facts["type"]],
        "country": [COUNTRIES[c] for c in facts["country"]],
    }


def family(pk):
    facts = FAMILIES[pk]
    manufacturer, parent = facts["manufacturer"], facts["parent"]
    return {
        **facts,
        "id": pk,
        "manufacturer": agency(manufacturer) if manufacturer else None,
        "parent": family(parent) if parent else None,
        **dict(zip(ll2shape.STATISTICS, facts["stats"], strict=True)),
    }


def config(pk):
    facts = CONFIGS[pk]
    return {
        **facts,
        "id": pk,
        "type": CONFIG_TYPES[facts["type"]],
        "agency": agency(facts["agency"]),
        "family": [family(f) for f in facts["family"]],
        **dict(zip(ll2shape.STATISTICS, facts["stats"], strict=True)),
    }


def spacecraft(pk):
    return {
        "id": pk,
        "name": f"Craft {pk}" if pk % 5 else f"Craft {pk} «Ñandú»",
        "serial_number": None if pk % 4 == 0 else f"SN-{pk:03d}",
        "is_placeholder": pk % 7 == 0,
        "image": None if pk % 3 == 0 else image(1000 + pk, variants=pk % 3),
        "in_space": pk % 2 == 1,
        "time_in_space": TIMES[pk % len(TIMES)],
        "time_docked": TIMES[(pk + 2) % len(TIMES)],
        "flights_count": None if pk % 6 == 0 else pk % 4,
        "mission_ends_count": pk % 3,
        "status": STATUSES[pk % len(STATUSES)],
        "description": "" if pk % 4 == 1 else f"Spacecraft number {pk}.\nIt flew.",
        "spacecraft_config": config(pk % len(CONFIGS) + 1),
        "fastest_turnaround": None if pk % 2 else TIMES[pk % len(TIMES)],
    }


def agency_detailed(pk):
    """The facts of agency ``pk`` as an /agencies/ page has them: with its statistics,
    links and configurations."""
    details = AGENCY_DETAILS[pk]
    return {
        **agency(pk),
        **dict(zip(ll2shape.AGENCY_STATISTICS, details["stats"], strict=True)),
        "info_url": details["info_url"],
        "wiki_url": details["wiki_url"],
        "spacecraft_list": [config(c) for c, facts in CONFIGS.items() if facts["agency"] == pk],
    }


AGENCY_FORMS = {
    "list": ll2shape.agency_mini,
    "normal": ll2shape.agency_normal,
    "detailed": ll2shape.agency_detailed,
}


def agency_records(mode="detailed", base="http://testserver"):
    """Every agency as LL2's /agencies/ serves it in ``mode``, linked below ``base``."""
    return [AGENCY_FORMS[mode](agency_detailed(pk), f"{base}/2.3.0") for pk in AGENCIES]


def detailed_records(count, first_id=1, base="http://testserver"):
    """``count`` spacecraft in detailed form, ids ``first_id`` and up, linked below ``base``."""
    return [
        ll2shape.spacecraft_detailed(spacecraft(pk), f"{base}/2.3.0")
        for pk in range(first_id, first_id + count)
    ]


# --- the server ------------------------------------------------------------------------

HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass
class Fault:
    """One way to misbehave, ``times`` times, on pages at ``offset`` (any if None).

    kinds: ``429`` (with ``retry_after``), ``502`` (an HTML page), ``html``
    (an HTML page with status 200), ``truncated`` (Content-Length says more
    than is sent), ``invalid`` (half the JSON, no Content-Length), ``slow``
    (answers after ``delay`` seconds), ``trickle`` (sends the body a byte
    every ``delay`` seconds), ``status`` (``status`` with a JSON
    ``detail``), ``loop`` (``next`` points back to the same page).
    """

    kind: str
    times: float = 1
    offset: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    status: int = 404

    def matches(self, offset):
        return self.times > 0 and (self.offset is None or self.offset == offset)


@dataclass
class Hit:
    """A request as the server saw it."""

    at: float  # time.monotonic() when it arrived
    path: str
    query: dict
    headers: dict = field(default_factory=dict)

    @property
    def offset(self):
        return int(self.query.get("offset", 0))


class FakeLL2:
    def __init__(self, records, max_limit=100, default_limit=10, gzip=False, path=SPACECRAFT_PATH):
        self.records = list(records)
        self.path = path  # the one list endpoint it serves
        self.max_limit = max_limit
        self.default_limit = default_limit
        self.gzip = gzip
        self.next_host = None  # set to send ``next`` links to another host name
        self.faults = []
        self.hits = []
        self.connections = 0  # TCP connections accepted
        self._lock = threading.Lock()
        self._served = None

    # control

    def fail(self, kind, **kwargs):
        fault = Fault(kind, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self):
        with self._lock:
            self.faults.clear()

    @property
    def port(self):
        return self._served.port

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self):
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._served = servers.InProcess(Handler)
        return self

    def stop(self):
        self._served.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # serving

    def _take_fault(self, offset):
        with self._lock:
            for fault in self.faults:
                if fault.matches(offset):
                    fault.times -= 1
                    return fault
        return None

    def _log(self, hit):
        with self._lock:
            self.hits.append(hit)

    def page(self, host, query):
        """The page LL2 would answer for ``query`` (a dict), as a dict."""
        try:
            limit = int(query.get("limit", ""))
            limit = self.default_limit if limit <= 0 else min(limit, self.max_limit)
        except ValueError:
            limit = self.default_limit
        try:
            offset = max(int(query.get("offset", "0")), 0)
        except ValueError:
            offset = 0
        count = len(self.records)

        def link(new_offset):
            params = {**query, "limit": str(limit), "offset": str(new_offset)}
            if new_offset <= 0:
                del params["offset"]
            return f"http://{host}{self.path}?{urlencode(sorted(params.items()))}"

        return {
            "count": count,
            "next": link(offset + limit) if offset + limit < count else None,
            "previous": link(max(offset - limit, 0)) if offset > 0 else None,
            "results": self.records[offset : offset + limit],
        }


class _Handler(BaseHTTPRequestHandler):
    server_fake = None
    # Keep-alive, as LL2's server: a client may send every call over one connection.
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with self.server_fake._lock:
            self.server_fake.connections += 1

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def do_GET(self):
        fake = self.server_fake
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        hit = Hit(time.monotonic(), parts.path, query, dict(self.headers.items()))
        fake._log(hit)
        if parts.path != fake.path:
            return self._send(404, b'{"detail":"Not found."}')
        fault = fake._take_fault(hit.offset)
        kind = fault.kind if fault else None
        host = self.headers.get("Host", "")
        if fake.next_host:
            host = f"{fake.next_host}:{fake.port}"
        page = fake.page(host, query)
        if kind == "loop":
            page["next"] = f"http://{self.headers.get('Host')}{self.path}"
        body = json.dumps(page).encode()
        try:
            if kind == "429":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                detail = b'{"detail":"Request was throttled."}'
                return self._send(429, detail, headers=headers)
            if kind == "502":
                return self._send(502, HTML_502, content_type="text/html")
            if kind == "html":
                return self._send(200, HTML_502, content_type="text/html; charset=utf-8")
            if kind == "status":
                return self._send(fault.status, b'{"detail":"Refused by the fake server."}')
            if kind == "truncated":
                return self._send(200, body, cut=len(body) // 2)
            if kind == "invalid":
                return self._send(200, body[: len(body) // 2], length=False)
            if kind == "slow":
                time.sleep(fault.delay)
            if kind == "trickle":
                return self._send(200, body, trickle=fault.delay)
            self._send(200, body, compress=fake.gzip)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def _send(
        self,
        status,
        body,
        content_type="application/json",
        headers=None,
        cut=None,
        length=True,
        compress=False,
        trickle=0.0,
    ):
        if compress and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers = {**(headers or {}), "Content-Encoding": "gzip"}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        if cut is not None or not length:
            # The body ends where the connection does: a truncated or unsized answer.
            self.close_connection = True
            self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if trickle:
            for index in range(len(body)):
                self.wfile.write(body[index : index + 1])
                self.wfile.flush()
                time.sleep(trickle)
            return
        self.wfile.write(body if cut is None else body[:cut])
        self.wfile.flush()
