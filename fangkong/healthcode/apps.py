from django.apps import AppConfig


class HealthcodeConfig(AppConfig):
    name = "fangkong.healthcode"
    label = "healthcode"
    verbose_name = "健康码"

    def ready(self):
        from . import exports, signals, verdict  # noqa: F401  (the override export and the gate verdict's
        # health-code fact register on import)

        signals.connect()
        from django.db.models.signals import post_migrate

        from .defaults import ensure_default_rules

        post_migrate.connect(ensure_default_rules, sender=self, dispatch_uid="fangkong_default_rules")
