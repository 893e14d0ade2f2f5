"""LL2 2.3.0 representations, each declared once.

A detailed serializer extends its normal one and overrides only the fields
that expand. Field order is ``Meta.fields`` order, which is LL2's key order.
The names follow the component names of LL2's official OpenAPI document.
"""

from rest_framework import serializers

from spacecraft import documents, models
from spacecraft.documents import DocumentField
from spacecraft.fields import DetailURLField, ISODurationField, ResponseModeField
from spacecraft.figures import GrowingDurationField

# --- small lookups -----------------------------------------------------------


class IdNameSerializer(serializers.ModelSerializer):
    class Meta:
        fields = ["id", "name"]


class SpacecraftStatusSerializer(IdNameSerializer):
    class Meta(IdNameSerializer.Meta):
        model = models.SpacecraftStatus


class SpacecraftConfigTypeSerializer(IdNameSerializer):
    class Meta(IdNameSerializer.Meta):
        model = models.SpacecraftConfigType


class AgencyTypeSerializer(IdNameSerializer):
    class Meta(IdNameSerializer.Meta):
        model = models.AgencyType


class ImageVariantTypeSerializer(IdNameSerializer):
    class Meta(IdNameSerializer.Meta):
        model = models.ImageVariantType


class CountrySerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Country
        fields = [
            "id",
            "name",
            "alpha_2_code",
            "alpha_3_code",
            "nationality_name",
            "nationality_name_composed",
        ]


# --- images ------------------------------------------------------------------


class ImageLicenseSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.ImageLicense
        fields = ["id", "name", "priority", "link"]


class ImageVariantSerializer(serializers.ModelSerializer):
    type = ImageVariantTypeSerializer()

    class Meta:
        model = models.ImageVariant
        fields = ["id", "type", "image_url"]


class ImageSerializer(serializers.ModelSerializer):
    license = ImageLicenseSerializer()
    variants = ImageVariantSerializer(many=True)

    class Meta:
        model = models.Image
        fields = [
            "id",
            "name",
            "image_url",
            "thumbnail_url",
            "credit",
            "license",
            "single_use",
            "variants",
        ]


# --- agencies ----------------------------------------------------------------


class AgencyMiniSerializer(serializers.ModelSerializer):
    response_mode = ResponseModeField("list")
    url = DetailURLField("agency-detail")
    type = AgencyTypeSerializer()

    class Meta:
        model = models.Agency
        fields = ["response_mode", "id", "url", "name", "abbrev", "type"]


class AgencyNormalSerializer(AgencyMiniSerializer):
    response_mode = ResponseModeField("normal")
    country = CountrySerializer(source="countries", many=True)
    image = ImageSerializer(allow_null=True)
    logo = ImageSerializer(allow_null=True)
    social_logo = ImageSerializer(allow_null=True)

    class Meta(AgencyMiniSerializer.Meta):
        fields = AgencyMiniSerializer.Meta.fields + [
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
        ]


# --- configuration families --------------------------------------------------

LAUNCH_STATS = models.LAUNCH_STATS


class SpacecraftConfigFamilyMiniSerializer(serializers.ModelSerializer):
    response_mode = ResponseModeField("list")

    class Meta:
        model = models.SpacecraftConfigFamily
        fields = ["response_mode", "id", "name"]


class SpacecraftConfigFamilyNormalSerializer(SpacecraftConfigFamilyMiniSerializer):
    response_mode = ResponseModeField("normal")
    manufacturer = AgencyMiniSerializer(allow_null=True)
    parent = SpacecraftConfigFamilyMiniSerializer(allow_null=True)

    class Meta(SpacecraftConfigFamilyMiniSerializer.Meta):
        fields = SpacecraftConfigFamilyMiniSerializer.Meta.fields + [
            "description",
            "manufacturer",
            "parent",
            "maiden_flight",
        ]


class SpacecraftConfigFamilyDetailedSerializer(SpacecraftConfigFamilyNormalSerializer):
    # Nested in a detailed configuration. LL2's schema keeps this one's
    # response_mode at "normal"; only the endpoint's own form says "detailed".
    manufacturer = AgencyNormalSerializer(allow_null=True)
    parent = SpacecraftConfigFamilyNormalSerializer(allow_null=True)

    class Meta(SpacecraftConfigFamilyNormalSerializer.Meta):
        fields = SpacecraftConfigFamilyNormalSerializer.Meta.fields + LAUNCH_STATS


# --- configurations ----------------------------------------------------------


class SpacecraftConfigNormalSerializer(serializers.ModelSerializer):
    response_mode = ResponseModeField("normal")
    url = DetailURLField("spacecraftconfig-detail")
    type = SpacecraftConfigTypeSerializer()
    agency = AgencyMiniSerializer()
    family = SpacecraftConfigFamilyNormalSerializer(source="families", many=True)
    image = ImageSerializer(allow_null=True)

    class Meta:
        model = models.SpacecraftConfig
        fields = [
            "response_mode",
            "id",
            "url",
            "name",
            "type",
            "agency",
            "family",
            "in_use",
            "image",
        ]


class SpacecraftConfigDetailedSerializer(SpacecraftConfigNormalSerializer):
    response_mode = ResponseModeField("detailed")
    agency = AgencyNormalSerializer()
    family = SpacecraftConfigFamilyDetailedSerializer(source="families", many=True)
    fastest_turnaround = ISODurationField()

    class Meta(SpacecraftConfigNormalSerializer.Meta):
        fields = SpacecraftConfigNormalSerializer.Meta.fields + [
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
            *LAUNCH_STATS,
            "fastest_turnaround",
        ]


# --- spacecraft ----------------------------------------------------------------


class SpacecraftNormalSerializer(serializers.ModelSerializer):
    response_mode = ResponseModeField("normal")
    url = DetailURLField("spacecraft-detail")
    image = ImageSerializer(allow_null=True)
    time_in_space = GrowingDurationField()  # grows with the clock in space (figures.py)
    time_docked = ISODurationField()
    status = SpacecraftStatusSerializer()
    spacecraft_config = SpacecraftConfigNormalSerializer()
    fastest_turnaround = ISODurationField()

    class Meta:
        model = models.Spacecraft
        fields = [
            "response_mode",
            "id",
            "url",
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
            "spacecraft_config",
            "fastest_turnaround",
        ]


class SpacecraftDetailedSerializer(SpacecraftNormalSerializer):
    """A spacecraft in detailed form without its flights (inside a detailed flight).

    As for a family nested in a detailed configuration, LL2's schema keeps this
    one's response_mode at "normal"; only the endpoint's own form says "detailed".
    """

    spacecraft_config = SpacecraftConfigDetailedSerializer()


# --- flights ---------------------------------------------------------------------


class SpacecraftFlightNormalSerializer(serializers.ModelSerializer):
    url = DetailURLField("spacecraftflight-detail")
    spacecraft = SpacecraftNormalSerializer()
    # The documents as LL2 sent them (spacecraft/documents.py).
    launch = DocumentField(documents.component_of(models.Launch), source="launch.document")
    landing = DocumentField(
        documents.component_of(models.Landing), source="landing.document", allow_null=True
    )
    duration = ISODurationField()
    turn_around_time = ISODurationField()
    response_mode = ResponseModeField("normal")

    class Meta:
        model = models.SpacecraftFlight
        fields = [
            "id",
            "url",
            "destination",
            "mission_end",
            "spacecraft",
            "launch",
            "landing",
            "duration",
            "turn_around_time",
            "response_mode",
        ]


class SpacecraftFlightDetailedSerializer(SpacecraftFlightNormalSerializer):
    spacecraft = SpacecraftDetailedSerializer()
    response_mode = ResponseModeField("detailed")
    launch_crew = DocumentField("AstronautFlight", many=True)
    onboard_crew = DocumentField("AstronautFlight", many=True)
    landing_crew = DocumentField("AstronautFlight", many=True)
    docking_events = DocumentField("DockingEventForChaserNormal", many=True)

    class Meta(SpacecraftFlightNormalSerializer.Meta):
        fields = SpacecraftFlightNormalSerializer.Meta.fields + [
            "launch_crew",
            "onboard_crew",
            "landing_crew",
            "docking_events",
        ]


class SpacecraftEndpointDetailedSerializer(SpacecraftDetailedSerializer):
    """The spacecraft endpoint's detailed form: with its flights, by launch date."""

    response_mode = ResponseModeField("detailed")
    flights = SpacecraftFlightNormalSerializer(many=True)

    class Meta(SpacecraftDetailedSerializer.Meta):
        fields = SpacecraftDetailedSerializer.Meta.fields + ["flights"]


# --- the related endpoints' own detailed forms -----------------------------------


class SpacecraftConfigFamilyEndpointDetailedSerializer(SpacecraftConfigFamilyDetailedSerializer):
    response_mode = ResponseModeField("detailed")
    spacecraft = SpacecraftConfigNormalSerializer(source="configs", many=True)

    class Meta(SpacecraftConfigFamilyDetailedSerializer.Meta):
        fields = SpacecraftConfigFamilyDetailedSerializer.Meta.fields + ["spacecraft"]


class AgencyEndpointDetailedSerializer(AgencyNormalSerializer):
    response_mode = ResponseModeField("detailed")
    social_media_links = serializers.SerializerMethodField()
    launcher_list = serializers.SerializerMethodField()
    # LL2's schema: each of the agency's configurations in detailed form.
    spacecraft_list = SpacecraftConfigDetailedSerializer(source="spacecraft_configs", many=True)

    class Meta(AgencyNormalSerializer.Meta):
        fields = AgencyNormalSerializer.Meta.fields + [
            # LL2's AgencyDetailed adds the statistics, the links and social media.
            *models.AGENCY_STATS,
            "info_url",
            "wiki_url",
            "social_media_links",
            "launcher_list",
            "spacecraft_list",
        ]

    def get_social_media_links(self, obj):
        return []

    def get_launcher_list(self, obj):
        return []
