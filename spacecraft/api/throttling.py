"""API throttling like LL2's, off unless ``API_THROTTLE_ANON`` sets a rate.

LL2 lets an anonymous client make 15 requests an hour; ``API_THROTTLE_ANON=15/hour``
does the same here. A throttled request is a 429 with ``Retry-After`` and
DRF's message (``Request was throttled. Expected available in N seconds.``).

The rate is read from the settings on every request (DRF's own classes read
it once, at import), so tests and ``override_settings`` can change it. The
request history lives in Django's default cache: with a cache shared by every
server process (Redis), the limit holds across processes; with the per-process
local-memory cache each process counts on its own. The settings refuse a
rate DRF could not read, so a typo stops the server at start.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonThrottle(AnonRateThrottle):
    """Anonymous clients (every API client: the API has no login), by client address."""

    def get_rate(self):
        return getattr(settings, "API_THROTTLE_ANON", None) or None
