from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "fangkong.testing"
    label = "testing"
    verbose_name = "核酸检测"

    def ready(self):
        # The testing facts register with the health code; the "lab_results" import registers for workers too.
        from . import facts, importer  # noqa: F401
