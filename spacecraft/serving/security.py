"""Admin login rate limiting.

After ``ADMIN_LOGIN_MAX_FAILURES`` failed logins within
``ADMIN_LOGIN_LOCKOUT_SECONDS``, from one client address or for one user name,
the admin login form refuses further attempts (even a right password) with a
429 and ``Retry-After`` until that window has passed. A successful login
clears both counters.

Failures are counted from Django's ``user_login_failed`` signal, so anything
that fails ``authenticate()`` counts, whatever the form looks like. Counters
live in Django's default cache: with a cache shared by every server process
(Redis) the limit holds across processes; with the local-memory cache each
process counts on its own. The client address is the one DRF's throttling
uses (``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry ``NUM_PROXIES`` says
the proxy added), so a client cannot choose it by sending that header.
"""

import hashlib
import time

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.template.response import TemplateResponse
from django.urls import reverse
from rest_framework.throttling import BaseThrottle

PREFIX = "admin-login"


def client_address(request):
    return BaseThrottle().get_ident(request)


def _limits():
    return settings.ADMIN_LOGIN_MAX_FAILURES, settings.ADMIN_LOGIN_LOCKOUT_SECONDS


def _keys(request, username=None):
    keys = [f"{PREFIX}:ip:{client_address(request)}"]
    if username:
        digest = hashlib.sha256(str(username).strip().lower().encode("utf-8", "replace"))
        keys.append(f"{PREFIX}:user:{digest.hexdigest()}")
    return keys


def _record_failure(key, window):
    """Count one failure in ``key``'s window; the window starts at its first failure."""
    now = time.time()
    cache.add(f"{key}:since", now, window)
    if cache.add(f"{key}:count", 1, window):
        return
    try:
        cache.incr(f"{key}:count")
    except ValueError:  # expired between add() and incr()
        cache.set(f"{key}:since", now, window)
        cache.set(f"{key}:count", 1, window)


def retry_after(request, username=None):
    """Seconds until ``request`` may try to log in again; 0 if it may now."""
    max_failures, window = _limits()
    if not max_failures:
        return 0
    wait = 0
    for key in _keys(request, username):
        values = cache.get_many([f"{key}:count", f"{key}:since"])
        if values.get(f"{key}:count", 0) >= max_failures:
            since = values.get(f"{key}:since", time.time())
            wait = max(wait, max(1, int(since + window - time.time() + 0.999)))
    return wait


@receiver(user_login_failed, dispatch_uid="spacecraft.serving.security.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    max_failures, window = _limits()
    if request is None or not max_failures:
        return
    for key in _keys(request, credentials.get("username")):
        _record_failure(key, window)


@receiver(user_logged_in, dispatch_uid="spacecraft.serving.security.logged_in")
def _logged_in(sender, request=None, user=None, **kwargs):
    if request is None:
        return
    for key in _keys(request, getattr(user, "username", None)):
        cache.delete_many([f"{key}:count", f"{key}:since"])


class AdminLoginRateLimitMiddleware:
    """Refuses login attempts on the admin login page while locked out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path == reverse("admin:login"):
            wait = retry_after(request, request.POST.get("username"))
            if wait:
                return locked_out_page(request, wait)
        return self.get_response(request)


def locked_out_page(request, wait):
    """The 429 a locked-out login gets: a page in the admin's look, with ``Retry-After``."""
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed login attempts",
        "message": f"Too many failed login attempts. Try again in {wait} seconds.",
        "login_url": request.get_full_path(),
    }
    response = TemplateResponse(request, "admin/login_locked.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response.render()
