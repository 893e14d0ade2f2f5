"""The benchmark's ceiling: a WSGI app that answers every request with the same bytes.

``BENCH_BODY_FILE`` names a file holding a real response body (the run
captures ``/2.3.0/spacecraft/?limit=100``); served under the same gunicorn
configuration, it shows what the server, the workers and the load generator
cost on their own, with no Django at all.
"""

import os

with open(os.environ["BENCH_BODY_FILE"], "rb") as handle:
    BODY = handle.read()

HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(BODY))),
    ("Vary", "Accept"),
    ("Allow", "GET"),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
