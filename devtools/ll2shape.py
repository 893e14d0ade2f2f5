"""LL2 2.3.0's shape, stated once: the one builder of LL2-shaped test data.

Every LL2-shaped record the tests, the fake LL2 server (``devtools/fake_ll2.py``)
and the benchmark's dataset (``bench/dataset.py``) make is built here, from
plain *facts*: one dict per object (an agency, a family, a configuration, a
spacecraft) holding its own values and the facts of the objects it refers to.
Each function below renders one of LL2's representations of an object: its
keys, their order and the form each nested object takes, as LL2's official
schema (``fixtures/ll2/schema/``) declares them. The data sets differ only in
their facts.

This is deliberately an independent statement of LL2, written after LL2's
schema and never derived from our serializers: the tests compare our output
with it, so it must not share our mistakes. ``tests/test_ll2shape.py`` checks
every representation against the schema, key order included.

Facts are plain dicts with these keys (more keys are ignored, so a data set
can keep other facts of its own beside them):

- image: ``id name image_url thumbnail_url credit license single_use variants``
  (already in LL2's ``Image`` form: use ``image()``);
- agency: ``id name abbrev type`` and ``AGENCY_NORMAL`` (``country``: Country dicts);
  its detailed form also ``AGENCY_STATISTICS``, ``info_url``, ``wiki_url`` and
  ``spacecraft_list`` (configuration facts);
- family: ``id name description manufacturer`` (agency facts or None),
  ``parent`` (family facts or None), ``maiden_flight`` and ``STATISTICS``;
- configuration: ``id name type agency family`` (a list of family facts),
  ``CONFIG_DETAILED`` and ``STATISTICS`` and ``fastest_turnaround``;
- spacecraft: ``id`` and ``SPACECRAFT`` (``spacecraft_config``: configuration facts);
- flight: ``id destination mission_end duration turn_around_time``, ``launch`` (a
  ``LaunchNormal`` document: ``sample_launches()``, ``launch_normal()``, ``launch_from()``)
  and ``landing`` (landing facts, ``splashdown()``, or None);
- landing: ``id`` and ``LANDING``, ``type``, ``landing_location`` (see ``landing()``).

``base`` is the API root the ``url`` links point below
(``https://ll.thespacedevs.com/2.3.0`` unless said otherwise), for the objects
whose facts have no ``url`` of their own.
"""

import copy
import json
import re
import uuid
from pathlib import Path

LL2_BASE = "https://ll.thespacedevs.com/2.3.0"
# Real LL2 2.3.0 LaunchNormal records, as LL2 sent them: the launches of every data set.
SAMPLE_LAUNCHES = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "ll2"
    / "samples"
    / "launches-normal-2.3.0.json"
)

AGENCY_NORMAL = (
    "featured",
    "country",
    "description",
    "administrator",
    "founding_year",
    "launchers",
    "spacecraft",
    "parent",
    "image",
    "logo",
    "social_logo",
)
# An agency's launch and landing statistics (``AgencyDetailed``), in LL2's order.
AGENCY_STATISTICS = (
    "total_launch_count",
    "consecutive_successful_launches",
    "successful_launches",
    "failed_launches",
    "pending_launches",
    "consecutive_successful_landings",
    "successful_landings",
    "failed_landings",
    "attempted_landings",
    "successful_landings_spacecraft",
    "failed_landings_spacecraft",
    "attempted_landings_spacecraft",
    "successful_landings_payload",
    "failed_landings_payload",
    "attempted_landings_payload",
)
# The launch and landing statistics of families and configurations, in LL2's order.
STATISTICS = (
    "spacecraft_flown",
    "total_launch_count",
    "successful_launches",
    "failed_launches",
    "attempted_landings",
    "successful_landings",
    "failed_landings",
)
CONFIG_DETAILED = (
    "in_use",
    "image",
    "capability",
    "history",
    "details",
    "maiden_flight",
    "height",
    "diameter",
    "human_rated",
    "crew_capacity",
    "payload_capacity",
    "payload_return_capacity",
    "flight_life",
    "wiki_link",
    "info_link",
)
SPACECRAFT = (
    "name",
    "serial_number",
    "is_placeholder",
    "image",
    "in_space",
    "time_in_space",
    "time_docked",
    "flights_count",
    "mission_ends_count",
    "status",
    "description",
)


def _pick(facts, keys):
    return {key: facts[key] for key in keys}


def url(base, endpoint, facts):
    """The object's link: its ``url`` fact when it has one (the seeds' carry
    ``?format=api``, as LL2 keeps the request's format), else made from ``base``."""
    return facts.get("url") or f"{base}/{endpoint}/{facts['id']}/"


# --- small objects ----------------------------------------------------------------------


def image(pk, name, image_url, thumbnail_url, credit, license, single_use, variants=()):
    """LL2's ``Image`` (``license``: ``ImageLicense``; ``variants``: ``ImageVariant`` dicts)."""
    return {
        "id": pk,
        "name": name,
        "image_url": image_url,
        "thumbnail_url": thumbnail_url,
        "credit": credit,
        "license": license,
        "single_use": single_use,
        "variants": list(variants),
    }


def variant(pk, type, image_url):
    """LL2's ``ImageVariant`` (``type``: ``ImageVariantType``, ``{"id", "name"}``)."""
    return {"id": pk, "type": type, "image_url": image_url}


def license(pk, name, priority, link):
    """LL2's ``ImageLicense``."""
    return {"id": pk, "name": name, "priority": priority, "link": link}


def country(pk, name, alpha_2_code, alpha_3_code, nationality_name, nationality_name_composed):
    """LL2's ``Country``."""
    return {
        "id": pk,
        "name": name,
        "alpha_2_code": alpha_2_code,
        "alpha_3_code": alpha_3_code,
        "nationality_name": nationality_name,
        "nationality_name_composed": nationality_name_composed,
    }


# --- agencies -----------------------------------------------------------------------------


def agency_mini(agency, base=LL2_BASE):
    """``AgencyMini``."""
    return {
        "response_mode": "list",
        "id": agency["id"],
        "url": url(base, "agencies", agency),
        **_pick(agency, ("name", "abbrev", "type")),
    }


def agency_normal(agency, base=LL2_BASE):
    """``AgencyNormal``."""
    return {
        **agency_mini(agency, base),
        "response_mode": "normal",
        **_pick(agency, AGENCY_NORMAL),
    }


def agency_detailed(agency, base=LL2_BASE):
    """``AgencyEndpointDetailed`` (``/agencies/{id}/`` and ``mode=detailed``): the
    ``AGENCY_STATISTICS`` facts, ``info_url`` and ``wiki_url``, then
    ``social_media_links`` and ``launcher_list`` (LL2's own dicts, ``[]`` if the
    facts have none) and ``spacecraft_list`` (configuration facts, in detailed form)."""
    return {
        **agency_normal(agency, base),
        "response_mode": "detailed",
        **_pick(agency, AGENCY_STATISTICS),
        **_pick(agency, ("info_url", "wiki_url")),
        "social_media_links": list(agency.get("social_media_links", ())),
        "launcher_list": list(agency.get("launcher_list", ())),
        "spacecraft_list": [
            config_detailed(config, base) for config in agency.get("spacecraft_list", ())
        ],
    }


# --- families -------------------------------------------------------------------------------


def family_mini(family):
    """``SpacecraftConfigFamilyMini``."""
    return {"response_mode": "list", "id": family["id"], "name": family["name"]}


def family_normal(family, base=LL2_BASE):
    """``SpacecraftConfigFamilyNormal``: its manufacturer as AgencyMini, its parent as Mini."""
    manufacturer, parent = family["manufacturer"], family["parent"]
    return {
        "response_mode": "normal",
        "id": family["id"],
        "name": family["name"],
        "description": family["description"],
        "manufacturer": agency_mini(manufacturer, base) if manufacturer else None,
        "parent": family_mini(parent) if parent else None,
        "maiden_flight": family["maiden_flight"],
    }


def family_detailed(family, base=LL2_BASE):
    """``SpacecraftConfigFamilyDetailed`` (LL2's schema gives it response_mode "normal"):
    its manufacturer as AgencyNormal, its parent as FamilyNormal, and the statistics."""
    manufacturer, parent = family["manufacturer"], family["parent"]
    return {
        **family_normal(family, base),
        "manufacturer": agency_normal(manufacturer, base) if manufacturer else None,
        "parent": family_normal(parent, base) if parent else None,
        **_pick(family, STATISTICS),
    }


# --- configurations and spacecraft --------------------------------------------------------


def config_detailed(config, base=LL2_BASE):
    """``SpacecraftConfigDetailed``: agency as AgencyNormal, families as FamilyDetailed."""
    return {
        "response_mode": "detailed",
        "id": config["id"],
        "url": url(base, "spacecraft_configurations", config),
        "name": config["name"],
        "type": config["type"],
        "agency": agency_normal(config["agency"], base),
        "family": [family_detailed(family, base) for family in config["family"]],
        **_pick(config, CONFIG_DETAILED),
        **_pick(config, STATISTICS),
        "fastest_turnaround": config["fastest_turnaround"],
    }


def config_normal(config, base=LL2_BASE):
    """``SpacecraftConfigNormal``: agency as AgencyMini, families as FamilyNormal."""
    return {
        "response_mode": "normal",
        "id": config["id"],
        "url": url(base, "spacecraft_configurations", config),
        "name": config["name"],
        "type": config["type"],
        "agency": agency_mini(config["agency"], base),
        "family": [family_normal(family, base) for family in config["family"]],
        "in_use": config["in_use"],
        "image": config["image"],
    }


def spacecraft_normal(craft, base=LL2_BASE):
    """``SpacecraftNormal`` (a flight's spacecraft)."""
    return {
        "response_mode": "normal",
        "id": craft["id"],
        "url": url(base, "spacecraft", craft),
        **_pick(craft, SPACECRAFT),
        "spacecraft_config": config_normal(craft["spacecraft_config"], base),
        "fastest_turnaround": craft["fastest_turnaround"],
    }


def spacecraft_detailed(craft, base=LL2_BASE):
    """``SpacecraftEndpointDetailed`` (LL2's detail URL and ``mode=detailed``): its
    flights (``flights`` facts, by launch date; none if the facts have no such key)."""
    return {
        "response_mode": "detailed",
        "id": craft["id"],
        "url": url(base, "spacecraft", craft),
        **_pick(craft, SPACECRAFT),
        "spacecraft_config": config_detailed(craft["spacecraft_config"], base),
        "fastest_turnaround": craft["fastest_turnaround"],
        "flights": [flight_normal(flight, craft, base) for flight in craft.get("flights", ())],
    }


# --- flights, launches and landings ---------------------------------------------------------

LANDING = ("attempt", "success", "description", "downrange_distance")
# A landing location's celestial body, in LL2's order (a location's own carries more keys).
CELESTIAL_BODY = (
    "response_mode",
    "id",
    "name",
    "type",
    "diameter",
    "mass",
    "gravity",
    "length_of_day",
    "atmosphere",
    "image",
    "description",
    "wiki_url",
)


def launch_normal(sample, pk, name, net):
    """``LaunchNormal``: a real LL2 launch document (``sample``, as LL2 sent it) made
    another launch: id (a UUID string), url, name, slug and net replaced, in place."""
    document = dict(sample)
    document["id"] = pk
    document["url"] = f"{LL2_BASE}/launches/{pk}/"
    document["name"] = name
    document["slug"] = re.sub("[^a-z0-9]+", "-", name.lower()).strip("-")
    document["net"] = net
    return document


def landing(facts, base=LL2_BASE):
    """``Landing``: ``facts`` hold ``id``, ``LANDING``, ``type`` (LandingType) and
    ``landing_location`` (``id name active abbrev description longitude latitude image``,
    the statistics ``successful/attempted/failed_landings``, ``location``: a real
    launch's pad location as LL2 sent it)."""
    where = facts["landing_location"]
    location = dict(where["location"])
    body = location.pop("celestial_body")
    return {
        "id": facts["id"],
        "url": url(base, "landings", facts),
        **_pick(facts, LANDING),
        "landing_location": {
            **_pick(where, ("id", "name", "active", "abbrev", "description")),
            "location": location,
            **_pick(where, ("longitude", "latitude", "image")),
            **_pick(where, ("successful_landings", "attempted_landings", "failed_landings")),
            "celestial_body": _pick(body, CELESTIAL_BODY),
        },
        "type": facts["type"],
    }


def flight_normal(flight, craft, base=LL2_BASE):
    """``SpacecraftFlightNormal``: ``flight`` facts ``id destination mission_end duration
    turn_around_time``, ``launch`` (a LaunchNormal document) and ``landing`` (landing
    facts or None); ``craft`` the spacecraft's facts. ``response_mode`` comes last."""
    return flight_around(flight, spacecraft_normal(craft, base), base)


def flight_around(flight, spacecraft, base=LL2_BASE):
    """``SpacecraftFlightNormal`` around ``spacecraft``, a ``SpacecraftNormal`` record as
    it is (one LL2 sent, say); ``flight`` facts as for ``flight_normal``."""
    return {
        "id": flight["id"],
        "url": url(base, "spacecraft_flights", flight),
        "destination": flight["destination"],
        "mission_end": flight["mission_end"],
        "spacecraft": spacecraft,
        "launch": flight["launch"],
        "landing": landing(flight["landing"], base) if flight["landing"] else None,
        "duration": flight["duration"],
        "turn_around_time": flight["turn_around_time"],
        "response_mode": "normal",
    }


# A detailed flight's lists, in LL2's order, after its response_mode.
FLIGHT_DETAILED = ("launch_crew", "onboard_crew", "landing_crew", "docking_events")


def flight_detailed(normal, spacecraft, **lists):
    """``SpacecraftFlightDetailed``: ``normal`` (a ``SpacecraftFlightNormal`` record) with
    ``spacecraft`` (its ``SpacecraftDetailed`` form, without flights) and ``lists``
    (``FLIGHT_DETAILED``: ``AstronautFlight`` and ``DockingEventForChaserNormal`` lists; empty
    when not given)."""
    unknown = set(lists) - set(FLIGHT_DETAILED)
    assert not unknown, f"not a detailed flight's list: {sorted(unknown)}"
    return {
        **normal,
        "spacecraft": spacecraft,
        "response_mode": "detailed",
        **{key: list(lists.get(key, ())) for key in FLIGHT_DETAILED},
    }


# --- real launches, and a landing and a crew member beside them -----------------------------


def sample_launches():
    """The three real LL2 2.3.0 ``LaunchNormal`` records of fixtures/ll2/samples/ (a fresh
    copy at each call)."""
    return json.loads(SAMPLE_LAUNCHES.read_text("utf-8"))


def launch_from(sample, number=None, **changes):
    """``LaunchNormal``: a copy of ``sample`` (a real launch) with ``changes`` to its keys;
    ``number=N`` gives it the id ``UUID(int=N)`` and its url (another launch from the
    same sample)."""
    document = copy.deepcopy(sample)
    if number is not None:
        document["id"] = str(uuid.UUID(int=number))
        document["url"] = f"{LL2_BASE}/launches/{document['id']}/"
    document.update(changes)
    return document


def splashdown(pk, location):
    """The facts of landing ``pk`` (``landing()`` renders them): a splashdown in the
    Atlantic, its location ``location`` (a real launch's pad location, as LL2 sent it:
    the Earth, 5.972168e+24 kg, and all)."""
    return {
        "id": pk,
        "attempt": True,
        "success": True,
        "description": "Splashdown off the coast of Florida.",
        "downrange_distance": None,
        "landing_location": {
            "id": 7,
            "name": "Atlantic Ocean",
            "active": True,
            "abbrev": "ATL",
            "description": "",
            "location": location,
            "longitude": -75.5,
            "latitude": 29.0,
            "image": None,
            "successful_landings": 119,
            "attempted_landings": 120,
            "failed_landings": 1,
        },
        "type": {"id": 4, "name": "Splashdown", "abbrev": "SD", "description": "Ocean landing."},
    }


def landing_document(pk=1, **changes):
    """``Landing``: the ``splashdown()`` of the first sample launch's pad, with ``changes``
    to its keys."""
    document = landing(splashdown(pk, sample_launches()[0]["pad"]["location"]))
    document.update(changes)
    return document


def astronaut_flight(pk=1):
    """``AstronautFlight`` (one crew member of a detailed flight), its agency and
    nationality the first sample launch's provider and pad country."""
    sample = sample_launches()[0]
    return {
        "id": pk,
        "role": {"id": 1, "role": "Commander", "priority": 0},
        "astronaut": {
            "id": 100 + pk,
            "url": f"{LL2_BASE}/astronauts/{100 + pk}/",
            "name": f"Astronaut {pk}",
            "status": {"id": 1, "name": "Active"},
            "agency": _pick(
                sample["launch_service_provider"],
                ("response_mode", "id", "url", "name", "abbrev", "type"),
            ),
            "image": None,
            "response_mode": "list",
            "type": {"id": 2, "name": "Government"},
            "in_space": False,
            "time_in_space": "P178DT2H",
            "eva_time": "PT21H5M",
            "age": 58,
            "date_of_birth": "1965-09-19",
            "date_of_death": None,
            "nationality": [sample["pad"]["country"]],
            "bio": "Test pilot and astronaut.",
            "wiki": None,
            "last_flight": "2024-06-05T14:52:15Z",
            "first_flight": "2006-12-10T01:47:35Z",
            "social_media_links": [],
        },
    }


# --- pages ------------------------------------------------------------------------------------


def page(records, **fields):
    """An LL2 list page holding ``records``; ``fields`` override count/next/previous."""
    records = list(records)
    return {"count": len(records), "next": None, "previous": None, "results": records, **fields}
