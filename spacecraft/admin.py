"""The admin site (``/admin/``) for entering and correcting catalogue data.

Every model is registered. Foreign keys and many-to-manys are autocomplete
boxes (so every related admin has ``search_fields``), list pages fetch their
related rows in the same query (``list_select_related``), and durations are
typed and shown as ISO 8601, the way the API writes them.

Records saved here are read by the API on its next request: every save,
delete and many-to-many change gives the catalogue a new version stamp
(``spacecraft/storage/stamp.py``), so no cached answer from before it is served.
New records take the next free id, which stays clear of imported LL2 ids
because the importer resets the id sequences after each import.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models as db_models
from django.template.response import TemplateResponse
from django.utils import timezone

from spacecraft import documents, figures, models
from spacecraft.fields import format_duration
from spacecraft.forms import DocumentModelForm, FlightForm, ISODurationField

FORMFIELD_OVERRIDES = {
    db_models.DurationField: {"form_class": ISODurationField},
    # A flight's duration may be negative (a mission end before the launch).
    models.SignedDurationField: {"form_class": ISODurationField, "signed": True},
    # A link typed without a scheme is taken as https:// (Django 6's default).
    db_models.URLField: {"assume_scheme": "https"},
}


# Text columns at least this long are typed in a text area, not a one-line box.
LONG_TEXT = 1000


def long_text_widget(db_field, kwargs):
    if isinstance(db_field, db_models.CharField) and (db_field.max_length or 0) >= LONG_TEXT:
        kwargs.setdefault("widget", AdminTextareaWidget(attrs={"rows": 4}))
    return kwargs


class CatalogueAdmin(admin.ModelAdmin):
    """Defaults shared by every catalogue admin."""

    ordering = ["id"]
    list_per_page = 50
    # A filtered or searched list counts only its own rows, not the whole table again
    # (a second COUNT over 100,000 spacecraft on every search).
    show_full_result_count = False
    formfield_overrides = FORMFIELD_OVERRIDES

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        return super().formfield_for_dbfield(
            db_field, request, **long_text_widget(db_field, kwargs)
        )


def iso_duration_column(field_name, description):
    """A list column showing a duration as ISO 8601, sortable by the duration."""

    @admin.display(description=description, ordering=field_name, empty_value="-")
    def column(obj):
        return format_duration(getattr(obj, field_name))

    column.__name__ = f"{field_name}_iso"
    return column


# --- small lookups -------------------------------------------------------------


class NamedLookupAdmin(CatalogueAdmin):
    list_display = ["id", "name"]
    list_display_links = ["id", "name"]
    search_fields = ["name"]


for lookup in (
    models.ImageVariantType,
    models.AgencyType,
    models.SpacecraftConfigType,
    models.SpacecraftStatus,
):
    admin.site.register(lookup, NamedLookupAdmin)


# --- images ----------------------------------------------------------------------


@admin.register(models.ImageLicense)
class ImageLicenseAdmin(CatalogueAdmin):
    list_display = ["id", "name", "priority", "link"]
    list_display_links = ["id", "name"]
    list_filter = ["priority"]
    search_fields = ["name", "link"]


class ImageVariantInline(admin.TabularInline):
    model = models.ImageVariant
    extra = 0
    fields = ["type", "image_url"]
    autocomplete_fields = ["type"]
    ordering = ["id"]
    formfield_overrides = FORMFIELD_OVERRIDES


@admin.register(models.Image)
class ImageAdmin(CatalogueAdmin):
    list_display = ["id", "name", "license", "credit", "single_use", "image_url"]
    list_display_links = ["id", "name"]
    list_filter = ["single_use", "license"]
    list_select_related = ["license"]
    search_fields = ["name", "credit", "image_url"]
    autocomplete_fields = ["license"]
    inlines = [ImageVariantInline]


@admin.register(models.ImageVariant)
class ImageVariantAdmin(CatalogueAdmin):
    list_display = ["id", "image", "type", "image_url"]
    list_display_links = ["id"]
    list_filter = ["type"]
    list_select_related = ["image", "type"]
    search_fields = ["image__name", "image_url"]
    autocomplete_fields = ["image", "type"]


# --- countries and agencies ---------------------------------------------------------


@admin.register(models.Country)
class CountryAdmin(CatalogueAdmin):
    list_display = ["id", "name", "alpha_2_code", "alpha_3_code", "nationality_name"]
    list_display_links = ["id", "name"]
    search_fields = ["name", "alpha_2_code", "alpha_3_code", "nationality_name"]


@admin.register(models.Agency)
class AgencyAdmin(CatalogueAdmin):
    list_display = ["id", "name", "abbrev", "type", "featured", "founding_year", "parent"]
    list_display_links = ["id", "name"]
    list_filter = ["type", "featured"]
    list_select_related = ["type"]
    search_fields = ["name", "abbrev"]
    autocomplete_fields = ["type", "countries", "image", "logo", "social_logo"]
    # The agency's own fields in model order, then LL2's statistics (what an
    # /agencies/ import brings) in a section of their own, folded.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    field.name
                    for field in models.Agency._meta.get_fields()
                    if field.concrete
                    and field.editable
                    and not field.primary_key
                    and field.name not in models.AGENCY_STATS
                ]
            },
        ),
        (
            "Launch and landing statistics",
            {"fields": models.AGENCY_STATS, "classes": ["collapse"]},
        ),
    ]


# --- configurations -------------------------------------------------------------------

LAUNCH_STATS = tuple(models.LAUNCH_STATS)


@admin.register(models.SpacecraftConfigFamily)
class SpacecraftConfigFamilyAdmin(CatalogueAdmin):
    list_display = ["id", "name", "manufacturer", "parent", "maiden_flight"]
    list_display_links = ["id", "name"]
    list_filter = [
        ("manufacturer", admin.EmptyFieldListFilter),
        ("parent", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["manufacturer", "parent"]
    search_fields = ["name", "manufacturer__name", "manufacturer__abbrev"]
    autocomplete_fields = ["manufacturer", "parent"]
    fieldsets = [
        (None, {"fields": ["name", "description", "manufacturer", "parent", "maiden_flight"]}),
        ("Launch statistics", {"fields": LAUNCH_STATS}),
    ]


@admin.register(models.SpacecraftConfig)
class SpacecraftConfigAdmin(CatalogueAdmin):
    list_display = [
        "id",
        "name",
        "type",
        "agency",
        "in_use",
        "human_rated",
        "crew_capacity",
        "maiden_flight",
        iso_duration_column("fastest_turnaround", "fastest turnaround"),
    ]
    list_display_links = ["id", "name"]
    list_filter = ["type", "in_use", "human_rated"]
    list_select_related = ["type", "agency"]
    search_fields = ["name", "agency__name", "agency__abbrev"]
    autocomplete_fields = ["type", "agency", "families", "image"]
    fieldsets = [
        (None, {"fields": ["name", "type", "agency", "families", "in_use", "image"]}),
        (
            "Description",
            {"fields": ["capability", "history", "details", "flight_life"]},
        ),
        (
            "Specifications",
            {
                "fields": [
                    "maiden_flight",
                    "height",
                    "diameter",
                    "human_rated",
                    "crew_capacity",
                    "payload_capacity",
                    "payload_return_capacity",
                    "fastest_turnaround",
                ]
            },
        ),
        ("Links", {"fields": ["wiki_link", "info_link"]}),
        ("Launch statistics", {"fields": LAUNCH_STATS}),
    ]


# --- spacecraft ---------------------------------------------------------------------------


# A flight's duration and turn-around time are derived from the mission ends and the
# launch dates (spacecraft/figures.py): shown, in ISO 8601, never typed.
FLIGHT_FIGURES = ["duration_iso", "turn_around_time_iso"]
FLIGHT_FIELDS = ["launch", "destination", "mission_end", "landing", *FLIGHT_FIGURES]


class FlightFigures:
    """The read-only figures of a flight page or inline."""

    readonly_fields = FLIGHT_FIGURES
    duration_iso = staticmethod(iso_duration_column("duration", "duration"))
    turn_around_time_iso = staticmethod(iso_duration_column("turn_around_time", "turn around time"))


class SpacecraftFlightInline(FlightFigures, admin.StackedInline):
    """A spacecraft's flights, by launch date (as the API lists them)."""

    model = models.SpacecraftFlight
    form = FlightForm
    extra = 0
    fields = FLIGHT_FIELDS + ["launch_crew", "onboard_crew", "landing_crew", "docking_events"]
    autocomplete_fields = ["launch", "landing"]
    ordering = models.SpacecraftFlight._meta.ordering
    formfield_overrides = FORMFIELD_OVERRIDES

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("launch", "landing")


@admin.register(models.Spacecraft)
class SpacecraftAdmin(CatalogueAdmin):
    list_display = [
        "id",
        "name",
        "serial_number",
        "status",
        "spacecraft_config",
        "in_space",
        "flights_count",
        "mission_ends_count",
        iso_duration_column("time_in_space", "time in space"),
        iso_duration_column("time_docked", "time docked"),
        iso_duration_column("fastest_turnaround", "fastest turnaround"),
    ]
    list_display_links = ["id", "name"]
    list_filter = ["status", "in_space", "is_placeholder", "spacecraft_config__type"]
    list_select_related = ["status", "spacecraft_config"]
    search_fields = ["name", "serial_number", "spacecraft_config__name"]
    autocomplete_fields = ["status", "spacecraft_config", "image"]
    inlines = [SpacecraftFlightInline]

    def save_related(self, request, form, formsets, change):
        """When flights were added, changed or deleted (or ``in_space`` changed for a
        spacecraft with flights), the figures follow them (``spacecraft/figures.py``);
        otherwise they stay as typed or imported."""
        super().save_related(request, form, formsets, change)
        craft = form.instance
        flights_changed = any(
            formset.new_objects or formset.changed_objects or formset.deleted_objects
            for formset in formsets
            if formset.model is models.SpacecraftFlight
        )
        if flights_changed or ("in_space" in form.changed_data and craft.flights.exists()):
            figures.apply(craft)

    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "serial_number",
                    "status",
                    "spacecraft_config",
                    "image",
                    "description",
                ]
            },
        ),
        (
            "Flight record",
            {
                "fields": [
                    "is_placeholder",
                    "in_space",
                    "flights_count",
                    "mission_ends_count",
                    "time_in_space",
                    "time_docked",
                    "fastest_turnaround",
                ]
            },
        ),
    ]


# --- flights, launches and landings ---------------------------------------------------------


class DocumentAdmin(CatalogueAdmin):
    """A launch or landing: the document LL2 sent, edited as pretty-printed JSON.

    It is checked against LL2's official schema when saved: an error is shown
    under the box and nothing is saved. The id and the copied columns are read
    from the document and shown read-only.
    """

    form = DocumentModelForm

    def get_readonly_fields(self, request, obj=None):
        copied = list(documents.copied_of(self.model))
        return ["id", *copied] if obj is not None else copied


def follow_flights(spacecraft):
    """``figures.apply`` to each of ``spacecraft`` (a queryset), by id."""
    for craft in spacecraft.order_by("id"):
        figures.apply(craft)


@admin.register(models.Launch)
class LaunchAdmin(DocumentAdmin):
    def save_model(self, request, obj, form, change):
        """A launch whose date changed: the figures of the spacecraft that flew on it follow."""
        old_net = models.Launch.objects.filter(pk=obj.pk).values_list("net", flat=True).first()
        super().save_model(request, obj, form, change)
        if change and old_net != obj.net:
            follow_flights(models.Spacecraft.objects.filter(flights__launch=obj).distinct())

    list_display = ["id", "name", "net", "status"]
    list_display_links = ["id", "name"]
    list_filter = ["status"]
    search_fields = ["name", "slug"]


@admin.register(models.Landing)
class LandingAdmin(DocumentAdmin):
    list_display = ["id", "__str__"]
    list_display_links = ["id", "__str__"]
    search_fields = ["document"]


@admin.register(models.SpacecraftFlight)
class SpacecraftFlightAdmin(FlightFigures, CatalogueAdmin):
    form = FlightForm
    list_display = [
        "id",
        "spacecraft",
        "launch",
        "destination",
        "mission_end",
        "landing",
        iso_duration_column("duration", "duration"),
    ]
    list_display_links = ["id"]
    list_select_related = ["spacecraft", "launch", "landing"]
    search_fields = ["spacecraft__name", "launch__name", "destination"]
    autocomplete_fields = ["spacecraft", "launch", "landing"]

    # A flight saved or deleted here: its spacecraft's figures follow (and those of the
    # spacecraft it was moved from).

    def save_model(self, request, obj, form, change):
        moved_from = form.initial.get("spacecraft") if change else None
        super().save_model(request, obj, form, change)
        follow_flights(models.Spacecraft.objects.filter(pk__in={obj.spacecraft_id, moved_from}))

    def delete_model(self, request, obj):
        craft_id = obj.spacecraft_id
        super().delete_model(request, obj)
        follow_flights(models.Spacecraft.objects.filter(pk=craft_id))

    def delete_queryset(self, request, queryset):
        craft_ids = set(queryset.values_list("spacecraft_id", flat=True))
        super().delete_queryset(request, queryset)
        follow_flights(models.Spacecraft.objects.filter(pk__in=craft_ids))

    fields = [
        "spacecraft",
        *FLIGHT_FIELDS,
        "launch_crew",
        "onboard_crew",
        "landing_crew",
        "docking_events",
    ]


# --- import bookkeeping -------------------------------------------------------------------


@admin.register(models.MirrorCheckpoint)
class MirrorCheckpointAdmin(CatalogueAdmin):
    """Where a sync (``import_ll2 --from``) stands: shown, never typed in.

    Deleting a checkpoint makes the next ``--resume`` start from the first page.
    """

    list_display = ["id", "source_url", "pages", "records", "count", "updated_at", "finished_at"]
    list_display_links = ["id", "source_url"]
    list_filter = [("finished_at", admin.EmptyFieldListFilter)]
    search_fields = ["source_url"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.CatalogueVersion)
class CatalogueVersionAdmin(CatalogueAdmin):
    """The stamp that keys cached API answers (``spacecraft/storage/stamp.py``): shown only.

    Every save here, in the importer or anywhere else changes it; it is never
    typed in, and never deleted (answers cached before the first write would
    match again).
    """

    list_display = ["id", "stamp", "changed_at"]
    list_display_links = ["id", "stamp"]
    search_fields = ["stamp"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- API keys -------------------------------------------------------------------------------


@admin.register(models.APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """API keys (``Authorization: Token <key>``), each with an optional rate of its own.

    Adding a key shows it once, on the page that answers the save: only its digest
    is stored, so it cannot be shown again. A key is revoked with the list's action
    (it then gets a 401, and stays listed) or deleted.
    """

    list_display = ["name", "prefix", "rate", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    ordering = ["id"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "rate"]
        return ["name", "rate", "prefix", "created_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["prefix", "created_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.shown_once = obj.new_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        key = getattr(obj, "shown_once", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"API key {obj.name} added",
            "api_key": obj,
            "key": key,
        }
        response = TemplateResponse(request, "admin/spacecraft/apikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{revoked} API key(s) revoked.")
