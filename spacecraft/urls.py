from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("spacecraft", views.SpacecraftViewSet, basename="spacecraft")
router.register(
    "spacecraft_configurations", views.SpacecraftConfigViewSet, basename="spacecraftconfig"
)
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

urlpatterns = router.urls
