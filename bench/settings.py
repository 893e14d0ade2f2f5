"""Benchmark settings: production settings plus the textbook baseline's URLs.

``/2.3.0/textbook/spacecraft/`` is the same endpoint answered the textbook
way (nested ModelSerializers over select_related/prefetch_related querysets,
DRF's own JSONRenderer, no response cache), so the benchmark measures both
side by side on the same server, data and run. Never used outside ``bench/``.
"""

from spacedevs.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
