from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangkong.screening"
    label = "screening"
    verbose_name = "重点人员排查"

    def ready(self):
        # The gate verdict's key-person fact registers itself on import.
        from django.utils.translation import gettext_lazy

        from fangkong.territory.services import register_counter

        from . import importer, verdict  # noqa: F401  (the "assistance" import registers for workers too)
        from .models import Screening

        register_counter("key_persons", gettext_lazy("在管重点人员"),
                         lambda user: Screening.objects.visible_to(user).active())
