"""A deterministic LL2 catalogue, written as LL2 2.3.0 detailed JSON pages.

``write_pages(directory, count)`` writes ``count`` spacecraft in pages of 100
(``page-00001.json``...) shaped as LL2's ``/2.3.0/spacecraft/?mode=detailed``
answers (by ``devtools/ll2shape.py``, the one builder of LL2-shaped data), so
``manage.py import_ll2`` reads them as it reads LL2's own. The same arguments
always give the same bytes (one seeded ``random.Random``).

The shape follows LL2's real data: many spacecraft share a configuration
(about eight each), agencies and families are shared by configurations,
images have 0-3 variants; most spacecraft have one flight, some none and
about one in fifty 20-40, a few launches are shared by two spacecraft's
flights, each launch a real LL2 sample launch (``fixtures/ll2/samples/``,
5.9-13.4 KB) with its own UUID, name and date; and values are varied: nulls, long and non-ASCII
text (with the odd U+2028), floats and ISO 8601 durations.
"""

import datetime
import json
import random
import uuid
from pathlib import Path

import isodate

from devtools import ll2shape

DESTINATIONS = ["Low Earth Orbit", "International Space Station", "Tiangong", "Lunar orbit", None]
LANDING_TYPES = [
    {"id": 4, "name": "Splashdown", "abbrev": "SD", "description": "Ocean landing."},
    {"id": 5, "name": "Parachute", "abbrev": "PL", "description": "Landing under parachutes."},
    {"id": 2, "name": "Runway", "abbrev": "RW", "description": "Horizontal landing."},
]
FIRST_LAUNCH = datetime.datetime(1961, 4, 12, 6, 7, tzinfo=datetime.UTC)

BASE = "https://ll.thespacedevs.com/2.3.0"
PAGE_SIZE = 100
STATUSES = ["Active", "Retired", "Destroyed", "Unknown", "Single Use", "Lost"]
CONFIG_TYPES = ["Capsule", "Cargo", "Spaceplane", "Station module"]
AGENCY_TYPES = ["Government", "Commercial", "Multinational", "Educational"]
LICENSES = [("Unknown", 9, None), ("CC BY 2.0", 1, "https://creativecommons.org/licenses/by/2.0/")]
VARIANT_TYPES = ["Thumbnail", "Small", "Medium"]
COUNTRIES = [
    ("United States of America", "US", "USA", "American"),
    ("Russian Federation", "RU", "RUS", "Russian"),
    ("China", "CN", "CHN", "Chinese"),
    ("Japan", "JP", "JPN", "Japanese"),
    ("France", "FR", "FRA", "French"),
    ("India", "IN", "IND", "Indian"),
    ("Côte d'Ivoire", "CI", "CIV", "Ivorian"),
    ("Deutschland", "DE", "DEU", "Deutsch"),
    ("Türkiye", "TR", "TUR", "Türk"),
    ("日本国", "JP", "JPN", "日本人"),
]
WORDS = (
    "orbital crew cargo module capsule station docking heat shield reentry booster "
    "Союз Шэньчжоу «Восток» naïve façade déjà-vu über 宇宙船 ✓ 🚀 lunar crewed resupply"
).split()


def _text(rng, words, odd=False):
    text = " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."
    if odd and rng.random() < 0.05:
        text += "\u2028Second line."
    return text


def _duration(rng, nullable=True):
    if nullable and rng.random() < 0.15:
        return None
    if rng.random() < 0.2:
        return "P0D"
    seconds = rng.choice([rng.randint(1, 600), rng.randint(600, 90_000), rng.randint(1, 9_000_000)])
    return isodate.duration_isoformat(datetime.timedelta(seconds=seconds))


class Catalogue:
    """Every shared object's facts, drawn once, so repeated appearances are identical.

    ``devtools/ll2shape.py`` renders them as LL2 does; the agencies' ``info_url``
    and ``wiki_url`` are facts LL2 shows only on an agency's own detailed page,
    so they stay out of the spacecraft records (they are still drawn, so every
    other value is what it always was for a seed).
    """

    def __init__(self, count, seed=2300):
        self.rng = random.Random(seed)
        self.count = count
        self.next_image = 1
        self.next_variant = 1
        self.statuses = [{"id": i + 1, "name": n} for i, n in enumerate(STATUSES)]
        self.config_types = [{"id": i + 1, "name": n} for i, n in enumerate(CONFIG_TYPES)]
        self.agency_types = [{"id": i + 1, "name": n} for i, n in enumerate(AGENCY_TYPES)]
        self.licenses = [
            {"id": i + 1, "name": n, "priority": p, "link": link}
            for i, (n, p, link) in enumerate(LICENSES)
        ]
        self.countries = [
            {
                "id": i + 1,
                "name": name,
                "alpha_2_code": a2,
                "alpha_3_code": a3,
                "nationality_name": nationality,
                "nationality_name_composed": nationality,
            }
            for i, (name, a2, a3, nationality) in enumerate(COUNTRIES)
        ]
        agency_count = min(300, 40 + count // 1000)
        self.agencies = [self._agency(i + 1) for i in range(agency_count)]
        family_count = min(400, 30 + count // 500)
        self.families = []
        for i in range(family_count):
            self.families.append(self._family(i + 1))
        config_count = min(3000, max(20, count // 8))
        self.configs = [self._config(i + 1) for i in range(config_count)]
        # Flights draw from their own generator: the other values stay what they were.
        self.flight_rng = random.Random(seed + 1)
        self.samples = ll2shape.sample_launches()
        self.next_flight = self.next_launch = self.next_landing = 1
        self.shareable = []  # the previous spacecraft's launches, used once so far
        self.landing_locations = [self._landing_location(i + 1) for i in range(6)]

    # small objects

    def image(self, label):
        rng = self.rng
        number = self.next_image
        self.next_image += 1
        slug = f"{label.lower().replace(' ', '_')}_{number}"
        variants = []
        for v in range(rng.choice([0, 0, 1, 2, 3])):
            variants.append(
                ll2shape.variant(
                    self.next_variant,
                    {"id": v + 1, "name": VARIANT_TYPES[v]},
                    f"https://images.example.org/{slug}_{v}.webp",
                )
            )
            self.next_variant += 1
        return ll2shape.image(
            number,
            f"[AUTO] {label} - image",
            f"https://images.example.org/{slug}.jpg",
            f"https://images.example.org/{slug}_thumbnail.jpg",
            None if rng.random() < 0.6 else f"Crédit {rng.choice(WORDS)}",
            rng.choice(self.licenses),
            rng.random() < 0.5,
            variants,
        )

    def _agency(self, number):
        rng = self.rng
        name = f"Agency {number} {rng.choice(WORDS).title()}"
        return {
            "id": number,
            "name": name,
            "abbrev": f"A{number}",
            "type": rng.choice(self.agency_types),
            "featured": rng.random() < 0.2,
            "country": rng.sample(self.countries, rng.choice([1, 1, 2])),
            "description": None if rng.random() < 0.1 else _text(rng, 30, odd=True),
            "administrator": None if rng.random() < 0.5 else f"Administrator {number}",
            "founding_year": None if rng.random() < 0.1 else rng.randint(1950, 2020),
            "launchers": "Rocket A | Rocket B",
            "spacecraft": "Capsule X",
            "parent": None,
            "image": None if rng.random() < 0.2 else self.image(name),
            "logo": None if rng.random() < 0.2 else self.image(f"{name} logo"),
            "social_logo": None if rng.random() < 0.3 else self.image(f"{name} social"),
            "info_url": None if rng.random() < 0.3 else f"https://agency{number}.example.org/",
            "wiki_url": None if rng.random() < 0.3 else f"https://wiki.example.org/Agency_{number}",
        }

    def _family(self, number):
        rng = self.rng
        parent = None
        if self.families and rng.random() < 0.3:
            parent = rng.choice(self.families)
        return {
            "id": number,
            "name": f"Family {number}",
            "description": _text(rng, 20),
            "manufacturer": None if rng.random() < 0.1 else rng.choice(self.agencies),
            "parent": parent,
            "maiden_flight": None
            if rng.random() < 0.3
            else f"{rng.randint(1960, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            **self._stats(),
        }

    def _stats(self):
        rng = self.rng
        return {
            "spacecraft_flown": rng.randint(0, 50),
            "total_launch_count": rng.randint(0, 200),
            "successful_launches": rng.randint(0, 150),
            "failed_launches": rng.randint(0, 10),
            "attempted_landings": rng.randint(0, 100),
            "successful_landings": rng.randint(0, 90),
            "failed_landings": rng.randint(0, 5),
        }

    def _config(self, number):
        rng = self.rng
        name = f"Config {number} {rng.choice(WORDS).title()}"
        return {
            "id": number,
            "name": name,
            "type": rng.choice(self.config_types),
            "agency": rng.choice(self.agencies),
            "family": sorted(rng.sample(self.families, rng.choice([0, 1, 1, 2])), key=_id),
            "in_use": rng.random() < 0.5,
            "image": None if rng.random() < 0.1 else self.image(name),
            "capability": _text(rng, 12),
            "history": _text(rng, 25, odd=True),
            "details": _text(rng, 15),
            "maiden_flight": None
            if rng.random() < 0.2
            else f"{rng.randint(1961, 2024)}-05-0{rng.randint(1, 9)}",
            "height": rng.choice([None, 7.5, 3.3, round(rng.uniform(1, 60), 2), 1e-05, 12.0]),
            "diameter": rng.choice([None, 2.2, round(rng.uniform(1, 10), 3), 0.1]),
            "human_rated": rng.random() < 0.4,
            "crew_capacity": None if rng.random() < 0.3 else rng.randint(0, 7),
            "payload_capacity": None if rng.random() < 0.3 else rng.randint(0, 20000),
            "payload_return_capacity": None if rng.random() < 0.5 else rng.randint(0, 3000),
            "flight_life": None if rng.random() < 0.5 else "up to 210 days",
            "wiki_link": f"https://wiki.example.org/{name.replace(' ', '_')}",
            "info_link": "" if rng.random() < 0.5 else f"https://info.example.org/{number}",
            **self._stats(),
            "fastest_turnaround": _duration(rng),
        }

    # the spacecraft

    def spacecraft(self, number):
        """Spacecraft ``number`` in LL2's detailed form."""
        rng = self.rng
        config = self.configs[(number * 7919) % len(self.configs)]
        name = f"{config['name'].split()[0]} {number} {rng.choice(WORDS)}"
        facts = {
            "id": number,
            "name": name,
            "serial_number": None if rng.random() < 0.3 else f"SN-{number:06d}",
            "is_placeholder": rng.random() < 0.05,
            "image": None if rng.random() < 0.1 else self.image(name),
            "in_space": rng.random() < 0.1,
            "time_in_space": _duration(rng),
            "time_docked": _duration(rng),
            "flights_count": None if rng.random() < 0.05 else rng.randint(0, 30),
            "mission_ends_count": None if rng.random() < 0.05 else rng.randint(0, 30),
            "status": rng.choice(self.statuses),
            "description": _text(rng, rng.randint(5, 40), odd=True),
            "spacecraft_config": config,
            "fastest_turnaround": _duration(rng),
        }
        facts["flights"] = self.flights()
        return ll2shape.spacecraft_detailed(facts, BASE)

    # flights

    def flights(self):
        """One spacecraft's flights' facts, by launch date."""
        rng = self.flight_rng
        draw = rng.random()
        count = rng.randint(20, 40) if draw < 0.02 else 0 if draw < 0.1 else 1
        launches, new = [], []
        for _ in range(count):
            if self.shareable and rng.random() < 0.05:  # its second (and last) flight
                launches.append(self.shareable.pop(rng.randrange(len(self.shareable))))
            else:
                launches.append(self._launch())
                new.append(launches[-1])
        self.shareable = new
        flights = []
        for launch in sorted(launches, key=lambda launch: launch["net"]):
            flights.append(self._flight(launch))
        return flights

    def _launch(self):
        rng = self.flight_rng
        number = self.next_launch
        self.next_launch += 1
        sample = self.samples[rng.randrange(len(self.samples))]
        net = FIRST_LAUNCH + datetime.timedelta(hours=number * 9, seconds=rng.randint(0, 3600))
        return ll2shape.launch_normal(
            sample,
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            f"{sample['name'].split(' |')[0]} | Flight {number}",
            net.strftime("%Y-%m-%dT%H:%M:%SZ"),
        )

    def _flight(self, launch):
        rng = self.flight_rng
        number = self.next_flight
        self.next_flight += 1
        mission_end = duration = None
        if rng.random() < 0.85:
            seconds = rng.choice([rng.randint(600, 90_000), rng.randint(90_000, 20_000_000)])
            net = datetime.datetime.fromisoformat(launch["net"])
            mission_end = (net + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
            duration = isodate.duration_isoformat(datetime.timedelta(seconds=seconds))
        landing = None
        if rng.random() < 0.6:
            landing = {
                "id": self.next_landing,
                "attempt": True,
                "success": rng.choice([True, True, True, False, None]),
                "description": _text(rng, rng.randint(3, 12)),
                "downrange_distance": None if rng.random() < 0.7 else round(rng.uniform(1, 900), 1),
                "landing_location": rng.choice(self.landing_locations),
                "type": rng.choice(LANDING_TYPES),
            }
            self.next_landing += 1
        return {
            "id": number,
            "destination": rng.choice(DESTINATIONS),
            "mission_end": mission_end,
            "launch": launch,
            "landing": landing,
            "duration": duration,
            "turn_around_time": _duration(rng),
        }

    def _landing_location(self, number):
        rng = self.flight_rng
        landed = rng.randint(0, 120)
        failed = rng.randint(0, 3)
        return {
            "id": number,
            "name": f"Landing zone {number}",
            "active": rng.random() < 0.8,
            "abbrev": f"LZ-{number}",
            "description": "" if rng.random() < 0.5 else _text(rng, 10),
            "location": self.samples[number % len(self.samples)]["pad"]["location"],
            "longitude": round(rng.uniform(-180, 180), 4),
            "latitude": round(rng.uniform(-90, 90), 4),
            "image": None,
            "successful_landings": landed,
            "attempted_landings": landed + failed,
            "failed_landings": failed,
        }


def _id(item):
    return item["id"]


def records(count, seed=2300):
    """The ``count`` spacecraft records, detailed, in id order."""
    catalogue = Catalogue(count, seed)
    return [catalogue.spacecraft(number) for number in range(1, count + 1)]


def write_pages(directory, count, seed=2300):
    """Write ``count`` spacecraft as detailed LL2 pages; the list of paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    catalogue = Catalogue(count, seed)
    paths = []
    for start in range(0, count, PAGE_SIZE):
        numbers = range(start + 1, min(count, start + PAGE_SIZE) + 1)
        offset = start
        page = {
            "count": count,
            "next": None
            if start + PAGE_SIZE >= count
            else f"{BASE}/spacecraft/?limit={PAGE_SIZE}&mode=detailed&offset={offset + PAGE_SIZE}",
            "previous": None,
            "results": [catalogue.spacecraft(number) for number in numbers],
        }
        path = directory / f"page-{start // PAGE_SIZE + 1:05d}.json"
        path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths
