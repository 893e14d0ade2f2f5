"""A small LL2 catalogue written by hand: three spacecraft in LL2's detailed form.

Its facts are written here, rendered by ``devtools/ll2shape.py``, with nulls and
non-nulls where they matter: a spacecraft without image and one with image
variants, a family with a parent and one without, a parent family without
manufacturer, durations null and set. Its nested lists are listed, and so
stored, in an order that is not id order (families 30 then 12, countries 9
then 4, image variants 92 then 71), so a test can tell id order from insertion
order. ``tests/test_modes.py`` and the tests beside it serve it back.
"""

from devtools import ll2shape

HOST = "ll.thespacedevs.com"
BASE = f"https://{HOST}/2.3.0"

LICENSE_UNKNOWN = {"id": 1, "name": "Unknown", "priority": 9, "link": None}
LICENSE_CC = {
    "id": 4,
    "name": "CC BY 4.0",
    "priority": 1,
    "link": "https://creativecommons.org/licenses/by/4.0/",
}
PLAIN_IMAGE = {
    "id": 650,
    "name": "[AUTO] ATV - image",
    "image_url": "https://images.example.org/atv.jpg",
    "thumbnail_url": "https://images.example.org/atv_thumbnail.jpg",
    "credit": None,
    "license": LICENSE_UNKNOWN,
    "single_use": True,
    "variants": [],
}
IMAGE_WITH_VARIANTS = {
    "id": 700,
    "name": "Space Rider in orbit",
    "image_url": "https://images.example.org/space_rider.jpg",
    "thumbnail_url": "https://images.example.org/space_rider_thumbnail.jpg",
    "credit": "ESA",
    "license": LICENSE_CC,
    "single_use": False,
    # Listed (and so stored) 92 before 71: LL2 lists them by id.
    "variants": [
        {
            "id": 92,
            "type": {"id": 2, "name": "Small"},
            "image_url": "https://images.example.org/space_rider_small.jpg",
        },
        {
            "id": 71,
            "type": {"id": 1, "name": "Thumbnail"},
            "image_url": "https://images.example.org/space_rider_thumb.jpg",
        },
    ],
}
FRANCE = {
    "id": 9,
    "name": "France",
    "alpha_2_code": "FR",
    "alpha_3_code": "FRA",
    "nationality_name": "French",
    "nationality_name_composed": "Franco",
}
GERMANY = {
    "id": 4,
    "name": "Germany",
    "alpha_2_code": "DE",
    "alpha_3_code": "DEU",
    "nationality_name": "German",
    "nationality_name_composed": "Germano",
}
GOVERNMENT = {"id": 1, "name": "Government"}
COMMERCIAL = {"id": 3, "name": "Commercial"}

ESA = {
    "id": 88,
    "name": "European Space Agency",
    "abbrev": "ESA",
    "type": GOVERNMENT,
    "featured": True,
    "country": [FRANCE, GERMANY],  # 9 before 4
    "description": "An intergovernmental organisation dedicated to the exploration of space.",
    "administrator": "Director General: Josef Aschbacher",
    "founding_year": 1975,
    "launchers": "Ariane | Vega",
    "spacecraft": "ATV | Space Rider",
    "parent": None,
    "image": PLAIN_IMAGE,
    "logo": None,
    "social_logo": None,
}
AIRBUS = {
    "id": 121,
    "name": "Airbus Defence and Space",
    "abbrev": "ADS",
    "type": COMMERCIAL,
    "featured": False,
    "country": [FRANCE],
    "description": None,
    "administrator": None,
    "founding_year": None,
    "launchers": "",
    "spacecraft": "",
    "parent": "Airbus",
    "image": None,
    "logo": PLAIN_IMAGE,
    "social_logo": None,
}

NO_STATS = dict.fromkeys(ll2shape.STATISTICS)
ATV_STATS = {
    "spacecraft_flown": 5,
    "total_launch_count": 5,
    "successful_launches": 5,
    "failed_launches": 0,
    "attempted_landings": None,
    "successful_landings": None,
    "failed_landings": None,
}


# Family 10 has no manufacturer; family 30 has family 10 as its parent.
CARGO_VEHICLES = {
    "id": 10,
    "name": "European Cargo Vehicles",
    "description": "",
    "manufacturer": None,
    "parent": None,
    "maiden_flight": None,
}
ATV_FAMILY = {
    "id": 30,
    "name": "ATV",
    "description": "Expendable cargo spacecraft for the International Space Station.",
    "manufacturer": AIRBUS,
    "parent": CARGO_VEHICLES,
    "maiden_flight": "2008-03-09",
}
ESA_VEHICLES = {
    "id": 12,
    "name": "ESA Vehicles",
    "description": "Spacecraft developed for the European Space Agency.",
    "manufacturer": ESA,
    "parent": None,
    "maiden_flight": None,
}


# Facts of the two configurations (``devtools/ll2shape.py`` renders them), families 30 then 12.
ATV_CONFIG = {
    "id": 40,
    "name": "Automated Transfer Vehicle",
    "type": {"id": 3, "name": "Cargo"},
    "agency": ESA,
    "family": [{**ATV_FAMILY, **ATV_STATS}, {**ESA_VEHICLES, **NO_STATS}],
    "in_use": False,
    "image": PLAIN_IMAGE,
    "capability": "Delivers up to 7.7 t of cargo to the ISS and reboosts it.",
    "history": "Five ATVs flew between 2008 and 2015.",
    "details": "",
    "maiden_flight": "2008-03-09",
    "height": 10.3,
    "diameter": 4.5,
    "human_rated": False,
    "crew_capacity": None,
    "payload_capacity": 7667,
    "payload_return_capacity": None,
    "flight_life": "6 months docked",
    "wiki_link": "https://en.wikipedia.org/wiki/Automated_Transfer_Vehicle",
    "info_link": "",
    **ATV_STATS,
    "fastest_turnaround": None,
}
SPACE_RIDER_CONFIG = {
    "id": 25,
    "name": "Space Rider",
    "type": {"id": 1, "name": "Spaceplane"},
    "agency": AIRBUS,
    "family": [{**ESA_VEHICLES, **NO_STATS}],
    "in_use": True,
    "image": None,
    "capability": "",
    "history": "",
    "details": "Reusable uncrewed orbital laboratory.",
    "maiden_flight": None,
    "height": None,
    "diameter": None,
    "human_rated": False,
    "crew_capacity": 0,
    "payload_capacity": 600,
    "payload_return_capacity": 600,
    "flight_life": None,
    "wiki_link": "",
    "info_link": "https://www.esa.int/space_rider",
    **NO_STATS,
    "fastest_turnaround": "P120D",
}
ACTIVE = {"id": 1, "name": "Active"}
DESTROYED = {"id": 4, "name": "Destroyed"}


def spacecraft(pk, name, config, **fields):
    """A spacecraft in LL2's detailed form; the fields not given are null, false or empty."""
    facts = {
        "id": pk,
        "name": name,
        "serial_number": None,
        "is_placeholder": False,
        "image": None,
        "in_space": False,
        "time_in_space": None,
        "time_docked": None,
        "flights_count": None,
        "mission_ends_count": None,
        "status": DESTROYED,
        "description": "",
        "spacecraft_config": config,
        "fastest_turnaround": None,
    }
    return ll2shape.spacecraft_detailed({**facts, **fields}, BASE)


def catalogue_records():
    """Three spacecraft in LL2's detailed form, listed 7, 3, 11."""
    return [
        spacecraft(
            7,
            "Jules Verne",
            ATV_CONFIG,
            serial_number="ATV-001",
            time_in_space="P203DT14H",
            time_docked="P163DT2H",
            flights_count=1,
            mission_ends_count=1,
            description="The first ATV, named after the French author.",
        ),
        spacecraft(
            3,
            "Space Rider 1",
            SPACE_RIDER_CONFIG,
            is_placeholder=True,
            image=IMAGE_WITH_VARIANTS,
            in_space=True,
            status=ACTIVE,
            fastest_turnaround="P1DT1H18M",
        ),
        spacecraft(
            11,
            "Georges Lemaitre",
            ATV_CONFIG,
            serial_number="ATV-005",
            image=PLAIN_IMAGE,
            time_in_space="PT1M49S",
            time_docked="P0D",
            flights_count=1,
            mission_ends_count=0,
        ),
    ]
