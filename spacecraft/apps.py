from django.apps import AppConfig


class SpacecraftAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "spacecraft"
    verbose_name = "Spacecraft catalogue"

    def ready(self):
        # Every write to the catalogue gives it a new stamp, so cached
        # responses are never served stale (spacecraft/cache.py).
        from spacecraft.storage import stamp

        stamp.connect_signals()
