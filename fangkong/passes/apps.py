from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class PassesConfig(AppConfig):
    name = "fangkong.passes"
    label = "passes"
    verbose_name = "一区一码"

    def ready(self):
        from fangkong.core.models import EXPORT_KINDS
        from fangkong.territory.services import register_counter

        from . import importer  # noqa: F401  (registers the "places" import for workers too)
        from .models import Place

        EXPORT_KINDS["passages"] = gettext_lazy("出入记录")
        register_counter("places", gettext_lazy("场所"), lambda user: Place.objects.visible_to(user))
