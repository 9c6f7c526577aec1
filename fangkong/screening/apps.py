from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fangkong.screening"
    label = "screening"
    verbose_name = "重点人员排查"

    def ready(self):
        # The gate verdict's key-person fact registers itself on import.
        from . import verdict  # noqa: F401
