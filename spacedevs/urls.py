from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("2.3.0/", include("spacecraft.urls")),
]
