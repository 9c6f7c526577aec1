from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "fangkong.people"
    label = "people"
    verbose_name = "人员"

    def ready(self):
        from django.utils.translation import gettext_lazy

        from fangkong.territory.services import register_counter

        from . import exports, importer  # noqa: F401  (register the person export and the "ledger" import)
        from .models import Person

        # Visitors are nobody's residents: the tree counts the ledger only.
        register_counter("persons", gettext_lazy("人数"), lambda user: Person.objects.visible_to(user).in_ledger())
