from django.urls import path
from rest_framework.routers import APIRootView, DefaultRouter

from spacecraft.api import views


class ReadOnlyAPIRootView(APIRootView):
    """``/2.3.0/``: the list of endpoints, read-only like each of them (``Allow: GET``)."""

    http_method_names = views.LL2ViewSet.http_method_names
    allowed_methods = ["GET"]


class LL2Router(DefaultRouter):
    APIRootView = ReadOnlyAPIRootView


router = LL2Router()
router.register("spacecraft", views.SpacecraftViewSet, basename="spacecraft")
router.register(
    "spacecraft_configurations", views.SpacecraftConfigViewSet, basename="spacecraftconfig"
)
router.register("spacecraft_flights", views.SpacecraftFlightViewSet, basename="spacecraftflight")
router.register("agencies", views.AgencyViewSet, basename="agency")
router.register(
    "spacecraft_configuration_families",
    views.SpacecraftConfigFamilyViewSet,
    basename="spacecraftconfigfamily",
)
router.register(
    "config/spacecraft_statuses", views.SpacecraftStatusViewSet, basename="spacecraftstatus"
)
router.register(
    "config/spacecraft_configuration_types",
    views.SpacecraftConfigTypeViewSet,
    basename="spacecraftconfigtype",
)

urlpatterns = [
    path("api-throttle/", views.APIThrottleView.as_view(), name="api-throttle"),
    *router.urls,
]
