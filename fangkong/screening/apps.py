from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangkong.screening"
    label = "screening"
    verbose_name = "重点人员排查"

    def ready(self):
        # The gate verdict's key-person fact registers itself on import.
        from django.db.models.signals import post_migrate
        from django.utils.translation import gettext_lazy

        from fangkong.territory.services import register_counter

        from . import importer, verdict  # noqa: F401  (the "assistance" import registers for workers too)
        from .defaults import ensure_default_categories
        from .models import Screening

        post_migrate.connect(ensure_default_categories, sender=self, dispatch_uid="fangkong_default_categories")
        register_counter("key_persons", gettext_lazy("在管重点人员"),
                         lambda user: Screening.objects.visible_to(user).active())
