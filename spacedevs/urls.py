from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_safe
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

READ = ["get", "head"]


@require_safe
def favicon(request):
    """``/favicon.ico``, which every browser asks for: no icon, and no 404 in the console."""
    response = HttpResponse(status=204)
    response["Cache-Control"] = "public, max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    # The OpenAPI document (YAML; ?format=json for JSON) and the docs page,
    # whose Swagger UI files this server serves itself (drf-spectacular-sidecar).
    # Read-only like the API: OPTIONS and the rest are a 405, not a crash of the docs page.
    path("2.3.0/schema/", SpectacularAPIView.as_view(http_method_names=READ), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="schema", http_method_names=READ),
        name="docs",
    ),
    path("2.3.0/", include("spacecraft.api.urls")),
]

# Errors Django answers itself (a crash, a bad Host header, too many query
# parameters) are short JSON bodies, never an HTML page or a traceback.
handler400 = "rest_framework.exceptions.bad_request"
handler500 = "rest_framework.exceptions.server_error"
