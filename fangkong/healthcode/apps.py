from django.apps import AppConfig


class HealthcodeConfig(AppConfig):
    name = "fangkong.healthcode"
    label = "healthcode"
    verbose_name = "健康码"

    def ready(self):
        from . import signals, verdict  # noqa: F401  (the gate verdict's health-code fact registers on import)

        signals.connect()
