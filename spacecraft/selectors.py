"""Querysets with their joins and their order, one per representation.

Every to-many relation is prefetched with an explicit ``order_by("id")`` so
nested lists come out in the same order on every database. The number of
queries of each queryset is fixed by its representation, never by its rows.
"""

from django.db.models import Prefetch

from . import models


def _path(*parts):
    return "__".join(part for part in parts if part)


class Joins:
    """The ``select_related`` paths and prefetches one representation needs.

    Methods take the path (from the queryset's model) of the object the
    nested representation renders; ``""`` is the model itself.
    """

    def __init__(self):
        self.related = []
        self.prefetches = []

    def apply(self, queryset):
        return queryset.select_related(*self.related).prefetch_related(*self.prefetches)

    def fk(self, path):
        if path:
            self.related.append(path)

    def many(self, path, queryset):
        self.prefetches.append(Prefetch(path, queryset=queryset.order_by("id")))

    def image(self, path):
        self.fk(path)
        self.fk(_path(path, "license"))
        self.many(
            _path(path, "variants"),
            models.ImageVariant.objects.select_related("type"),
        )

    def agency_mini(self, path):
        self.fk(path)
        self.fk(_path(path, "type"))

    def agency_normal(self, path):
        self.agency_mini(path)
        self.many(_path(path, "countries"), models.Country.objects.all())
        for image in ("image", "logo", "social_logo"):
            self.image(_path(path, image))

    def family(self, path, mode):
        """A family in ``list``, ``normal`` or ``detailed`` form."""
        self.fk(path)
        if mode == "list":
            return
        self.fk(_path(path, "parent"))
        if mode == "normal":
            self.agency_mini(_path(path, "manufacturer"))
        else:
            self.agency_normal(_path(path, "manufacturer"))
            self.agency_mini(_path(path, "parent", "manufacturer"))
            self.fk(_path(path, "parent", "parent"))

    def families(self, path, mode):
        """The many-to-many ``path`` to families, each in ``mode`` form."""
        inner = Joins()
        inner.family("", mode)
        queryset = models.SpacecraftConfigFamily.objects.select_related(*inner.related)
        self.many(path, queryset)
        self.prefetches.extend(
            Prefetch(_path(path, p.prefetch_through), queryset=p.queryset) for p in inner.prefetches
        )

    def config(self, path, detailed):
        self.fk(path)
        self.fk(_path(path, "type"))
        self.image(_path(path, "image"))
        if detailed:
            self.agency_normal(_path(path, "agency"))
            self.families(_path(path, "families"), "detailed")
        else:
            self.agency_mini(_path(path, "agency"))
            self.families(_path(path, "families"), "normal")


def _configs_normal():
    joins = Joins()
    joins.config("", detailed=False)
    return joins.apply(models.SpacecraftConfig.objects.all())


def _spacecraft_joins(joins, path, detailed):
    joins.fk(path)
    joins.fk(_path(path, "status"))
    joins.image(_path(path, "image"))
    joins.config(_path(path, "spacecraft_config"), detailed)


# A spacecraft's flights, and the flights endpoint, in the model's order:
# by launch date, then id.
FLIGHT_ORDER = list(models.SpacecraftFlight._meta.ordering)


def flight_queryset(mode="normal"):
    joins = Joins()
    _spacecraft_joins(joins, "spacecraft", detailed=mode == "detailed")
    joins.fk("launch")
    joins.fk("landing")
    return joins.apply(models.SpacecraftFlight.objects.all()).order_by(*FLIGHT_ORDER)


def spacecraft_queryset(detailed=False):
    joins = Joins()
    _spacecraft_joins(joins, "", detailed)
    if detailed:
        joins.prefetches.append(Prefetch("flights", queryset=flight_queryset("normal")))
    return joins.apply(models.Spacecraft.objects.all()).order_by("id")


def config_queryset(detailed=False):
    joins = Joins()
    joins.config("", detailed)
    return joins.apply(models.SpacecraftConfig.objects.all()).order_by("id")


def agency_queryset(mode="normal"):
    joins = Joins()
    if mode == "list":
        joins.agency_mini("")
    else:
        joins.agency_normal("")
    if mode == "detailed":
        joins.many("spacecraft_configs", config_queryset(detailed=True))
    return joins.apply(models.Agency.objects.all()).order_by("id")


def family_queryset(mode="normal"):
    joins = Joins()
    joins.family("", mode)
    if mode == "detailed":
        joins.many("configs", _configs_normal())
    return joins.apply(models.SpacecraftConfigFamily.objects.all()).order_by("id")
