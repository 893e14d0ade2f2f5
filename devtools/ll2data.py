"""LL2-shaped test data built from the captured seed records.

The seeds are normal-mode pages. ``detailed_from_normal(record)`` turns one
normal record into LL2's detailed form (rendered by ``devtools/ll2shape.py`` from
the record's facts and plausible detailed-only ones) (``SpacecraftEndpointDetailed``:
the configuration as ``SpacecraftConfigDetailed`` with its agency as
``AgencyNormal``, families as ``SpacecraftConfigFamilyDetailed``, plus
``flights``), adding plausible detailed-only values. Everything is derived
from the ids, so the same object gets the same values wherever it appears
and every run builds the same data. Keys come in LL2's order.

    from devtools.ll2data import detailed_from_normal, page, seed_records
    records = [detailed_from_normal(r) for r in seed_records("ll")]
    document = page(records)
"""

import copy
import datetime
import json
from pathlib import Path

import isodate

from devtools import ll2shape

# The captured LL2 pages (fixtures/ll2/seeds/), by the server they came from.
SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "ll2" / "seeds"
SEED_FILES = {
    "ll": SEEDS / "ll-spacecraft-offset120-ordering-mission_ends_count.json",
    "lldev": SEEDS / "lldev-spacecraft-offset10-ordering-time_docked.json",
}


def load_seed(name):
    """Seed page ``name`` (``"ll"``, ``"lldev"``), parsed."""
    return json.loads(SEED_FILES[name].read_text(encoding="utf-8"))


LICENSE = {"id": 1, "name": "Unknown", "priority": 9, "link": None}
VARIANT_TYPE = {"id": 1, "name": "Thumbnail"}
COUNTRIES = [
    (1, "United States of America", "US", "USA", "American", "Americano"),
    (2, "Russia", "RU", "RUS", "Russian", "Russo"),
    (3, "China", "CN", "CHN", "Chinese", "Sino"),
    (4, "France", "FR", "FRA", "French", "Franco"),
    (5, "Japan", "JP", "JPN", "Japanese", "Japano"),
]
IMAGE_BASE = "https://images.example.org"


def seed_records(name=None):
    """Deep copies of the seed pages' records (``"ll"``, ``"lldev"`` or both)."""
    names = [name] if name else ["ll", "lldev"]
    return [copy.deepcopy(record) for n in names for record in load_seed(n)["results"]]


def page(records, **fields):
    """An LL2 page holding ``records``; ``fields`` override count/next/previous."""
    return ll2shape.page(records, **fields)


def detailed_from_normal(record, **overrides):
    """The detailed form of a normal-mode spacecraft record.

    ``overrides`` replace top-level keys of the result (``name="X"``); edit
    the returned dict for anything deeper.
    """
    facts = {
        **copy.deepcopy(record),
        "spacecraft_config": config_facts(record["spacecraft_config"]),
    }
    detailed = ll2shape.spacecraft_detailed(facts)
    detailed.update(overrides)
    return detailed


def config_facts(config):
    """A normal configuration's facts, with plausible values for the detailed-only ones."""
    n = config["id"]
    return {
        **copy.deepcopy(config),
        "agency": agency_facts(config["agency"]),
        "family": [family_facts(family) for family in config["family"] or []],
        "capability": f"{config['name']} carries up to {n % 4 + 2} crew to low Earth orbit.",
        "history": f"{config['name']} was developed from {1960 + n % 40} on.",
        "details": f"Configuration {n}: pressurised module with service section.",
        "maiden_flight": _date(1960, n),
        "height": 7.0 + (n % 5) * 0.5,
        "diameter": 2.5 + (n % 3) * 0.25,
        "human_rated": n % 2 == 1,
        "crew_capacity": n % 4 + 2,
        "payload_capacity": 1000 * (n % 7 + 1),
        "payload_return_capacity": 100 * (n % 5),
        "flight_life": f"{n % 200 + 10} days",
        "wiki_link": f"https://en.wikipedia.org/wiki/Configuration_{n}",
        "info_link": f"https://example.org/configurations/{n}",
        **_stats(n),
        "fastest_turnaround": isodate.duration_isoformat(
            datetime.timedelta(days=n % 30 + 1, hours=n % 24)
        ),
    }


def agency_facts(agency):
    """An ``AgencyMini``'s facts, with countries, three images and the other normal values."""
    n = agency["id"]
    country = COUNTRIES[n % len(COUNTRIES)]
    return {
        **copy.deepcopy(agency),
        "featured": n % 3 == 0,
        "country": [ll2shape.country(*country)],
        "description": f"{agency['name']} builds and operates spacecraft.",
        "administrator": f"Administrator {n}",
        "founding_year": 1950 + n % 60,
        "launchers": f"Launcher {n}",
        "spacecraft": f"Spacecraft of {agency['name']}"[:500],
        "parent": None,
        "image": image(f"{agency['name']} image", 900_000 + 10 * n),
        "logo": image(f"{agency['name']} logo", 900_000 + 10 * n + 1, variants=1),
        "social_logo": image(f"{agency['name']} social logo", 900_000 + 10 * n + 2),
    }


def family_facts(family):
    """A ``SpacecraftConfigFamilyNormal``'s facts (its parent: a Mini's), with statistics."""
    manufacturer, parent = family["manufacturer"], family["parent"]
    return {
        **copy.deepcopy(family),
        "manufacturer": agency_facts(manufacturer) if manufacturer else None,
        "parent": parent_facts(parent) if parent else None,
        **_stats(family["id"]),
    }


def parent_facts(family):
    """A ``SpacecraftConfigFamilyMini``'s facts, as a parent family (no manufacturer)."""
    return {
        "id": family["id"],
        "name": family["name"],
        "description": f"The {family['name']} family.",
        "manufacturer": None,
        "parent": None,
        "maiden_flight": _date(1957, family["id"]),
    }


def image(name, image_id, variants=0):
    """An LL2 ``Image`` with ``variants`` variants (ids follow the image's)."""
    slug = f"image_{image_id}"
    return ll2shape.image(
        image_id,
        name,
        f"{IMAGE_BASE}/{slug}.jpg",
        f"{IMAGE_BASE}/{slug}_thumbnail.jpg",
        f"Credit {image_id}",
        dict(LICENSE),
        False,
        [
            ll2shape.variant(
                image_id * 10 + number,
                dict(VARIANT_TYPE),
                f"{IMAGE_BASE}/{slug}_variant_{number}.jpg",
            )
            for number in range(variants)
        ],
    )


def _stats(n):
    return {
        "spacecraft_flown": n % 9 + 1,
        "total_launch_count": n % 50 + 5,
        "successful_launches": n % 50 + 4,
        "failed_launches": 1,
        "attempted_landings": n % 20,
        "successful_landings": n % 20,
        "failed_landings": 0,
    }


def _date(first_year, n):
    return datetime.date(first_year + n % 40, n % 12 + 1, n % 28 + 1).isoformat()
