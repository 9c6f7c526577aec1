from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "fangkong.testing"
    label = "testing"
    verbose_name = "核酸检测"

    def ready(self):
        from . import importer  # noqa: F401  (the "lab_results" import registers for workers too)
