from django.apps import AppConfig


class HealthcodeConfig(AppConfig):
    name = "fangkong.healthcode"
    label = "healthcode"
    verbose_name = "健康码"

    def ready(self):
        # The override export, the gate verdict's health-code fact and the testing facts register on import.
        from . import exports, signals, testing_facts, verdict  # noqa: F401

        signals.connect()
        from fangkong.core.identity import PASS_CODE_READERS

        from .passcode import identify

        PASS_CODE_READERS.append(identify)
        from django.db.models.signals import post_migrate

        from .defaults import ensure_default_rules

        post_migrate.connect(ensure_default_rules, sender=self, dispatch_uid="fangkong_default_rules")
