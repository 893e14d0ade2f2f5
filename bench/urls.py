from django.urls import include, path
from rest_framework.renderers import JSONRenderer
from rest_framework.routers import SimpleRouter

from spacecraft.api import views
from spacedevs.urls import urlpatterns as project_urls


class TextbookSpacecraftViewSet(views.SpacecraftViewSet):
    """The spacecraft endpoint without the fast path or the response cache."""

    fast = False
    cache_responses = False
    renderer_classes = [JSONRenderer]


class TextbookSpacecraftFlightViewSet(views.SpacecraftFlightViewSet):
    """The flights endpoint without the fast path or the response cache."""

    fast = False
    cache_responses = False
    renderer_classes = [JSONRenderer]


router = SimpleRouter()
router.register("spacecraft", TextbookSpacecraftViewSet, basename="textbook-spacecraft")
router.register(
    "spacecraft_flights", TextbookSpacecraftFlightViewSet, basename="textbook-spacecraftflight"
)

# Below /2.3.0/ like ours, so the same middleware (the read snapshot) applies to both.
urlpatterns = [path("2.3.0/textbook/", include(router.urls)), *project_urls]
