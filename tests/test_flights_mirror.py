"""Mirroring flights (``import_ll2 --from``) from an LL2-compatible server.

The harness's ``servers.Recorded`` replays pages our API answered, so the flights can be
emptied here and synced back. A sync of ``/2.3.0/spacecraft/`` (detailed by
default) stores the flights its records carry, with no extra call; a sync of
``/2.3.0/spacecraft_flights/`` stores the flights pages. Afterwards the API
answers what it answered before.
"""

import datetime
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from devtools import ll2shape, servers
from spacecraft import documents, models
from spacecraft.serving import cache

from . import factories
from .conftest import sync


def capture(replay, url):
    """Record our API's answer to ``url``, and to every page its next links lead to, for
    ``replay`` (the harness's ``servers.Recorded``) to serve."""
    cache.store.clear()
    client = Client(HTTP_HOST=replay.host)
    while url:
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}"
        response = client.get(path)
        assert response.status_code == 200
        replay.pages[path] = response.content
        url = response.json()["next"]


@pytest.fixture
def with_flights(db):
    call_command("loaddata", "ll2_seed", verbosity=0)
    crafts = list(models.Spacecraft.objects.order_by("id"))
    launches = [factories.launch(n) for n in range(3)]
    crew = documents.stored_form([ll2shape.astronaut_flight(1)])
    for number, craft in enumerate(crafts[:9]):
        for flight in range(number % 3 + 1):
            factories.flight(
                craft,
                launches[(number + flight) % 3],
                landing=factories.landing(100 + number * 3 + flight) if flight else None,
                duration=-datetime.timedelta(days=number, hours=2),
                launch_crew=crew,
            )
    return models.SpacecraftFlight.objects.count()


def answers(host):
    cache.store.clear()
    client, output = Client(HTTP_HOST=host), {}
    for path in ("/2.3.0/spacecraft/", "/2.3.0/spacecraft_flights/"):
        for mode in ("normal", "detailed"):
            response = client.get(path, {"format": "json", "mode": mode, "limit": 100})
            assert response.status_code == 200
            output[path, mode] = response.content
    return output


def empty_flights():
    models.SpacecraftFlight.objects.all().delete()
    models.Launch.objects.all().delete()
    models.Landing.objects.all().delete()


@pytest.fixture
def replay():
    with servers.Recorded() as server:
        yield server


def test_a_detailed_spacecraft_sync_stores_the_flights(with_flights, replay):
    host = replay.host
    before = answers(host)
    assert with_flights == 18
    flight_crews = dict(models.SpacecraftFlight.objects.values_list("id", "launch_crew"))
    spacecraft_start = "/2.3.0/spacecraft/?limit=8&mode=detailed"
    flights_start = "/2.3.0/spacecraft_flights/?limit=7&mode=detailed"
    capture(replay, spacecraft_start)
    capture(replay, flights_start)
    empty_flights()

    output = sync(f"http://{host}{spacecraft_start}")

    assert "Finished: 3 pages, 20 spacecraft stored in 3 calls" in output
    assert "flight: 18 created" in output
    assert "launch: 3 created" in output
    after = answers(host)
    # Spacecraft come back whole; detailed flights lack their crews, which
    # only the flights endpoint's detailed pages carry.
    assert after["/2.3.0/spacecraft/", "normal"] == before["/2.3.0/spacecraft/", "normal"]
    assert after["/2.3.0/spacecraft/", "detailed"] == before["/2.3.0/spacecraft/", "detailed"]
    flights = "/2.3.0/spacecraft_flights/"
    assert after[flights, "normal"] == before[flights, "normal"]
    assert set(models.SpacecraftFlight.objects.values_list("launch_crew", flat=True)) == {"[]"}

    output = sync(f"http://{host}{flights_start}")
    assert "Finished: 3 pages, 18 flights stored in 3 calls" in output
    assert "flight: 0 created, 18 updated, 0 unchanged" in output
    assert answers(host) == before
    assert dict(models.SpacecraftFlight.objects.values_list("id", "launch_crew")) == flight_crews


def test_a_flights_sync_alone_stores_flights_and_their_spacecraft(with_flights, replay):
    before = answers(replay.host)
    capture(replay, "/2.3.0/spacecraft_flights/?limit=100&mode=detailed")
    empty_flights()

    output = sync(f"http://{replay.host}/2.3.0/spacecraft_flights/")

    assert "Finished: 1 page, 18 flights stored in 1 call (0 retries)" in output
    assert "flight: 18 created" in output
    assert "spacecraft: 0 created, 0 updated, 9 unchanged" in output
    assert answers(replay.host) == before
