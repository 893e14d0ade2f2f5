"""The one rule for a throttling rate (``15/hour``), read by the settings and the API keys.

A rate is ``<requests>/<period>`` where the period is DRF's: its first letter
is ``s``, ``m``, ``h`` or ``d`` (``15/hour``, ``100/h``, ``3/minute``). This
module imports nothing of Django's, so the settings can check their rates with it
at start.
"""

import re

PATTERN = re.compile(r"([1-9][0-9]{0,8})/([smhd])[a-z]*")
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
EXAMPLE = "'<requests>/<second|minute|hour|day>', e.g. '15/hour'"


def parse(rate):
    """``(requests, period in seconds)`` of a rate, or ``ValueError`` naming the form."""
    match = PATTERN.fullmatch(rate or "")
    if match is None:
        raise ValueError(f"{rate!r} is not {EXAMPLE}.")
    return int(match[1]), PERIOD_SECONDS[match[2]]


def setting(name, value):
    """A rate setting's value: ``None`` when unset or blank, else the checked rate."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parse(value)
    except ValueError as error:
        raise ValueError(f"{name}={error}") from None
    return value
