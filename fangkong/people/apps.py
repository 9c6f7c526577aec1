from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "fangkong.people"
    label = "people"
    verbose_name = "人员"

    def ready(self):
        from django.utils.translation import gettext_lazy

        from fangkong.core.models import EXPORT_KINDS
        from fangkong.territory.services import register_counter

        from .models import Person

        EXPORT_KINDS["persons"] = gettext_lazy("人员")
        from . import importer  # noqa: F401  (registers the "ledger" import for workers too)
        # Visitors are nobody's residents: the tree counts the ledger only.
        register_counter("persons", gettext_lazy("人数"), lambda user: Person.objects.visible_to(user).in_ledger())
