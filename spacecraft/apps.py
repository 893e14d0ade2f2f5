from django.apps import AppConfig


class SpacecraftAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "spacecraft"
    verbose_name = "Spacecraft catalogue"

    def ready(self):
        # Every column of a rendered model has a supported type, or the start
        # stops here with one error naming the model and the field.
        from spacecraft import fieldtypes, shape

        fieldtypes.check_models(shape.forms())

        # Every write to the catalogue gives it a new stamp, so cached
        # responses are never served stale (spacecraft/serving/cache.py).
        from spacecraft.storage import stamp

        stamp.connect_signals()
