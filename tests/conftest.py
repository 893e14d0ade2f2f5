import json
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

# The real-browser fixtures (site, page, admin_page...).
pytest_plugins = ["tests.browser"]

LL2 = Path(__file__).resolve().parent.parent / "fixtures" / "ll2"
SEEDS = LL2 / "seeds"
SEED_FILES = {
    "ll": SEEDS / "ll-spacecraft-offset120-ordering-mission_ends_count.json",
    "lldev": SEEDS / "lldev-spacecraft-offset10-ordering-time_docked.json",
}
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ll2_seed.json"


def load_seed(name):
    return json.loads(SEED_FILES[name].read_text(encoding="utf-8"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Only tests marked ``server`` may start processes (see tests/servers.py)."""
    from . import servers

    servers.RUNNING.update(test=item.nodeid, marked=item.get_closest_marker("server") is not None)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def seeded(db):
    """The 20 seed spacecraft, as the README's run command loads them."""
    call_command("loaddata", str(FIXTURE), verbosity=0)


@pytest.fixture
def response_cache(settings):
    """The response cache on, in this process only (no Redis), empty before and after."""
    from spacecraft.serving import cache

    settings.API_CACHE_SECONDS = 300
    settings.API_CACHE_SHARED = None
    cache.store.clear()
    yield
    cache.store.clear()
