"""``/healthz``: is this instance able to serve? For load balancers and probes.

Answered by a middleware placed first, before host validation and the HTTPS
redirect, because a load balancer probes each instance by its address and
often over plain http. ``200 {"status":"ok","database":"ok"}`` when a query
on the database succeeds, ``503`` with ``"database":"unavailable"``
otherwise. With ``REDIS_URL`` set the shared cache is reported too; it does
not fail the check, because the API still answers (uncached) without it.
"""

import logging

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse

log = logging.getLogger(__name__)

PATHS = {"/healthz", "/healthz/"}


def check():
    """(healthy, report) for this instance."""
    report = {"status": "ok", "database": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.exception("health check: database unavailable")
        report["status"] = "error"
        report["database"] = "unavailable"
    if settings.API_CACHE_SHARED:
        try:
            caches[settings.API_CACHE_SHARED].get("healthz")
            report["cache"] = "ok"
        except Exception:
            log.warning("health check: shared cache unavailable", exc_info=True)
            report["cache"] = "unavailable"
    return report["status"] == "ok", report


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info not in PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = JsonResponse(
                {"detail": f'Method "{request.method}" not allowed.'}, status=405
            )
            response["Allow"] = "GET, HEAD"
            return response
        healthy, report = check()
        response = JsonResponse(report, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response
