from django.apps import AppConfig


class EnterprisesConfig(AppConfig):
    name = "fangkong.enterprises"
    label = "enterprises"
    verbose_name = "企业复工复产"

    def ready(self):
        from . import facts, importer  # noqa: F401  (the gate facts and the imports register)
