from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "fangkong.territory"
    label = "territory"
    verbose_name = "辖区"

    def ready(self):
        from . import importer  # noqa: F401  (registers the "territory" import for workers too)
