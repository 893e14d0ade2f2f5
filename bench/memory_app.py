"""The benchmark's ceiling: a WSGI app that answers each URL with the bytes ours sent for it.

``BENCH_BODY_DIR`` holds the response bodies the run captured from our server (cached), one
file per URL, and ``index.json`` mapping each path and query to its file. Served under the
same gunicorn configuration, it shows what the server, the workers and the load generator
cost on their own for the same bytes, with no Django at all.
"""

import json
import os
from pathlib import Path

FOLDER = Path(os.environ["BENCH_BODY_DIR"])
ANSWERS = {}
for url, name in json.loads((FOLDER / "index.json").read_text()).items():
    body = (FOLDER / name).read_bytes()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("Vary", "Accept"),
        ("Allow", "GET"),
    ]
    ANSWERS[url] = (headers, body)


def application(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    url = environ.get("PATH_INFO", "") + ("?" + query if query else "")
    headers, body = ANSWERS[url]
    start_response("200 OK", headers)
    return [body]
