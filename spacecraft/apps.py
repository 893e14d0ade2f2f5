from django.apps import AppConfig


class SpacecraftAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "spacecraft"
    verbose_name = "Spacecraft catalogue"
