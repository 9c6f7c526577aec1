from django.apps import AppConfig


class IsolationConfig(AppConfig):
    name = "fangkong.isolation"
    label = "isolation"
    verbose_name = "隔离管控"

    def ready(self):
        from . import facts  # noqa: F401  (registers the isolation fact source with the health code)
