"""The spacecraft catalogue, shaped after LL2 2.3.0.

Primary keys are LL2's own ids, so imported records keep their LL2 ids and
URLs; records entered through the admin take the next free id. Lengths and
nullability follow LL2's official OpenAPI schema. Durations are stored as
durations so that ordering by them is numeric, never lexical.
"""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from spacecraft import rates

NON_NEGATIVE = [MinValueValidator(0)]


def count_field(**kwargs):
    """A nullable, non-negative counter such as ``flights_count``."""
    return models.IntegerField(null=True, blank=True, validators=NON_NEGATIVE, **kwargs)


class NamedLookup(models.Model):
    """A small id/name table (statuses, types)."""

    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=255)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return self.name


class ImageLicense(models.Model):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=255)
    priority = models.IntegerField(default=9)
    link = models.URLField(max_length=200, null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class ImageVariantType(NamedLookup):
    pass


class Image(models.Model):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=255)
    image_url = models.URLField(max_length=1024)
    thumbnail_url = models.URLField(max_length=1024)
    credit = models.CharField(max_length=255, null=True, blank=True)
    license = models.ForeignKey(ImageLicense, on_delete=models.PROTECT, related_name="images")
    single_use = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class ImageVariant(models.Model):
    id = models.AutoField(primary_key=True)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="variants")
    type = models.ForeignKey(ImageVariantType, on_delete=models.PROTECT, related_name="variants")
    image_url = models.URLField(max_length=1024)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.type} of {self.image}"


class Country(models.Model):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=255)
    alpha_2_code = models.CharField("ISO 3166-1 alpha-2", max_length=2, blank=True)
    alpha_3_code = models.CharField("ISO 3166-1 alpha-3", max_length=3, blank=True)
    nationality_name = models.CharField(max_length=255, blank=True)
    nationality_name_composed = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "countries"

    def __str__(self):
        return self.name


class AgencyType(NamedLookup):
    pass


class AgencyStats(models.Model):
    """An agency's launch and landing tallies, as LL2's ``/2.3.0/agencies/`` pages send
    them (a spacecraft record's nested agency never carries them)."""

    total_launch_count = count_field()
    consecutive_successful_launches = count_field()
    successful_launches = count_field()
    failed_launches = count_field()
    pending_launches = count_field()
    consecutive_successful_landings = count_field()
    successful_landings = count_field()
    failed_landings = count_field()
    attempted_landings = count_field()
    successful_landings_spacecraft = count_field()
    failed_landings_spacecraft = count_field()
    attempted_landings_spacecraft = count_field()
    successful_landings_payload = count_field()
    failed_landings_payload = count_field()
    attempted_landings_payload = count_field()

    class Meta:
        abstract = True


# Their names, in LL2's key order, for the serializers, the admin and the filters.
AGENCY_STATS = [field.name for field in AgencyStats._meta.local_fields]


class Agency(AgencyStats):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=200, db_index=True)
    abbrev = models.CharField(max_length=255, blank=True)
    type = models.ForeignKey(AgencyType, on_delete=models.PROTECT, related_name="agencies")
    featured = models.BooleanField(default=False)
    countries = models.ManyToManyField(Country, blank=True, related_name="agencies")
    description = models.CharField(max_length=2048, null=True, blank=True)
    administrator = models.CharField(max_length=200, null=True, blank=True)
    founding_year = models.IntegerField(null=True, blank=True)
    launchers = models.CharField(max_length=500, blank=True)
    spacecraft = models.CharField(max_length=500, blank=True)
    # LL2 sends the parent agency as its name (a string), not as an object.
    parent = models.CharField(max_length=200, null=True, blank=True)
    image = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    logo = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    social_logo = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    info_url = models.URLField(max_length=200, null=True, blank=True)
    wiki_url = models.URLField(max_length=200, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "agencies"

    def __str__(self):
        return self.name


class LaunchStats(models.Model):
    """Flight and landing tallies shared by configurations and families."""

    spacecraft_flown = count_field()
    total_launch_count = count_field()
    successful_launches = count_field()
    failed_launches = count_field()
    attempted_landings = count_field()
    successful_landings = count_field()
    failed_landings = count_field()

    class Meta:
        abstract = True


# Their names, in LL2's key order, for the serializers, the admin and the importer.
LAUNCH_STATS = [field.name for field in LaunchStats._meta.local_fields]


class SpacecraftConfigFamily(LaunchStats):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=200, db_index=True)
    description = models.CharField(max_length=2048, blank=True)
    manufacturer = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="families"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    maiden_flight = models.DateField("maiden flight date", null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "spacecraft configuration family"
        verbose_name_plural = "spacecraft configuration families"

    def __str__(self):
        return self.name


class SpacecraftConfigType(NamedLookup):
    class Meta(NamedLookup.Meta):
        verbose_name = "spacecraft configuration type"


class SpacecraftConfig(LaunchStats):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=200, db_index=True)
    type = models.ForeignKey(SpacecraftConfigType, on_delete=models.PROTECT, related_name="configs")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="spacecraft_configs")
    families = models.ManyToManyField(SpacecraftConfigFamily, blank=True, related_name="configs")
    in_use = models.BooleanField(default=False)
    image = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    capability = models.CharField(max_length=2048, blank=True)
    history = models.CharField(max_length=1000, blank=True)
    details = models.CharField(max_length=1000, blank=True)
    maiden_flight = models.DateField(null=True, blank=True)
    height = models.FloatField("length (m)", null=True, blank=True, validators=NON_NEGATIVE)
    diameter = models.FloatField("diameter (m)", null=True, blank=True, validators=NON_NEGATIVE)
    human_rated = models.BooleanField(default=False)
    crew_capacity = count_field()
    payload_capacity = count_field(verbose_name="payload capacity (kg)")
    payload_return_capacity = count_field(verbose_name="payload return capacity (kg)")
    flight_life = models.CharField(max_length=2048, null=True, blank=True)
    wiki_link = models.URLField(max_length=200, blank=True)
    info_link = models.URLField(max_length=200, blank=True)
    fastest_turnaround = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "spacecraft configuration"

    def __str__(self):
        return self.name


class SpacecraftStatus(NamedLookup):
    class Meta(NamedLookup.Meta):
        verbose_name_plural = "spacecraft statuses"


class Spacecraft(models.Model):
    id = models.AutoField(primary_key=True)
    name = models.CharField(max_length=255, db_index=True)
    serial_number = models.CharField(max_length=255, null=True, blank=True)
    is_placeholder = models.BooleanField(default=False)
    image = models.ForeignKey(
        Image, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    in_space = models.BooleanField(default=False)
    time_in_space = models.DurationField(null=True, blank=True)
    # The clock of a growing time_in_space (spacecraft/figures.py): the moment it was
    # true and the value it had then; null when it does not grow.
    time_in_space_base = models.DurationField(null=True, blank=True, editable=False)
    time_in_space_at = models.DateTimeField(null=True, blank=True, editable=False)
    time_docked = models.DurationField(null=True, blank=True)
    flights_count = count_field()
    mission_ends_count = count_field()
    status = models.ForeignKey(
        SpacecraftStatus, on_delete=models.PROTECT, related_name="spacecraft"
    )
    description = models.CharField(max_length=2048, blank=True)
    spacecraft_config = models.ForeignKey(
        SpacecraftConfig, on_delete=models.PROTECT, related_name="spacecraft"
    )
    fastest_turnaround = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "spacecraft"
        indexes = [
            models.Index(fields=["flights_count", "id"]),
            models.Index(fields=["mission_ends_count", "id"]),
            models.Index(fields=["time_docked", "id"]),
            models.Index(fields=["time_in_space", "id"]),
        ]

    def __str__(self):
        return self.name


class MirrorCheckpoint(models.Model):
    """How far a sync from an LL2-compatible server got (``import_ll2 --from``).

    One row per start URL. It is saved in the same transaction as each stored
    page, so ``next_url`` is always the first page not yet stored (null once
    the sync has finished) and ``--resume`` starts exactly there.
    """

    source_url = models.CharField(max_length=2000, unique=True)
    next_url = models.TextField(null=True, blank=True)
    pages = models.IntegerField(default=0)
    records = models.IntegerField(default=0)
    count = models.IntegerField(null=True, blank=True)  # as the server last reported it
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Unix times of the latest calls to this server, so that a run started
    # right after another one still keeps within the hourly call budget.
    recent_calls = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.source_url


class CatalogueVersion(models.Model):
    """A stamp that changes with every committed write to the catalogue.

    One row (id 1). Every write sets a new random ``stamp`` in the writer's
    own transaction (``spacecraft/storage/stamp.py``), so cached responses keyed by
    the stamp are never served once the write is visible, on any instance.
    Random rather than counted, so a rolled-back write never lets a later one
    reuse its stamp.
    """

    stamp = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "catalogue version"

    def __str__(self):
        return f"catalogue version {self.stamp}"


# --- flights ---------------------------------------------------------------------------
#
# A launch and a landing are kept as the JSON document LL2 sent (``document``),
# validated against LL2's official schema (``LaunchNormal``, ``Landing``) on
# import and in the admin: a relational launch would take about 28 models and
# LL2's launch counters, which a partial mirror cannot recompute. The text is
# DRF's compact encoding, which is LL2's own (so what LL2 sent, byte for byte);
# a text column rather than jsonb, which would reorder keys and rewrite
# numbers. Links in it are stored without ``?format=``; the server adds the
# request's (spacecraft/documents.py).
#
# Each such model says so in its inner class ``LL2``, the one declaration that
# ``spacecraft/documents.py`` reads for the importer, the admin, its forms and the
# serializers: ``component``, the official schema's component the document fits;
# ``copied``, which columns copy which of its keys (a dotted path). The id rule
# follows the primary key's type (a UUID, a positive integer); a copied column's
# conversion follows its field's type (text, a date-time with its zone).


class SignedDurationField(models.DurationField):
    """A duration that may be negative (``-P10948DT2H``): a flight's, as LL2 sends it.

    Other durations (a spacecraft's time in space) are never negative; the
    importer and the admin refuse a negative one there.
    """


class Launch(models.Model):
    # The id, and the columns below it, are read from the document (never typed in).
    id = models.UUIDField(primary_key=True, editable=False)
    document = models.TextField(help_text="The LL2 LaunchNormal record, as LL2 sent it.")
    # Copied from the document, for ordering, search and the admin.
    name = models.CharField(max_length=2048, blank=True, db_index=True, editable=False)
    slug = models.CharField(max_length=2048, blank=True, editable=False)
    net = models.DateTimeField(editable=False)
    status = models.CharField("status", max_length=255, blank=True, editable=False)

    class Meta:
        ordering = ["net", "id"]
        indexes = [models.Index(fields=["net", "id"])]

    class LL2:
        component = "LaunchNormal"
        copied = {"name": "name", "slug": "slug", "net": "net", "status": "status.name"}

    def __str__(self):
        return self.name or str(self.id)


class Landing(models.Model):
    id = models.IntegerField(primary_key=True, editable=False)  # the document's
    document = models.TextField(help_text="The LL2 Landing record, as LL2 sent it.")

    class Meta:
        ordering = ["id"]

    class LL2:
        component = "Landing"
        copied = {}

    def __str__(self):
        return f"landing {self.id}"


class SpacecraftFlight(models.Model):
    id = models.AutoField(primary_key=True)
    spacecraft = models.ForeignKey(Spacecraft, on_delete=models.CASCADE, related_name="flights")
    destination = models.CharField(max_length=255, null=True, blank=True)
    mission_end = models.DateTimeField(null=True, blank=True)
    launch = models.ForeignKey(Launch, on_delete=models.PROTECT, related_name="flights")
    landing = models.ForeignKey(
        Landing, on_delete=models.SET_NULL, null=True, blank=True, related_name="flights"
    )
    # As LL2 sent them (a mission_end before the launch makes a negative duration), or,
    # once the flights change in the admin, derived by LL2's rules (spacecraft/figures.py):
    # never typed in.
    duration = SignedDurationField(null=True, blank=True, editable=False)
    turn_around_time = SignedDurationField(null=True, blank=True, editable=False)
    # Detailed flights only: the lists as LL2 sent them (JSON text), "[]" when unknown.
    launch_crew = models.TextField(default="[]", blank=True)
    onboard_crew = models.TextField(default="[]", blank=True)
    landing_crew = models.TextField(default="[]", blank=True)
    docking_events = models.TextField(default="[]", blank=True)

    class Meta:
        ordering = ["launch__net", "id"]
        verbose_name = "spacecraft flight"

    def __str__(self):
        return f"{self.spacecraft} on {self.launch}"


# --- API keys ------------------------------------------------------------------------------


def validate_rate(value):
    try:
        rates.parse(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class APIKey(models.Model):
    """A key an API client sends as ``Authorization: Token <key>`` for its own rate.

    Only the key's SHA-256 digest is stored: the key itself is shown once, when
    it is made (``APIKey.issue``: the admin's add page, ``manage.py api_key
    create``), and cannot be read back. A key is 40 random hex digits (160 bits,
    as LL2's and DRF's tokens), so a fast hash is enough: nobody can guess one
    from its digest. A revoked key is refused with a 401 from then on, on every
    instance (each request reads the key's row). Not catalogue data: saving a key
    does not change the catalogue stamp (``spacecraft.storage.stamp``).
    """

    KEY_BYTES = 20
    PREFIX_LENGTH = 8

    name = models.CharField(
        max_length=100,
        unique=True,
        help_text="Who uses the key (an app, a person). /2.3.0/api-throttle/ shows it as ident.",
    )
    prefix = models.CharField(
        max_length=PREFIX_LENGTH,
        editable=False,
        help_text="The key's first characters, to tell keys apart; not enough to use it.",
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.CharField(
        max_length=32,
        blank=True,
        default="",
        validators=[validate_rate],
        help_text=(
            "Calls allowed to this key, e.g. 1000/hour or 60/minute. "
            "Blank: the API_THROTTLE_KEY setting (no limit when that is unset too)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "API key"

    def __str__(self):
        return self.name

    @staticmethod
    def digest_of(key):
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    @classmethod
    def issue(cls, name, rate=""):
        """A new saved key and the key itself, which is not stored anywhere: show it once."""
        api_key = cls(name=name, rate=rate)
        key = api_key.new_key()
        api_key.full_clean()
        api_key.save()
        return api_key, key

    def new_key(self):
        """Give this (unsaved) row a new random key, and return the key."""
        key = secrets.token_hex(self.KEY_BYTES)
        self.prefix = key[: self.PREFIX_LENGTH]
        self.digest = self.digest_of(key)
        return key

    @classmethod
    def find(cls, key):
        """The key's row (revoked or not), or None for a key that was never issued."""
        return cls.objects.filter(digest=cls.digest_of(key)).first()

    @property
    def revoked(self):
        return self.revoked_at is not None

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])
