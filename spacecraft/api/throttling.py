"""API keys and throttling like LL2's: who the caller is, its rate, and its count.

A caller is either keyed (``Authorization: Token <key>``, an ``APIKey`` that is not
revoked) or anonymous (its client address: ``REMOTE_ADDR``, or the address the
trusted proxy added to ``X-Forwarded-For`` when ``NUM_PROXIES`` says there is
one). Its rate is the key's own (``APIKey.rate``), else ``API_THROTTLE_KEY`` for a
keyed caller, ``API_THROTTLE_ANON`` for an anonymous one; no rate, no limit (both
settings are unset by default). An unknown or revoked key is a 401, never an
anonymous call: a client whose key stopped working is told so.

Counting is a fixed window per caller: the period (an hour for ``15/hour``) is cut
into windows aligned on the Unix epoch, and each call adds one to the caller's
counter for the current window with one atomic increment in Django's default
cache. With ``REDIS_URL`` that is Redis's ``INCR``, shared by every process and
instance, so N concurrent calls count exactly N and exactly ``limit`` of them are
let through; without it, the local-memory cache counts in each process alone. A
call over the limit is a 429 with ``Retry-After`` (the seconds left in the window)
and DRF's message, as LL2 sends it. If the cache cannot be reached the call is let
through (and logged): an unreachable Redis must not take the API down.

``figures()`` is what ``/2.3.0/api-throttle/`` answers; reading them counts nothing.
The rates are read from the settings on every request, so ``override_settings``
changes them.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import BaseThrottle

from spacecraft import rates
from spacecraft.models import APIKey
from spacecraft.values import INT_MAX

log = logging.getLogger(__name__)

KEYWORD = "Token"
# What /api-throttle/ says of a caller no rate applies to: as many calls as a
# 32-bit integer holds (what LL2's clients parse), in no particular window.
UNLIMITED = INT_MAX

MESSAGES = {
    "no_key": "Invalid token header. No credentials provided.",
    "spaces": "Invalid token header. Token string should not contain spaces.",
    "unknown": "Invalid token.",
    "revoked": "This API key has been revoked.",
}


class APIKeyAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` as DRF's ``TokenAuthentication`` reads it.

    A request without that header (or with another scheme) is anonymous. The user
    stays anonymous either way (keys belong to no user); ``request.auth`` is the key.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) == 1:
            raise exceptions.AuthenticationFailed(MESSAGES["no_key"])
        if len(parts) > 2:
            raise exceptions.AuthenticationFailed(MESSAGES["spaces"])
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(MESSAGES["unknown"]) from None
        api_key = APIKey.find(key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(MESSAGES["unknown"])
        if api_key.revoked:
            raise exceptions.AuthenticationFailed(MESSAGES["revoked"])
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        # A 401 (not a 403) for a refused key, with how to send one.
        return KEYWORD


# --- the caller and its count -------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    ident: str  # what /api-throttle/ shows: the key's name, or the client address
    counter: str  # whose count: the key's id, or the address
    rate: str | None  # None: no limit


def caller_of(request):
    """The caller of a DRF request (after authentication)."""
    api_key = request.auth if isinstance(request.auth, APIKey) else None
    if api_key is not None:
        return Caller(
            ident=api_key.name,
            counter=f"key:{api_key.pk}",
            rate=api_key.rate or getattr(settings, "API_THROTTLE_KEY", None),
        )
    # (No REMOTE_ADDR happens only in-process, without a server: "".)
    address = BaseThrottle().get_ident(request) or ""
    return Caller(
        ident=address,
        counter=f"address:{address}",
        rate=getattr(settings, "API_THROTTLE_ANON", None),
    )


@dataclass(frozen=True)
class Window:
    limit: int
    period: int
    count: int  # calls counted in this window, including refused ones
    reset_in: int  # whole seconds until the next window starts (at least 1)

    @property
    def allowed(self):
        return self.count <= self.limit


def _window(rate, now):
    limit, period = rates.parse(rate)
    start = math.floor(now / period) * period
    return limit, period, start, max(1, math.ceil(start + period - now))


def _cache_key(counter, period, start):
    # Hashed: an address from X-Forwarded-For may hold anything a cache key may not.
    digest = hashlib.blake2b(counter.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return f"ll2:throttle:{period}:{start}:{digest}"


def clock():
    """Now, in Unix seconds (the tests set it to a time of their choosing)."""
    return time.time()


def count_call(caller):
    """Count one call of ``caller`` in its current window; the window after it."""
    limit, period, start, reset_in = _window(caller.rate, clock())
    key = _cache_key(caller.counter, period, start)
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first call: make the counter, then count
            # A little past the window's end, so that it cannot expire under a late call.
            cache.add(key, 0, timeout=reset_in + 60)
            count = cache.incr(key)
    except Exception:
        log.warning("throttle counter unavailable; call let through", exc_info=True)
        count = 0
    return Window(limit, period, count, reset_in)


def peek(caller):
    """The caller's current window, counting nothing."""
    limit, period, start, reset_in = _window(caller.rate, clock())
    try:
        count = cache.get(_cache_key(caller.counter, period, start), 0)
    except Exception:
        log.warning("throttle counter unavailable", exc_info=True)
        count = 0
    return Window(limit, period, count, reset_in)


class APIThrottleSerializer(serializers.Serializer):
    """``/2.3.0/api-throttle/``'s answer: LL2's five keys, in LL2's order."""

    your_request_limit = serializers.IntegerField(
        help_text="Calls allowed in each window (2147483647: no limit)."
    )
    limit_frequency_secs = serializers.IntegerField(
        help_text="The window, in seconds (0: no limit)."
    )
    current_use = serializers.IntegerField(help_text="Calls used in the current window.")
    next_use_secs = serializers.IntegerField(
        help_text="0 while calls are left, else the seconds until the next window."
    )
    ident = serializers.CharField(
        help_text="The caller: the API key's name, or the client address."
    )


def figures(request):
    """``/2.3.0/api-throttle/``'s figures for the caller (``APIThrottleSerializer``)."""
    caller = caller_of(request)
    if caller.rate is None:
        return {
            "your_request_limit": UNLIMITED,
            "limit_frequency_secs": 0,
            "current_use": 0,
            "next_use_secs": 0,
            "ident": caller.ident,
        }
    window = peek(caller)
    return {
        "your_request_limit": window.limit,
        "limit_frequency_secs": window.period,
        # Refused calls are counted too, but a client has used only what it was allowed.
        "current_use": min(window.count, window.limit),
        "next_use_secs": 0 if window.count < window.limit else window.reset_in,
        "ident": caller.ident,
    }


class CallerThrottle(BaseThrottle):
    """Counts every call against the caller's rate; a 429 once it is used up."""

    window = None

    def allow_request(self, request, view):
        caller = caller_of(request)
        if caller.rate is None:
            return True
        self.window = count_call(caller)
        return self.window.allowed

    def wait(self):
        return self.window.reset_in if self.window else None


def needs_admission(request):
    """Whether a cached answer to this Django request must first pass authentication and
    throttling: a key was sent (to check, and maybe count), or anonymous calls are counted."""
    return bool(
        request.META.get("HTTP_AUTHORIZATION") or getattr(settings, "API_THROTTLE_ANON", None)
    )
