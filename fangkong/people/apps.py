from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "fangkong.people"
    label = "people"
    verbose_name = "人员"

    def ready(self):
        from . import exports, importer  # noqa: F401  (register the person export and the "ledger" import)
