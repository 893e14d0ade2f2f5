"""gunicorn settings for production: ``gunicorn`` (it reads this file from the project root).

Everything can be changed from the environment, as the rest of the settings:

- ``PORT`` / ``GUNICORN_BIND``: where to listen (default ``0.0.0.0:8000``);
- ``WEB_CONCURRENCY``: worker processes (default: one per CPU core; the API
  is CPU-bound, so more rarely helps);
- ``GUNICORN_THREADS``: threads per worker (default 1: synchronous workers;
  more: gunicorn's ``gthread`` workers, which also keep idle keep-alive
  connections open; ``docs/benchmarks.md`` compares them);
- ``GUNICORN_TIMEOUT``: seconds before a stuck worker is restarted (30);
- ``GUNICORN_ACCESS_LOG``: ``-`` (stdout, the default) or ``off``;
- ``FORWARDED_ALLOW_IPS``: proxies trusted for ``X-Forwarded-*`` (``127.0.0.1``).

Logs go to stdout (access) and stderr (errors), for the service manager or
the container runtime to collect.
"""

import multiprocessing
import os

wsgi_app = "spacedevs.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, staggered, so slow leaks cannot build up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 0)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1"

_access = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access.lower() in ("", "off", "none", "0") else _access
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
