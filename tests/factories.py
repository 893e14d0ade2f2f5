"""Deterministic factories for every model of the catalogue.

Each function saves one row and returns it. Every field has a plain default
and every default can be overridden by keyword. Nothing is random: a default
name is the kind plus the number of rows of that kind already in the database
("Spacecraft 3"), so the same test always builds the same data. Shared lookups
(statuses, types, licenses) are fetched by name or created once.

``rich_spacecraft()`` builds a spacecraft with every relation filled in
(images with variants, an agency with countries and images, families with
parents and manufacturers), the worst case for query counts.
``spacecraft_batch()`` saves many spacecraft at once, out of id order, so
that PostgreSQL's physical row order differs from id order.
"""

import datetime
import math

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from devtools import ll2shape
from spacecraft import models
from spacecraft.storage import stamp


def _default_name(model, kind):
    return f"{kind} {model.objects.count() + 1}"


def _lookup(model, name):
    return model.objects.get_or_create(name=name)[0]


# --- small lookups --------------------------------------------------------------


def status(name="Active"):
    return _lookup(models.SpacecraftStatus, name)


def config_type(name="Capsule"):
    return _lookup(models.SpacecraftConfigType, name)


def agency_type(name="Government"):
    return _lookup(models.AgencyType, name)


def variant_type(name="Thumbnail"):
    return _lookup(models.ImageVariantType, name)


def image_license(name="Unknown", **fields):
    fields.setdefault("priority", 9)
    return models.ImageLicense.objects.get_or_create(name=name, defaults=fields)[0]


# --- images and countries ------------------------------------------------------------


def image(variants=0, **fields):
    """An image with ``variants`` variants, of types "Variant 1", "Variant 2"..."""
    name = fields.pop("name", None) or _default_name(models.Image, "Image")
    slug = name.lower().replace(" ", "_")
    fields.setdefault("image_url", f"https://images.example.org/{slug}.jpg")
    fields.setdefault("thumbnail_url", f"https://images.example.org/{slug}_thumbnail.jpg")
    fields.setdefault("license", image_license())
    made = models.Image.objects.create(name=name, **fields)
    for number in range(1, variants + 1):
        image_variant(made, type=variant_type(f"Variant {number}"))
    return made


def image_variant(of_image, **fields):
    number = of_image.variants.count() + 1
    fields.setdefault("type", variant_type())
    fields.setdefault("image_url", f"{of_image.image_url.rsplit('.', 1)[0]}_variant_{number}.jpg")
    return models.ImageVariant.objects.create(image=of_image, **fields)


def country(**fields):
    number = models.Country.objects.count() + 1
    fields.setdefault("name", f"Country {number}")
    fields.setdefault("alpha_2_code", f"{number % 100:02d}")
    fields.setdefault("alpha_3_code", f"C{number % 100:02d}")
    fields.setdefault("nationality_name", f"Nationality {number}")
    fields.setdefault("nationality_name_composed", f"Nationality-{number}")
    return models.Country.objects.create(**fields)


# --- agencies, families, configurations -------------------------------------------


def agency(countries=(), **fields):
    fields.setdefault("name", _default_name(models.Agency, "Agency"))
    fields.setdefault("abbrev", fields["name"][:3].upper())
    fields.setdefault("type", agency_type())
    made = models.Agency.objects.create(**fields)
    made.countries.set(countries)
    return made


def family(**fields):
    fields.setdefault("name", _default_name(models.SpacecraftConfigFamily, "Family"))
    return models.SpacecraftConfigFamily.objects.create(**fields)


def config(families=(), **fields):
    fields.setdefault("name", _default_name(models.SpacecraftConfig, "Config"))
    fields.setdefault("type", config_type())
    if "agency" not in fields:
        fields["agency"] = agency()
    made = models.SpacecraftConfig.objects.create(**fields)
    made.families.set(families)
    return made


# --- spacecraft ----------------------------------------------------------------------


def spacecraft(**fields):
    fields.setdefault("name", _default_name(models.Spacecraft, "Spacecraft"))
    fields.setdefault("status", status())
    if "spacecraft_config" not in fields:
        fields["spacecraft_config"] = config()
    return models.Spacecraft.objects.create(**fields)


def scrambled(count):
    """A fixed permutation of ``range(count)`` far from both id orders."""
    stride = count // 3 + 1
    while math.gcd(stride, count) != 1:
        stride += 1
    return [(index * stride) % count for index in range(count)]


def spacecraft_batch(rows, **common):
    """One spacecraft per dict of fields in ``rows``, with ids in row order.

    The rows get consecutive ids after the highest existing one but are
    inserted in a scrambled order and then updated in yet another, so on
    PostgreSQL their physical order (what a scan or an unstable sort of ties
    yields) is far from id order. ``common`` fields apply to every row. The id
    sequence is reset afterwards so later factories still get free ids, and
    the catalogue stamp is bumped so no cached response survives the batch.
    """
    common.setdefault("status", status())
    if "spacecraft_config" not in common:
        common["spacecraft_config"] = config()
    base = (models.Spacecraft.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    made = []
    for index, fields in enumerate(rows):
        values = {**common, "name": f"Spacecraft {base + index}", **fields}
        made.append(models.Spacecraft(id=base + index, **values))
    order = scrambled(len(made))
    models.Spacecraft.objects.bulk_create([made[index] for index in order])
    for index in reversed(order[::2]):
        craft = made[index]
        craft.description = f"Updated after insert ({index})"
        models.Spacecraft.objects.filter(pk=craft.pk).update(description=craft.description)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [models.Spacecraft]):
            cursor.execute(statement)
    # bulk_create() and update() send no signals: tell the response cache.
    stamp.bump()
    return made


def rich_agency(label, countries=2):
    """An agency with ``countries`` countries and all three images."""
    return agency(
        name=f"{label} Agency",
        countries=[country(name=f"{label} Country {n}") for n in range(1, countries + 1)],
        image=image(name=f"{label} agency image", variants=2),
        logo=image(name=f"{label} agency logo", variants=1),
        social_logo=image(name=f"{label} agency social logo", variants=1),
        description=f"The {label} agency.",
        founding_year=1960,
    )


def rich_spacecraft(label, **fields):
    """A spacecraft with every nested relation filled in.

    The configuration belongs to two families; each has a parent family and a
    manufacturer with countries and images, and the parent has a parent and a
    manufacturer of its own.
    """
    grandparent = family(name=f"{label} grandparent family", manufacturer=rich_agency(f"{label} G"))
    families = []
    for side in ("A", "B"):
        parent = family(
            name=f"{label} parent family {side}",
            manufacturer=rich_agency(f"{label} P{side}"),
            parent=grandparent,
        )
        families.append(
            family(
                name=f"{label} family {side}",
                manufacturer=rich_agency(f"{label} F{side}"),
                parent=parent,
                maiden_flight=datetime.date(1990, 1, 1),
            )
        )
    made_config = config(
        name=f"{label} config",
        agency=rich_agency(f"{label} C"),
        families=families,
        image=image(name=f"{label} config image", variants=2),
        fastest_turnaround=datetime.timedelta(days=30),
    )
    fields.setdefault("name", f"{label} spacecraft")
    fields.setdefault("image", image(name=f"{label} spacecraft image", variants=3))
    fields.setdefault("time_in_space", datetime.timedelta(days=1, hours=1, minutes=18))
    fields.setdefault("time_docked", datetime.timedelta(hours=12))
    fields.setdefault("flights_count", 1)
    fields.setdefault("mission_ends_count", 1)
    return spacecraft(spacecraft_config=made_config, **fields)


# --- bookkeeping -----------------------------------------------------------------------


def mirror_checkpoint(**fields):
    """A sync checkpoint (``import_ll2 --from``), started at a fixed time."""
    number = models.MirrorCheckpoint.objects.count() + 1
    fields.setdefault("source_url", f"https://ll2.example.org/2.3.0/spacecraft/?page={number}")
    fields.setdefault("started_at", datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    return models.MirrorCheckpoint.objects.create(**fields)


# --- flights ------------------------------------------------------------------------


def launch(sample=0, **changes):
    """A launch whose document is real sample ``sample`` with ``changes`` to its keys
    (``devtools.ll2shape.launch_from``: ``number=N`` makes it a distinct launch)."""
    from spacecraft import documents

    document = ll2shape.launch_from(ll2shape.sample_launches()[sample], **changes)
    documents.check(documents.component_of(models.Launch), document)
    return models.Launch.objects.create(
        id=document["id"],
        document=documents.stored_form(document),
        **documents.copied_columns(models.Launch, document),
    )


def landing(pk=1, **changes):
    """A landing whose document is ``devtools.ll2shape.landing_document(pk, **changes)``."""
    from spacecraft import documents

    document = ll2shape.landing_document(pk, **changes)
    documents.check(documents.component_of(models.Landing), document)
    return models.Landing.objects.create(id=pk, document=documents.stored_form(document))


def flight(of_spacecraft, of_launch=None, **fields):
    fields.setdefault("destination", "Low Earth Orbit")
    fields.setdefault("duration", datetime.timedelta(days=5, hours=2))
    return models.SpacecraftFlight.objects.create(
        spacecraft=of_spacecraft, launch=of_launch or launch(), **fields
    )
