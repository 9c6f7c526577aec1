from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fangkong.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self):
        from . import signals  # noqa: F401
